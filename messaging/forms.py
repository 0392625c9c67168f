"""Website forms of messaging: shape and type only. Whether a sender may send, a number is valid or
the wallet can pay is the service's call (messaging.services.message_send)."""
import re
import uuid

from django import forms

from .status import Status

MAX_TEXT_CHARS = 5000  # as the API; the service refuses more than SMSPORTAL_MAX_PARTS parts
MAX_RECIPIENTS_FIELD_CHARS = 100_000

_LIST_SEPARATORS = re.compile(r"[\r\n,;]+")
_DIGITS = re.compile(r"\d")


def split_recipients(raw: str) -> list[str]:
    """The numbers typed into the recipients box, in order, as written.

    One a line, or separated by commas, semicolons or spaces. A piece with spaces in it is one
    number written with spaces (`+38 067 123 45 67`) unless every space-separated word is long
    enough to be a number of its own (`0671234567 0501234567`). static/js/send.js mirrors this.
    """
    numbers = []
    for chunk in _LIST_SEPARATORS.split(raw or ""):
        words = chunk.split()
        if not words:
            continue
        if len(words) > 1 and all(len(_DIGITS.findall(w)) >= 9 for w in words):
            numbers.extend(words)
        else:
            numbers.append(" ".join(words))
    return numbers


class SendForm(forms.Form):
    sender = forms.ChoiceField(label="Sender name")
    recipients = forms.CharField(
        label="Recipients", max_length=MAX_RECIPIENTS_FIELD_CHARS,
        help_text="One number per line, or separated by commas, semicolons or spaces. "
                  "Local Ukrainian numbers (0671234567) are fine; other countries need the + and country code.",
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "0671234567\n+380501234567",
                                     "autocomplete": "off", "spellcheck": "false"}),
    )
    text = forms.CharField(
        label="Message text", max_length=MAX_TEXT_CHARS, strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "Your order #1024 is ready for pickup."}),
    )
    # Makes a double click or a re-posted form send once (message_send's idempotency key).
    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, sender_names=(), **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("token", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.fields["sender"].choices = [(name, name) for name in sender_names]
        if len(sender_names) == 1:
            self.fields["sender"].initial = sender_names[0]

    def clean_recipients(self):
        numbers = split_recipients(self.cleaned_data["recipients"])
        if not numbers:
            raise forms.ValidationError("Enter at least one phone number.")
        return numbers

    def clean_text(self):
        # Browsers post a textarea's line breaks as CRLF; the counter on the page (and the
        # phone) sees one character per line break, so the charge must too.
        text = self.cleaned_data["text"].replace("\r\n", "\n").replace("\r", "\n")
        if not text.strip():
            raise forms.ValidationError("Enter the message text.")
        return text


class MessageFilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", required=False,
                               choices=[("", "All statuses"), *Status.choices])
    q = forms.CharField(label="Recipient", required=False, max_length=32,
                        widget=forms.TextInput(attrs={"placeholder": "Search by number", "type": "search",
                                                      "inputmode": "tel"}))

    def recipient_digits(self) -> str:
        """The digits of the search, matched anywhere in the stored E.164 number."""
        if not self.is_valid():
            return ""
        return "".join(_DIGITS.findall(self.cleaned_data.get("q") or ""))


class SenderNameRequestForm(forms.Form):
    name = forms.CharField(label="New sender name", max_length=11,
                           help_text="Up to 11 Latin letters, digits, spaces and . & - (at least one letter). "
                                     "Staff review it before it can send.",
                           widget=forms.TextInput(attrs={"placeholder": "e.g. KvitkaShop", "autocomplete": "off"}))
