"""Recipient numbers: whatever a person types, to E.164, with Ukrainian local forms understood."""
import phonenumbers

DEFAULT_REGION = "UA"


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """E.164 (`+380671234567`) for a valid mobile or fixed number, else None.

    Accepts `0671234567`, `380671234567`, `+38 (067) 123-45-67`, `+48 512 345 678`.
    """
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not text or len(text) > 32:
        return None
    digits = "".join(ch for ch in text if ch.isdigit())
    # "380…" without the plus is the international form written the Ukrainian way.
    if not text.startswith("+") and digits.startswith("380") and len(digits) == 12:
        text = "+" + digits
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
