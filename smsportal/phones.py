"""Recipient numbers: whatever a person types, to E.164, with Ukrainian local forms understood,
and the number's country and (original) operator for routing and pricing.

Ukraine has number portability: the operator is a hint for routing and price, not a fact.
"""
import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from django.utils.translation import gettext_lazy as _
from phonenumbers import PhoneNumberType, carrier

DEFAULT_REGION = "UA"
SMS_CAPABLE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
_NOT_DIGITS = re.compile(r"[\s()\-.]")
_UA_LOCAL = re.compile(r"^(?:\+?380|0)(\d{2})(\d{7})$")

# Why a value is not a recipient: stable English codes (compared by callers, stored in reports);
# `phone_reason_text` gives the words a person reads, in the active language.
NOT_A_PHONE = "not a phone number"
EMPTY = "empty"
NOT_VALID = "not a valid phone number"
NOT_MOBILE = "not a mobile number"
_REASON_TEXTS = {
    NOT_A_PHONE: _("not a phone number"),
    EMPTY: _("empty"),
    NOT_VALID: _("not a valid phone number"),
    NOT_MOBILE: _("not a mobile number"),
}


def phone_reason_text(reason: str) -> str:
    """The reason `parse_recipient` gave, in the active language (unknown reasons as they are)."""
    return str(_REASON_TEXTS.get(reason, reason))


def invalid_recipient_text(value, reason: str) -> str:
    """"'x' is not a phone number." in the active language."""
    from django.utils.translation import gettext
    return gettext("'%(value)s' is %(reason)s.") % {"value": value, "reason": phone_reason_text(reason)}


@dataclass(frozen=True, slots=True)
class Recipient:
    phone: str  # E.164
    country: str  # ISO 3166 alpha-2
    operator: str  # lower-case operator name, '' when unknown


def _operator_key(name: str) -> str:
    return name.strip().lower()


@lru_cache(maxsize=1)
def _ua_mobile_codes() -> dict[str, str]:
    """Ukrainian mobile operator codes (67 → kyivstar …), read once from phonenumbers' data."""
    codes = {}
    for code in range(10, 100):
        number = phonenumbers.parse(f"+380{code}1234567")
        if phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) == PhoneNumberType.MOBILE:
            codes[str(code)] = _operator_key(carrier.name_for_number(number, "en"))
    return codes


@lru_cache(maxsize=4096)
def _operator_for_prefix(prefix: str) -> str:
    try:
        return _operator_key(carrier.name_for_number(phonenumbers.parse(prefix + "0" * 8), "en"))
    except phonenumbers.NumberParseException:
        return ""


def parse_recipient(raw, region: str = DEFAULT_REGION) -> Recipient | str:
    """A `Recipient`, or the reason (a sentence) why `raw` cannot receive an SMS.

    Accepts `0671234567`, `380671234567`, `+38 (067) 123-45-67`, `+48 512 345 678`.
    """
    if not isinstance(raw, str):
        return NOT_A_PHONE
    text = raw.strip()
    if not text:
        return EMPTY
    if len(text) > 32:
        return NOT_A_PHONE
    compact = _NOT_DIGITS.sub("", text)
    # The fast path: Ukrainian mobile numbers in any of their usual spellings.
    if m := _UA_LOCAL.match(compact):
        operator = _ua_mobile_codes().get(m.group(1))
        if operator is not None:
            return Recipient(f"+380{m.group(1)}{m.group(2)}", "UA", operator)
    if not compact.startswith("+") and compact.startswith("380") and len(compact) == 12:
        compact = "+" + compact
    try:
        number = phonenumbers.parse(compact, region)
    except phonenumbers.NumberParseException:
        return NOT_A_PHONE
    if not phonenumbers.is_valid_number(number):
        return NOT_VALID
    if phonenumbers.number_type(number) not in SMS_CAPABLE:
        return NOT_MOBILE
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Recipient(e164, phonenumbers.region_code_for_number(number) or "", _operator_for_prefix(e164[:7]))


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """E.164 for a number that can receive SMS, else None."""
    result = parse_recipient(raw, region)
    return result.phone if isinstance(result, Recipient) else None
