"""Website forms of messaging: shape and type only. Whether a sender may send, a number is valid or
the wallet can pay is the service's call (messaging.services.message_send)."""
import re
import uuid
import zoneinfo

from django import forms
from django.conf import settings
from django.utils import timezone
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

PAGE_VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")  # as messaging.services.prepare fills them
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


def one_line_break(value: str) -> str:
    """A textarea's text with every line break as one LF. Browsers post line breaks as CRLF, yet
    count them as one character (the counter, `maxlength`): the server counts as they do."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n")


class TextareaField(forms.CharField):
    """A CharField whose max_length counts a line break once, as the browser does. The widget gets
    no `maxlength` attribute: a browser cuts a longer paste silently; the page's script and the
    form's error say how much is over instead (data-max-chars carries the limit)."""

    def to_python(self, value):
        return super().to_python(one_line_break(value) if isinstance(value, str) else value)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if self.max_length is not None:
            attrs.pop("maxlength", None)
            attrs["data-max-chars"] = str(self.max_length)
        return attrs


class RecipientsField(TextareaField):
    """The pasted recipients of one send: at most MAX_RECIPIENTS_FIELD_CHARS characters and
    SMSPORTAL_MAX_RECIPIENTS numbers (as message_send takes them), each refused with a clear error
    that says how many were given. Cleans to the list of numbers (split_recipients)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Recipients"))
        kwargs.setdefault("max_length", MAX_RECIPIENTS_FIELD_CHARS)
        kwargs.setdefault("help_text", _("One number per line, or separated by commas, semicolons or spaces. "
                                         "Local Ukrainian numbers (0671234567) are fine; other countries need the + "
                                         "and country code."))
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 4, "placeholder": "0671234567\n+380501234567",
                                                          "autocomplete": "off", "spellcheck": "false"}))
        kwargs.setdefault("error_messages", {})
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs["data-max-recipients"] = str(settings.SMSPORTAL_MAX_RECIPIENTS)
        return attrs

    def run_validators(self, value):
        if value in self.empty_values or self.max_length is None or len(value) <= self.max_length:
            return super().run_validators(value)
        raise forms.ValidationError(
            _("The list has %(given)s characters; one send takes at most %(max)s. For longer lists, upload a file "
              "in a campaign."),
            code="max_length", params={"given": number_format(len(value), force_grouping=True),
                                       "max": number_format(self.max_length, force_grouping=True)})

    def clean(self, value):
        numbers = split_recipients(super().clean(value))
        if not numbers:
            raise forms.ValidationError(_("Enter at least one phone number."), code="required")
        limit = settings.SMSPORTAL_MAX_RECIPIENTS
        if len(numbers) > limit:
            raise forms.ValidationError(
                _("You entered %(given)s numbers; one send takes at most %(max)s. Send them in parts, or upload "
                  "them as a file in a campaign."),
                code="too_many_recipients", params={"given": number_format(len(numbers), force_grouping=True),
                                                    "max": number_format(limit, force_grouping=True)})
        return numbers


KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")
SEND_TTL_CHOICES = [(3600, _("1 hour")), (6 * 3600, _("6 hours")), (24 * 3600, _("24 hours")),
                    (72 * 3600, _("72 hours"))]


class KyivDateTimeField(FormDateTimeField):
    """A date and time typed in Kyiv time (a `datetime-local` input), whatever time zone is active,
    and shown in Kyiv time; refuses a time in the past (a minute's grace for the typing)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d.%m.%Y %H:%M"])
        kwargs.setdefault("widget", forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        with timezone.override(KYIV):
            return super().prepare_value(value)

    def to_python(self, value):
        with timezone.override(KYIV):
            return super().to_python(value)

    def validate(self, value):
        super().validate(value)
        if value and value < timezone.now() - timezone.timedelta(minutes=1):
            raise forms.ValidationError(
                _("%(time)s Kyiv time has already passed. Choose a later time, or leave it empty to send now."),
                code="past", params={"time": value.astimezone(KYIV).strftime("%d.%m.%Y %H:%M")})


class LifetimeField(forms.TypedChoiceField):
    """A message lifetime from a list; a select always posts one, so not posting it (an older page,
    a script) means the first choice's default rather than an error."""

    def __init__(self, *, choices, default=24 * 3600, **kwargs):
        kwargs.setdefault("label", _("Message lifetime"))
        super().__init__(coerce=int, choices=choices, initial=default, **kwargs)
        self.default = default

    def clean(self, value):
        return super().clean(value if value not in self.empty_values else str(self.default))


def send_at_field():
    return KyivDateTimeField(label=_("Send at"), required=False,
                             help_text=_("Kyiv time. Leave empty to send now."))


class SendForm(forms.Form):
    sender = forms.ChoiceField(label=_("Sender name"))
    recipients = RecipientsField()
    text = TextareaField(
        label=_("Message text"), max_length=MAX_TEXT_CHARS, strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": _("Your order #1024 is ready for pickup.")}),
    )
    message_type = message_type_field()
    send_at = send_at_field()
    ttl = LifetimeField(choices=SEND_TTL_CHOICES,
                        help_text=_("Operators keep retrying a message this long; then it expires."))
    # Makes a double click or a re-posted form send once (message_send's idempotency key).
    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, sender_names=(), **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("token", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.fields["sender"].choices = [(name, name) for name in sender_names]
        if len(sender_names) == 1:
            self.fields["sender"].initial = sender_names[0]

    def clean_text(self):
        # Line breaks are one character each (TextareaField), as the counter on the page and the phone see them.
        text = self.cleaned_data["text"]
        if not text.strip():
            raise forms.ValidationError(_("Enter the message text."))
        unfilled = sorted(set(PAGE_VARIABLE.findall(text)) - {"phone"})
        if unfilled:
            # Pasted numbers carry no names: every recipient would be refused "no value for {name}".
            raise forms.ValidationError(
                _("%(variables)s would be empty for every recipient: pasted numbers have no names or other columns "
                  "(only {phone} is filled in here). To personalize, create a campaign from a file or a contact "
                  "group."),
                code="empty_variable", params={"variables": ", ".join("{%s}" % v for v in unfilled)})
        return text


# --- Viber (R-VIB-02, R-VIB-03) -----------------------------------------------------------------

VIBER_TEXT_MAX = 1000        # messaging.viber.validation.TEXT_MAX
VIBER_CAPTION_MAX = 30       # messaging.viber.validation.CAPTION_MAX
VIBER_IMAGE_BYTES_MAX = 3 * 1024 * 1024
VIBER_TYPE_CHOICES = [
    ("advertising", pgettext_lazy("viber type", "Advertising")),
    ("transactional", pgettext_lazy("viber type", "Transactional")),
    ("test", pgettext_lazy("viber type", "Test")),
    ("welcome", pgettext_lazy("viber type", "Welcome")),
]
VIBER_TYPE_HELP = _("Advertising is the default. Transactional messages are text only and must match a template "
                    "approved by Viber; a test message contains the word “Test” or “Тест”; the first message to a new "
                    "recipient must be a welcome message.")
VIBER_TTL_CHOICES = [(3600, _("1 hour")), (6 * 3600, _("6 hours")), (24 * 3600, _("24 hours"))]


class ViberImageField(forms.FileField):
    """An uploaded Viber picture: a real JPG or PNG (Pillow reads it, whatever its name says), at
    most 3 MB. Cleans to the file with `.image_format` ("jpg" or "png") set."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.widget = forms.ClearableFileInput(attrs={"accept": ".jpg,.jpeg,.png,image/jpeg,image/png"})

    def to_python(self, data):
        f = super().to_python(data)
        if f is None:
            return None
        if f.size > VIBER_IMAGE_BYTES_MAX:
            raise forms.ValidationError(
                _("The image is %(size)s MB; at most 3 MB."), code="file_too_big",
                params={"size": number_format(f.size / 1024 / 1024, decimal_pos=1)})
        from PIL import Image, UnidentifiedImageError  # noqa: PLC0415 (Pillow only where an image is posted)

        try:
            f.seek(0)
            with Image.open(f) as image:
                image_format = image.format
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise forms.ValidationError(_("This file is not a JPG or PNG image."), code="image_type") from None
        if image_format not in ("JPEG", "PNG"):
            raise forms.ValidationError(_("The image must be a JPG or PNG file."), code="image_type")
        f.seek(0)
        f.image_format = "png" if image_format == "PNG" else "jpg"
        return f


class ViberSendForm(forms.Form):
    """The Viber tab of the Send page: the fields of `messaging.viber.service.ViberRequest` and the
    recipients as on the SMS tab. Shape only: the content combinations, templates and the sender's
    rights are the service's (messaging.viber.validation)."""

    channel = forms.CharField(widget=forms.HiddenInput, initial="viber")
    sender = forms.ChoiceField(label=_("Viber sender name"))
    viber_type = forms.ChoiceField(label=_("Viber message type"), choices=VIBER_TYPE_CHOICES, initial="advertising",
                                   widget=forms.RadioSelect, help_text=VIBER_TYPE_HELP)
    recipients = RecipientsField()
    text = TextareaField(
        label=_("Message text"), max_length=VIBER_TEXT_MAX, strip=False, required=False,
        # xgettext:no-python-format
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": _("Spring sale: -20% on everything until Sunday!")}),
    )
    image_url = forms.URLField(label=_("Image URL"), required=False, max_length=2000, assume_scheme="https",
                               help_text=_("An https:// address of a JPG or PNG picture, or upload one below."),
                               widget=forms.URLInput(attrs={"placeholder": "https://example.ua/sale.jpg"}))
    image_file = ViberImageField(label=_("Or upload an image"), required=False,
                                 help_text=_("JPG or PNG, up to 3 MB."))
    button_caption = forms.CharField(label=_("Button caption"), required=False, max_length=VIBER_CAPTION_MAX,
                                     widget=forms.TextInput(attrs={"placeholder": _("Open the shop")}))
    button_url = forms.URLField(label=_("Button link"), required=False, max_length=2000, assume_scheme="https",
                                widget=forms.URLInput(attrs={"placeholder": "https://example.ua/sale"}))
    ttl = LifetimeField(choices=VIBER_TTL_CHOICES, help_text=_("Viber keeps trying to deliver this long."))
    send_at = send_at_field()
    fallback = forms.BooleanField(label=_("Send an SMS to those who don’t get the Viber message"), required=False)
    fallback_sender = forms.ChoiceField(label=_("SMS sender name"), required=False)
    fallback_text = TextareaField(label=_("SMS text"), max_length=MAX_TEXT_CHARS, strip=False, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    # Makes a double click or a re-posted form send once (viber_send's idempotency key).
    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, sender_names=(), sms_sender_names=(), **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("token", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.fields["sender"].choices = [(name, name) for name in sender_names]
        if len(sender_names) == 1:
            self.fields["sender"].initial = sender_names[0]
        self.fields["fallback_sender"].choices = [("", "—")] + [(name, name) for name in sms_sender_names]
        if len(sms_sender_names) == 1:
            self.fields["fallback_sender"].initial = sms_sender_names[0]

    def clean_image_url(self):
        url = self.cleaned_data["image_url"]
        if url and not url.lower().startswith("https://"):
            raise forms.ValidationError(_("The image must be an https:// address."), code="image_url_invalid")
        return url

    def clean(self):
        data = super().clean()
        if data.get("image_url") and data.get("image_file"):
            self.add_error("image_file", _("Give an image URL or upload a file, not both."))
        caption, url = data.get("button_caption") or "", data.get("button_url") or ""
        if bool(caption) != bool(url):
            self.add_error("button_url" if caption else "button_caption",
                           _("A button needs both a caption and a link."))
        if "text" in data and not (data.get("text") or "").strip() and not (data.get("image_url") or data.get("image_file")):
            self.add_error("text", _("Enter the message text or add an image."))
        if data.get("fallback"):
            if not data.get("fallback_sender"):
                self.add_error("fallback_sender", _("Choose the SMS sender name."))
            if not (data.get("fallback_text") or "").strip():
                self.add_error("fallback_text", _("Enter the SMS text."))
        else:
            data["fallback_sender"], data["fallback_text"] = "", ""
        return data


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


class ViberCampaignForm(CampaignForm):
    """Step 1 of a new Viber campaign: a campaign's recipients, schedule and name, with the Viber
    content of the Send page's Viber tab (ViberSendForm); the text may hold {variables}."""

    channel = forms.CharField(widget=forms.HiddenInput, initial="viber")
    viber_type = forms.ChoiceField(label=_("Viber message type"), choices=VIBER_TYPE_CHOICES, initial="advertising",
                                   widget=forms.RadioSelect, help_text=VIBER_TYPE_HELP)
    image_url = forms.URLField(label=_("Image URL"), required=False, max_length=2000, assume_scheme="https",
                               help_text=_("An https:// address of a JPG or PNG picture."),
                               widget=forms.URLInput(attrs={"placeholder": "https://example.ua/sale.jpg"}))
    button_caption = forms.CharField(label=_("Button caption"), required=False, max_length=VIBER_CAPTION_MAX,
                                     widget=forms.TextInput(attrs={"placeholder": _("Open the shop")}))
    button_url = forms.URLField(label=_("Button link"), required=False, max_length=2000, assume_scheme="https",
                                widget=forms.URLInput(attrs={"placeholder": "https://example.ua/sale"}))
    ttl = LifetimeField(choices=VIBER_TTL_CHOICES, help_text=_("Viber keeps trying to deliver this long."))
    fallback = forms.BooleanField(label=_("Send an SMS to those who don’t get the Viber message"), required=False)
    fallback_sender = forms.ChoiceField(label=_("SMS sender name"), required=False)
    fallback_text = TextareaField(label=_("SMS text"), max_length=MAX_TEXT_CHARS, strip=False, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, sms_sender_names=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sender"].label = _("Viber sender name")
        self.fields["message_type"].required = False
        self.fields["fallback_sender"].choices = [("", "—")] + [(name, name) for name in sms_sender_names]

    def clean(self):
        data = super().clean()
        if not data.get("fallback"):
            data["fallback_sender"], data["fallback_text"] = "", ""
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
