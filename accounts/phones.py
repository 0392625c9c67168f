"""The primary phone (R-ACC-01): a Ukrainian mobile number in E.164 (+380XXXXXXXXX), read by the
platform's one phone parser (smsportal.phones), as every recipient of a send is."""
import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from smsportal.phones import NOT_A_PHONE, Recipient, parse_recipient


def phone_normalize(value: str) -> str:
    """`+380671234567` for 067 123 45 67, 380671234567, +38 (067) 123-45-67; ValidationError otherwise."""
    raw = (value or "").strip()
    if not raw:
        raise ValidationError(_("Enter your mobile phone number."), code="required")
    result = parse_recipient(raw)
    if not isinstance(result, Recipient):
        if result == NOT_A_PHONE:
            raise ValidationError(_("Enter a mobile phone number, e.g. 067 123 45 67."), code="invalid")
        raise ValidationError(_("This is not a valid mobile number: we send the code by SMS."), code="invalid")
    if result.country != "UA":
        raise ValidationError(_("Use a Ukrainian mobile number (+380…)."), code="not_ukrainian")
    return result.phone


def phone_display(e164: str) -> str:
    if not e164:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, "UA"), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164


def phone_masked(e164: str) -> str:
    """+380 67 *** ** 67: enough to recognize the number, not to learn it."""
    if len(e164 or "") < 8:
        return e164 or ""
    return f"{e164[:4]} {e164[4:6]} *** ** {e164[-2:]}"


def ua_mobile_field(**kwargs):
    """A form field for the primary phone: accepts 067 123 45 67, +380…, 380…; cleans to E.164."""
    from django import forms  # noqa: PLC0415

    class _Field(forms.CharField):
        def __init__(self, **kw):
            kw.setdefault("label", _("Mobile phone"))
            kw.setdefault("max_length", 30)
            kw.setdefault("widget", forms.TextInput(attrs={"type": "tel", "autocomplete": "tel",
                                                           "placeholder": "067 123 45 67"}))
            super().__init__(**kw)

        def clean(self, value):
            value = super().clean(value)
            return phone_normalize(value) if value else value

    return _Field(**kwargs)
