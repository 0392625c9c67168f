"""Legal details, contract and staff flags (R-ACC-10)."""
import re

from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from smsportal.errors import ApplicationError

from ..models import Client
from .core import audit_record

LEGAL_FIELDS = ("legal_form", "legal_name", "tax_code", "vat_payer", "vat_number", "signatory_name",
                "signatory_position", "postal_address", "documents_email", "edi_capable", "edi_provider")
CONTRACT_NEEDS = ("legal_form", "legal_name", "tax_code", "signatory_name", "signatory_position", "postal_address",
                  "documents_email")
FLAGS = ("pay_for_delivered", "round_the_clock_approved", "viber_enabled")
FLAGS_NEED_CONTRACT = ("pay_for_delivered", "viber_enabled")


class LegalDetailsInvalid(ApplicationError):
    code = "legal_details_invalid"

    def __init__(self, detail: str, *, field: str = ""):
        super().__init__(detail, extra={"field": field} if field else None)
        self.field = field


EDRPOU_WEIGHTS = (1, 2, 3, 4, 5, 6, 7)
EDRPOU_WEIGHTS_MIDDLE = (7, 1, 2, 3, 4, 5, 6)  # codes from 30000000 to 60000000
RNOKPP_WEIGHTS = (-1, 5, 7, 9, 4, 6, 10, 5, 7)


def edrpou_check_digit(first7: str) -> int:
    """The check digit of an EDRPOU code (the State Statistics Service's algorithm): the first seven
    digits weighted 1..7 (or 7,1..6 for codes from 30000000 to 60000000), the sum mod 11; when that
    is 10, a second pass with every weight +2; a second 10 gives 0."""
    digits = [int(c) for c in first7]
    number = int(first7 + "0")
    weights = EDRPOU_WEIGHTS_MIDDLE if 30000000 <= number < 60000000 else EDRPOU_WEIGHTS
    check = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
    if check == 10:
        check = sum(d * (w + 2) for d, w in zip(digits, weights, strict=True)) % 11
        if check == 10:
            check = 0
    return check


def edrpou_valid(code: str) -> bool:
    """EDRPOU: 8 digits, the last a check digit (edrpou_check_digit)."""
    if not re.fullmatch(r"[0-9]{8}", code or ""):
        return False
    return edrpou_check_digit(code[:7]) == int(code[7])


def rnokpp_check_digit(first9: str) -> int:
    """The check digit of an RNOKPP (individual tax number, 10 digits): the first nine digits weighted
    -1, 5, 7, 9, 4, 6, 10, 5, 7, the sum mod 11, then mod 10."""
    return sum(int(c) * w for c, w in zip(first9, RNOKPP_WEIGHTS, strict=True)) % 11 % 10


def rnokpp_valid(code: str) -> bool:
    """RNOKPP (individual tax number): 10 digits, the last a check digit (rnokpp_check_digit)."""
    if not re.fullmatch(r"[0-9]{10}", code or ""):
        return False
    return rnokpp_check_digit(code[:9]) == int(code[9])


def tax_code_problem(code: str, legal_form: str = "") -> str | None:
    """Why `code` is not a valid EDRPOU/RNOKPP for `legal_form` (in the active language), or None."""
    code = (code or "").strip()
    if not re.fullmatch(r"[0-9]+", code):
        return gettext("The code has digits only: EDRPOU 8 digits, RNOKPP 10 digits.")
    if legal_form == Client.LegalForm.LEGAL_ENTITY and len(code) != 8:
        return gettext("A legal entity's EDRPOU code has 8 digits.")
    if legal_form == Client.LegalForm.ENTREPRENEUR and len(code) != 10:
        return gettext("An entrepreneur's RNOKPP (tax number) has 10 digits.")
    if len(code) == 8:
        return None if edrpou_valid(code) else gettext("This EDRPOU code has a wrong check digit: please check it.")
    if len(code) == 10:
        return None if rnokpp_valid(code) else gettext("This RNOKPP has a wrong check digit: please check it.")
    return gettext("EDRPOU has 8 digits, RNOKPP 10 digits.")


def legal_form_for(code: str) -> str:
    return Client.LegalForm.LEGAL_ENTITY if len(code or "") == 8 else Client.LegalForm.ENTREPRENEUR


