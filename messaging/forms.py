"""Website forms of messaging: shape and type only. Whether a sender may send, a number is valid or
the wallet can pay is the service's call (messaging.services.message_send)."""
import re
import uuid

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from smsportal.boundary import FormDateField, FormDateTimeField

from .models import MessageType
from .status import Status

TYPE_HELP = _("Advertising (offers, discounts, promotions) is priced as advertising and needs a signed contract; "
              "service messages are transactional (codes, order and delivery notices).")


class MessageTypeField(forms.ChoiceField):
    """Service or advertising (R-BILL-07); not posted at all = service (the form's default)."""

    def __init__(self, **kwargs):
        super().__init__(label=_("Message type"), choices=MessageType.choices, initial=MessageType.SERVICE,
                         required=False, widget=forms.RadioSelect, help_text=TYPE_HELP, **kwargs)

    def clean(self, value):
        return super().clean(value) or MessageType.SERVICE


def message_type_field():
    return MessageTypeField()

MAX_TEXT_CHARS = 5000  # as the API; the service refuses more than SMSPORTAL_MAX_PARTS parts
MAX_RECIPIENTS_FIELD_CHARS = 100_000

_LIST_SEPARATORS = re.compile(r"[\r\n,;]+")
_DIGITS = re.compile(r"\d")


