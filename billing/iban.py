"""Ukrainian IBAN: `UA` + 27 digits (2 check digits, 6-digit bank code, 19-digit account), checked
by ISO 13616 mod-97. Spaces are allowed on input and dropped."""
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

_UA_IBAN = re.compile(r"UA\d{27}")


def iban_normalize(value: str) -> str:
    return re.sub(r"[\s-]+", "", value or "").upper()


def iban_mod97_ok(iban: str) -> bool:
    moved = iban[4:] + iban[:4]
    digits = "".join(str(int(c, 36)) for c in moved)
    return int(digits) % 97 == 1


def iban_ua_validate(value: str) -> str:
    """The IBAN without spaces, or ValidationError with a clear reason."""
    iban = iban_normalize(value)
    if not _UA_IBAN.fullmatch(iban):
        raise ValidationError(gettext("A Ukrainian IBAN is UA followed by 27 digits (29 characters)."),
                              code="iban_format")
    if not iban_mod97_ok(iban):
        raise ValidationError(gettext("This IBAN has a typo: its check digits do not match."), code="iban_checksum")
    return iban