def client_legal_update(*, client: Client, data: dict, actor=None) -> Client:
    """The client (owner) or staff update the legal details. A signed contract's details change
    only through staff."""
    values = {f: data[f] for f in LEGAL_FIELDS if f in data}
    for key in ("legal_name", "tax_code", "vat_number", "signatory_name", "signatory_position", "postal_address",
                "documents_email", "edi_provider"):
        if key in values:
            values[key] = (values[key] or "").strip()
    if values.get("tax_code"):
        if problem := tax_code_problem(values["tax_code"], values.get("legal_form", client.legal_form)):
            raise LegalDetailsInvalid(problem, field="tax_code")
    if values.get("vat_payer") and not re.fullmatch(r"\d{10,12}", values.get("vat_number", client.vat_number) or ""):
        raise LegalDetailsInvalid(gettext("A VAT payer gives the VAT payer number (IPN): 10 or 12 digits."), field="vat_number")
    if values.get("documents_email"):
        try:
            validate_email(values["documents_email"])
        except Exception:  # noqa: BLE001
            raise LegalDetailsInvalid(gettext("Enter a valid email address."), field="documents_email") from None
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        if client.contract_signed and not getattr(actor, "is_staff", False):
            frozen = [f for f in ("legal_form", "legal_name", "tax_code", "vat_payer", "vat_number")
                      if f in values and values[f] != getattr(client, f)]
            if frozen:
                raise LegalDetailsInvalid(gettext("The contract is signed: ask support to change the company's "
                                                  "legal name, code or VAT status."), field=frozen[0])
        changed = {f: v for f, v in values.items() if getattr(client, f) != v}
        for f, v in changed.items():
            setattr(client, f, v)
        client.save()
        if changed:
            audit_record(code="accounts.client.legal_updated", actor=actor, client=client,
                         target=str(client.public_id), details={"fields": sorted(changed)})
    return client


def _field_label(name: str) -> str:
    """A client field's label in the active language, lower case as in a list. The legal form has
    no verbose name of its own (its default "legal form" is not translated): the form's label."""
    if name == "legal_form":
        label = gettext("Legal form")
        return label[:1].lower() + label[1:]
    return str(Client._meta.get_field(name).verbose_name)


def contract_missing_fields(client: Client) -> list[str]:
    return [_field_label(f) for f in CONTRACT_NEEDS if not getattr(client, f)]


def client_contract_request(*, client: Client, actor=None) -> Client:
    """The client asks for a contract; staff prepare it, then set it signed."""
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        if client.contract_signed:
            raise ApplicationError(gettext("The contract is already signed."), code="contract_signed")
        if missing := contract_missing_fields(client):
            raise LegalDetailsInvalid("Fill these details first: " + ", ".join(missing) + ".")
        client.contract_status = Client.Contract.REQUESTED
        client.contract_requested_at = timezone.now()
        client.save(update_fields=["contract_status", "contract_requested_at", "updated_at"])
        audit_record(code="accounts.contract.requested", actor=actor, client=client, target=str(client.public_id))
    return client


def client_contract_sign(*, client: Client, actor=None, number: str = "", signed_at=None) -> Client:
    """Staff: the contract is signed (both parties)."""
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        client.contract_status = Client.Contract.SIGNED
        client.contract_signed_at = signed_at or timezone.now()
        if number:
            client.contract_number = number.strip()[:50]
        client.save(update_fields=["contract_status", "contract_signed_at", "contract_number", "updated_at"])
        audit_record(code="accounts.contract.signed", actor=actor, client=client, target=str(client.public_id),
                     details={"number": client.contract_number})
    return client


def client_flags_set(*, client: Client, actor=None, **flags) -> Client:
    """Staff flags: pay for delivered only, round-the-clock sending, Viber. The first and the last
    need a signed contract (R-BILL-06, R-VIB-01)."""
    unknown = set(flags) - set(FLAGS)
    if unknown:
        raise ApplicationError(gettext("Unknown flag(s): %(join)s.") % {"join": ', '.join(sorted(unknown))}, code="invalid")
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        needing = [f for f in FLAGS_NEED_CONTRACT if flags.get(f) and not getattr(client, f)]
        if needing and not client.contract_signed:
            labels = ", ".join(str(Client._meta.get_field(f).verbose_name) for f in needing)
            raise ApplicationError(gettext("%(labels)s: needs a signed contract.") % {"labels": labels}, code="contract_required")
        changed = {f: bool(v) for f, v in flags.items() if getattr(client, f) != bool(v)}
        for f, v in changed.items():
            setattr(client, f, v)
        client.save()
        if changed:
            audit_record(code="accounts.client.flags_set", actor=actor, client=client, target=str(client.public_id),
                         details=changed)
    return client