def split_recipients(raw: str) -> list[str]:
    """The numbers typed into the recipients box, in order, as written.

    One a line, or separated by commas, semicolons or spaces. A piece with spaces in it is one
    number written with spaces (`+38 067 123 45 67`) unless every space-separated word is long
    enough to be a number of its own (`0671234567 0501234567`). static/js/sms_form.js mirrors this.
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
    sender = forms.ChoiceField(label=_("Sender name"))
    recipients = forms.CharField(
        label=_("Recipients"), max_length=MAX_RECIPIENTS_FIELD_CHARS,
        help_text=_("One number per line, or separated by commas, semicolons or spaces. "
                  "Local Ukrainian numbers (0671234567) are fine; other countries need the + and country code."),
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "0671234567\n+380501234567",
                                     "autocomplete": "off", "spellcheck": "false"}),
    )
    text = forms.CharField(
        label=_("Message text"), max_length=MAX_TEXT_CHARS, strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": _("Your order #1024 is ready for pickup.")}),
    )
    message_type = message_type_field()
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
            raise forms.ValidationError(_("Enter at least one phone number."))
        return numbers

    def clean_text(self):
        # Browsers post a textarea's line breaks as CRLF; the counter on the page (and the
        # phone) sees one character per line break, so the charge must too.
        text = self.cleaned_data["text"].replace("\r\n", "\n").replace("\r", "\n")
        if not text.strip():
            raise forms.ValidationError(_("Enter the message text."))
        return text


class MessageFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), *Status.choices])
    q = forms.CharField(label=_("Recipient"), required=False, max_length=32,
                        widget=forms.TextInput(attrs={"placeholder": _("Search by number"), "type": "search",
                                                      "inputmode": "tel"}))

    # R-ACC-09: any period (the statistics page links here with a month or a day).
    date_from = FormDateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = FormDateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def recipient_digits(self) -> str:
        """The digits of the search, matched anywhere in the stored E.164 number."""
        if not self.is_valid():
            return ""
        return "".join(_DIGITS.findall(self.cleaned_data.get("q") or ""))


class SenderNameRequestForm(forms.Form):
    name = forms.CharField(label=_("New sender name"), max_length=11,
                           help_text=_("Up to 11 Latin letters, digits, spaces and . & - (at least one letter). "
                                     "Staff review it before it can send."),
                           widget=forms.TextInput(attrs={"placeholder": _("e.g. KvitkaShop"), "autocomplete": "off"}))


# --- campaigns and contacts -------------------------------------------------------------------

from django.utils import timezone  # noqa: E402

CAMPAIGN_TTL_CHOICES = [(3600, _("1 hour")), (6 * 3600, _("6 hours")), (24 * 3600, _("24 hours")), (72 * 3600, _("72 hours"))]
UPLOAD_ACCEPT = ".csv,.txt,.tsv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadField(forms.FileField):
    widget = forms.ClearableFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("File"))
        kwargs.setdefault("help_text", _("CSV or Excel (.xlsx), up to 20 MB and 100,000 rows. One column holds the phone "
                                         "numbers; other columns (name, city, …) can fill {variables} in the text."))
        super().__init__(**kwargs)
        self.widget = forms.FileInput(attrs={"accept": UPLOAD_ACCEPT})


class CampaignForm(forms.Form):
    """Step 1 of a new campaign: what to send, to whom (one source), when and for how long."""

    SOURCE_FILE, SOURCE_PASTE, SOURCE_GROUP = "file", "paste", "group"

    name = forms.CharField(label=_("Campaign name"), max_length=200, required=False,
                           widget=forms.TextInput(attrs={"placeholder": _("e.g. Spring sale"), "autocomplete": "off"}))
    sender = forms.ChoiceField(label=_("Sender name"))
    text = forms.CharField(
        label=_("Message text"), max_length=MAX_TEXT_CHARS, strip=False,
        help_text=_("Use {name}-style variables to personalize: {phone} and the columns of your file or group."),
        # xgettext:no-python-format
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": _("Hi {name}! Spring sale: -20% on everything until Sunday.")}),
    )
    message_type = message_type_field()
    source = forms.ChoiceField(
        label=_("Recipients"), widget=forms.RadioSelect, initial=SOURCE_FILE,
        choices=[(SOURCE_FILE, _("Upload a file")), (SOURCE_PASTE, _("Paste numbers")), (SOURCE_GROUP, _("Contact group"))],
    )
    file = UploadField(required=False)
    numbers = forms.CharField(
        label=_("Phone numbers"), required=False, max_length=MAX_RECIPIENTS_FIELD_CHARS,
        help_text=_("One per line, or separated by commas, semicolons or spaces."),
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "0671234567\n+380501234567",
                                     "autocomplete": "off", "spellcheck": "false"}),
    )
    group = forms.TypedChoiceField(label=_("Contact group"), required=False, coerce=int, empty_value=None)
    send_at = FormDateTimeField(
        label=_("Send at"), required=False, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d.%m.%Y %H:%M"],
        help_text=_("Kyiv time. Leave empty to send now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    ttl = forms.TypedChoiceField(label=_("Message lifetime"), coerce=int, choices=CAMPAIGN_TTL_CHOICES,
                                 initial=24 * 3600,
                                 help_text=_("Operators keep retrying a message this long; then it expires."))

    def __init__(self, *args, sender_names=(), groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sender"].choices = [(name, name) for name in sender_names]
        if len(sender_names) == 1:
            self.fields["sender"].initial = sender_names[0]
        self.fields["group"].choices = [("", gettext("Choose a group…"))] + [
            (g.pk, ngettext("%(name)s (%(size)s contacts)", "%(name)s (%(size)s contacts)", g.size)
             % {"name": g.name, "size": number_format(g.size, force_grouping=True)}) for g in groups]

    def clean_text(self):
        text = self.cleaned_data["text"].replace("\r\n", "\n").replace("\r", "\n")
        if not text.strip():
            raise forms.ValidationError(_("Enter the message text."))
        return text

    def clean_send_at(self):
        send_at = self.cleaned_data.get("send_at")
        if send_at and send_at < timezone.now() - timezone.timedelta(minutes=1):
            raise forms.ValidationError(_("This time is in the past. Leave it empty to send now."))
        return send_at

    def clean(self):
        data = super().clean()
        source = data.get("source")
        if source == self.SOURCE_FILE and not data.get("file"):
            self.add_error("file", _("Choose a CSV or XLSX file."))
        elif source == self.SOURCE_PASTE:
            numbers = split_recipients(data.get("numbers") or "")
            if not numbers:
                self.add_error("numbers", _("Enter at least one phone number."))
            data["numbers"] = numbers
        elif source == self.SOURCE_GROUP and not data.get("group"):
            self.add_error("group", _("Choose a contact group."))
        return data


class CampaignConfirmForm(forms.Form):
    """Step 2: the phone column of an upload (files only) and the go-ahead."""

    phone_column = forms.TypedChoiceField(label=_("Phone numbers are in"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, columns=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone_column"].choices = [(c.index, c.title) for c in columns]


class ContactGroupForm(forms.Form):
    name = forms.CharField(label=_("Group name"), max_length=200,
                           widget=forms.TextInput(attrs={"placeholder": _("e.g. Loyal customers"), "autocomplete": "off"}))


class ContactImportForm(forms.Form):
    file = UploadField(help_text=_("CSV or Excel (.xlsx), up to 20 MB and 100,000 rows: a phone column, optionally "
                                 "a name and other columns (they become {variables} for campaigns)."))


class ContactAddForm(forms.Form):
    phone = forms.CharField(label=_("Phone"), max_length=32,
                            widget=forms.TextInput(attrs={"placeholder": "0671234567", "inputmode": "tel",
                                                          "autocomplete": "off"}))
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=200, required=False,
                           widget=forms.TextInput(attrs={"placeholder": _("Olha"), "autocomplete": "off"}))
