"""Every write of the senders app: requests, moderation, national status, Viber registration."""
import csv
import io
import logging
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models.functions import Upper
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy

from accounts.models import Client, User
from accounts.selectors import client_language_get
from accounts.services import audit_record, client_assert_can_send, tax_code_problem
from smsportal.errors import ApplicationError, NotFound

from .models import Channel, FirstNameAllowance, NationalRegistration, Operator, SenderName
from .validation import (brand_of, content_refusal, never_national_reasons, sender_name_problem, skeletons,
                         viber_name_problem, word_lists_load)

log = logging.getLogger("smsportal.senders")

PROOF_TYPES = {b"%PDF-": ("application/pdf", "pdf"), b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
               b"\xff\xd8\xff": ("image/jpeg", "jpg")}


def proof_max_bytes() -> int:
    return getattr(settings, "SMSPORTAL_SENDER_PROOF_MAX_BYTES", 5 * 1024 * 1024)


def viber_sender_fee() -> Decimal:
    """The Viber sender-name registration fee in UAH (R-SND-07): the current price list's, or the
    SMSPORTAL_VIBER_SENDER_FEE setting when the list has none (or there is no list yet)."""
    from billing.exceptions import NoTariff  # noqa: PLC0415 (billing sits below senders)
    from billing.services import tariff_current  # noqa: PLC0415

    try:
        fee = tariff_current().viber_sender_fee
    except NoTariff:
        fee = None
    if fee is not None:
        return fee.amount
    return Decimal(str(getattr(settings, "SMSPORTAL_VIBER_SENDER_FEE", "3000")))


def viber_shared_sender() -> str:
    """The provider's own Viber sender: test messages, and until the client's own is registered."""
    return getattr(settings, "SMSPORTAL_VIBER_SHARED_SENDER", "smsportal")


class SenderNameInvalid(ApplicationError):
    code = "sender_name_invalid"

    def __init__(self, detail: str, *, reason: str):
        super().__init__(detail, extra={"reason": reason})
        self.reason = reason


class SenderNameTaken(ApplicationError):
    code = "sender_name_taken"
    status = 409
    default_detail = gettext_lazy("This sender name is already registered.")


class SenderNotApproved(ApplicationError):
    code = "sender_not_approved"
    status = 400


class SenderStateError(ApplicationError):
    code = "sender_state"
    status = 409


class NationalListInvalid(ApplicationError):
    code = "national_list_invalid"


# ---- requests ---------------------------------------------------------------------------------

def proof_check(upload) -> str:
    """The content type of an uploaded proof document, or SenderNameInvalid (R-SND-03)."""
    if upload.size > proof_max_bytes():
        raise SenderNameInvalid(gettext("The document is %(size_1048576)s MB; the limit is %(proof_max_bytes)s MB.") % {
            "size_1048576": f"{upload.size / 1048576:.1f}", "proof_max_bytes": proof_max_bytes() // 1048576}, reason="proof_invalid")
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    for magic, (content_type, _ext) in PROOF_TYPES.items():
        if head.startswith(magic):
            return content_type
    raise SenderNameInvalid(gettext("The document must be a PDF, PNG or JPEG file."), reason="proof_invalid")


def _owner_of_same_name(name: str, *, client: Client) -> SenderName | None:
    """A live (not rejected) name of any channel spelled like `name`, or one that only looks
    like it, held by another client (R-SND-08)."""
    live = SenderName.objects.exclude(status=SenderName.Status.REJECTED).exclude(client=client)
    same = live.annotate(u=Upper("name")).filter(u=name.upper()).first()
    if same:
        return same
    skel = skeletons(name)
    for other in live.only("name", "client_id"):
        if skeletons(other.name) & skel:
            return other
    return None


def _description(data: dict | None) -> dict:
    """The description fields given; the company's EDRPOU/RNOKPP must carry a valid check digit."""
    data = data or {}
    values = {f: (data.get(f) or "").strip() for f in SenderName.DESCRIPTION_FIELDS if f in data}
    if code := "".join(values.get("company_code", "").split()):
        if problem := tax_code_problem(code):
            raise SenderNameInvalid(problem, reason="company_code")
        values["company_code"] = code
    return values


def sender_name_request(*, client: Client, name: str, actor=None, channel: str = Channel.SMS, proof=None,
                        description: dict | None = None) -> SenderName:
    """A client asks for a name; after the automatic rules it waits for staff (R-SND-01…04, 07, 08).

    A Viber name is a paid registration (R-SND-07): the fee is charged here, in the same
    transaction that stores the request, and refunded if staff reject it."""
    name = (name or "").strip()
    if channel not in Channel.values:
        raise SenderNameInvalid(gettext("The channel is 'sms' or 'viber'."), reason="format")
    client_assert_can_send(client)
    problem = sender_name_problem(name) if channel == Channel.SMS else viber_name_problem(name)
    if problem:
        raise SenderNameInvalid(problem, reason="format")
    if SenderName.objects.filter(client=client, channel=channel, name__iexact=name).exclude(
            status=SenderName.Status.REJECTED).exists():
        raise SenderNameTaken(gettext("The sender name '%(name)s' is already registered for your account.") % {
            "name": name})
    if _owner_of_same_name(name, client=client):
        raise SenderNameTaken(gettext("The sender name '%(name)s' is already registered by another company: one "
                                      "sender name serves one company.") % {
            "name": name})
    lists = word_lists_load()
    allowed = frozenset(s for n in FirstNameAllowance.objects.filter(client=client).values_list("name", flat=True)
                        for s in skeletons(n))
    if refusal := content_refusal(name, lists=lists, channel=channel, has_proof=proof is not None,
                                  allowed_first_names=allowed):
        raise SenderNameInvalid(refusal.detail, reason=refusal.reason)
    brand = brand_of(name, lists=lists) or ""
    if brand and proof is None:
        raise SenderNameInvalid(gettext("'%(name)s' is a well-known brand (%(brand)s). Attach a letter or "
                                        "agreement from the brand owner that gives your company the right to use "
                                        "it (PDF, PNG or JPEG).") % {
            "name": name, "brand": brand},
                                reason="brand_proof_required")
    content_type = proof_check(proof) if proof is not None else ""
    try:
        with transaction.atomic():
            sender = SenderName(client=client, name=name, channel=channel, brand=brand[:100],
                                proof_content_type=content_type, **_description(description))
            if sender.description_complete:
                sender.description_updated_at = timezone.now()
            if proof is not None:
                sender.proof.save(proof.name or "proof", proof, save=False)
            sender.save()
            if channel == Channel.VIBER:
                _viber_fee_charge(sender)
            audit_record(code="senders.name.requested", actor=actor, client=client, target=name,
                         details={"channel": channel, "brand": brand, "proof": bool(proof)})
    except IntegrityError:
        raise SenderNameTaken(gettext("The sender name '%(name)s' is already registered.") % {"name": name}) from None
    return sender


def _viber_fee_charge(sender: SenderName) -> None:
    from billing.services import wallet_charge  # noqa: PLC0415 (billing sits below senders)

    key = f"viber-sender-fee:{sender.public_id}"
    wallet_charge(client=sender.client, amount=viber_sender_fee(), key=key,
                  description=f"Viber sender name registration: {sender.name}")
    sender.fee_charge_key = key
    sender.save(update_fields=["fee_charge_key", "updated_at"])


def sender_description_update(*, client: Client, public_id, data: dict, actor=None) -> SenderName:
    """The client fills the description operators need for a national name (R-SND-05)."""
    with transaction.atomic():
        sender = SenderName.objects.select_for_update().filter(client=client, public_id=public_id).first()
        if sender is None:
            raise NotFound(gettext("No such sender name."))
        if sender.channel != Channel.SMS:
            raise SenderStateError(gettext("Only SMS names can be national."))
        for field, value in _description(data).items():
            setattr(sender, field, value)
        sender.description_updated_at = timezone.now()
        sender.save()
        audit_record(code="senders.name.described", actor=actor, client=client, target=sender.name,
                     details={"complete": sender.description_complete})
    return sender


# ---- moderation (R-SND-04) -----------------------------------------------------------------

def _notify_client(sender: SenderName) -> None:
    """Email the client's owners about a decision (the website shows it on the senders page)."""
    emails = list(User.objects.filter(client_id=sender.client_id, is_active=True, role=User.Role.OWNER)
                  .values_list("email", flat=True))
    if not emails:
        return
    with translation.override(client_language_get(sender.client)):
        names = {"name": sender.name}
        if sender.status == SenderName.Status.APPROVED:
            subject = gettext("Sender name %(name)s approved") % names
            body = gettext("Your sender name '%(name)s' is approved: you can send with it now.") % names
        elif sender.status == SenderName.Status.REJECTED:
            subject = gettext("Sender name %(name)s rejected") % names
            body = (gettext("Your sender name '%(name)s' was rejected.") % names + "\n\n"
                    + gettext("Reason: %(reason)s") % {"reason": sender.rejection_reason})
        else:
            status = str(sender.get_status_display())
            subject = gettext("Sender name %(name)s: %(status)s") % {**names, "status": status.lower()}
            body = gettext("Your sender name '%(name)s' is now: %(status)s.") % {**names, "status": status}
    prefix = getattr(settings, "ACCOUNT_EMAIL_SUBJECT_PREFIX", "")
    try:
        send_mail(prefix + subject, body, None, emails)
    except Exception:  # noqa: BLE001 (a mail outage must not undo a staff decision)
        log.exception("could not email the decision on sender %s", sender.pk)


def _decide(*, sender_id: int, status: str, actor, reason: str = "", allowed_from: tuple) -> SenderName:
    try:
        with transaction.atomic():
            sender = SenderName.objects.select_for_update().select_related("client").filter(pk=sender_id).first()
            if sender is None:
                raise NotFound(gettext("No such sender name."))
            if sender.status == status and status != SenderName.Status.REJECTED:
                return sender
            if sender.status not in allowed_from:
                raise SenderStateError(gettext("'%(name)s' is %(get_status_display)s; it cannot become %(status)s "
                                               "now.") % {
                    "name": sender.name, "get_status_display": sender.get_status_display().lower(), "status": SenderName.Status(status).label.lower()})
            if (status == SenderName.Status.APPROVED and sender.channel == Channel.VIBER
                    and sender.status == SenderName.Status.REJECTED):
                raise SenderStateError(gettext("A rejected Viber name was refunded: the client requests it again."))
            previous = sender.status
            sender.status = status
            sender.rejection_reason = reason
            sender.decided_by = actor if getattr(actor, "is_authenticated", False) else None
            sender.decided_at = timezone.now()
            sender.save(update_fields=["status", "rejection_reason", "decided_by", "decided_at", "updated_at"])
            if status == SenderName.Status.REJECTED and sender.fee_charge_key and previous != status:
                _viber_fee_refund(sender)
            audit_record(code=f"senders.name.{status}", actor=actor, client=sender.client, target=sender.name,
                         details={"reason": reason} if reason else {})
            transaction.on_commit(lambda: _notify_client(sender))
    except IntegrityError:
        raise SenderNameTaken(gettext("Another company holds this name now: it cannot be approved.")) from None
    return sender


def _viber_fee_refund(sender: SenderName) -> None:
    """Gives back exactly what was charged, whatever the price list says today."""
    from billing.models import LedgerEntry  # noqa: PLC0415
    from billing.services import wallet_refund  # noqa: PLC0415

    charged = (LedgerEntry.objects.filter(wallet__client_id=sender.client_id, idempotency_key=sender.fee_charge_key)
               .values_list("amount", flat=True).first())
    if charged is None:
        log.error("no fee charge %s for Viber sender %s: nothing refunded", sender.fee_charge_key, sender.pk)
        return
    wallet_refund(client_id=sender.client_id, amount=abs(Decimal(charged)),
                  key=f"viber-sender-refund:{sender.public_id}",
                  description=f"Viber sender name {sender.name} rejected: fee refunded",
                  charge_key=sender.fee_charge_key)


S = SenderName.Status


def sender_name_approve(*, sender_id: int, actor=None) -> SenderName:
    return _decide(sender_id=sender_id, status=S.APPROVED, actor=actor, allowed_from=(S.PENDING, S.SUBMITTED, S.REJECTED))


def sender_name_reject(*, sender_id: int, reason: str, actor=None) -> SenderName:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(gettext("A rejection needs a reason the client will see."), code="reason_required")
    return _decide(sender_id=sender_id, status=S.REJECTED, actor=actor, reason=reason,
                   allowed_from=(S.PENDING, S.SUBMITTED, S.APPROVED))


def viber_sender_submit(*, sender_id: int, actor=None) -> SenderName:
    """Staff sent the Viber name to Viber for registration (R-SND-07)."""
    sender = SenderName.objects.filter(pk=sender_id).only("channel").first()
    if sender is not None and sender.channel != Channel.VIBER:
        raise SenderStateError(gettext("Only Viber names are submitted to Viber."))
    return _decide(sender_id=sender_id, status=S.SUBMITTED, actor=actor, allowed_from=(S.PENDING,))


def first_name_allow(*, client: Client, name: str, note: str = "", actor=None) -> FirstNameAllowance:
    """Staff allow a personal first name for a company of that name (R-SND-02)."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError(gettext("Enter the name to allow."), code="invalid")
    allowance, _ = FirstNameAllowance.objects.get_or_create(
        client=client, name=name, defaults={"note": note, "created_by": actor if getattr(actor, "pk", None) else None})
    audit_record(code="senders.first_name.allowed", actor=actor, client=client, target=name, details={"note": note})
    return allowance


# ---- national vs international (R-SND-05, R-SND-06) -------------------------------------------

def national_block_reasons(sender: SenderName) -> list[str]:
    """Why this name cannot be national now (empty: it may be)."""
    reasons = []
    if sender.channel != Channel.SMS:
        reasons.append("only SMS names are national")
    if sender.status != S.APPROVED:
        reasons.append("it is not approved")
    if not sender.description_complete:
        reasons.append("the client has not filled all description fields")
    if sender.international_reason:
        reasons.append(f"staff keep it international: {sender.international_reason}")
    reasons += never_national_reasons(sender.name, lists=word_lists_load())
    return reasons


def sender_national_set(*, sender_id: int, operator: str, national: bool, actor=None, source: str = "staff",
                        at=None) -> NationalRegistration:
    """Records an operator's decision on an SMS name (R-SND-05). National only when nothing of
    R-SND-06 keeps it international."""
    if operator not in Operator.values:
        raise ApplicationError(gettext("Unknown operator '%(operator)s'.") % {"operator": operator}, code="invalid_operator")
    with transaction.atomic():
        sender = SenderName.objects.select_for_update().filter(pk=sender_id).first()
        if sender is None:
            raise NotFound(gettext("No such sender name."))
        if national and (reasons := national_block_reasons(sender)):
            raise SenderStateError(gettext("'%(name)s' cannot be national: %(join)s.") % {
                "name": sender.name, "join": '; '.join(reasons)})
        status = NationalRegistration.Status.NATIONAL if national else NationalRegistration.Status.INTERNATIONAL
        reg, _ = NationalRegistration.objects.update_or_create(
            sender=sender, operator=operator,
            defaults={"status": status, "source": source[:100], "decided_at": at or timezone.now()})
        audit_record(code=f"senders.name.{status}", actor=actor, client=sender.client, target=sender.name,
                     details={"operator": operator, "source": source})
    return reg


def sender_international_force(*, sender_id: int, reason: str, actor=None) -> SenderName:
    """Staff keep a name international whatever operators say (or clear that with reason='')."""
    with transaction.atomic():
        sender = SenderName.objects.select_for_update().filter(pk=sender_id).first()
        if sender is None:
            raise NotFound(gettext("No such sender name."))
        sender.international_reason = (reason or "").strip()[:300]
        sender.save(update_fields=["international_reason", "updated_at"])
        if sender.international_reason:
            sender.registrations.filter(status=NationalRegistration.Status.NATIONAL).update(
                status=NationalRegistration.Status.INTERNATIONAL, source="staff", decided_at=timezone.now())
        audit_record(code="senders.name.international_forced", actor=actor, client=sender.client,
                     target=sender.name, details={"reason": sender.international_reason})
    return sender


_OPERATOR_ALIASES = {"kyivstar": "kyivstar", "kievstar": "kyivstar", "ks": "kyivstar", "vodafone": "vodafone",
                     "mts": "vodafone", "lifecell": "lifecell", "life": "lifecell"}


def national_list_import(*, data: bytes | str, actor=None, filename: str = "") -> dict:
    """The weekly national-list update (R-SND-05, section 7): a CSV with columns `name`,
    `operator` (kyivstar, vodafone, lifecell) and `status` (national or international).

    Every row is applied or the whole file is refused; a name listed national that R-SND-06
    keeps international is reported, not applied. Returns counts and problems."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    reader = csv.DictReader(io.StringIO(text))
    headers = {h.strip().lower() for h in (reader.fieldnames or [])}
    if not {"name", "operator", "status"} <= headers:
        raise NationalListInvalid(gettext("The file needs the columns name, operator and status."))
    source = f"list {filename or 'upload'} {timezone.localdate():%Y-%m-%d}"
    result = {"national": 0, "international": 0, "unchanged": 0, "problems": []}
    rows = []
    for lineno, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        operator = _OPERATOR_ALIASES.get(row["operator"].lower())
        status = row["status"].lower()
        if operator is None or status not in ("national", "international"):
            raise NationalListInvalid(gettext("Line %(lineno)s: operator must be kyivstar, vodafone or lifecell "
                                              "and status national or international.") % {
                "lineno": lineno})
        rows.append((lineno, row["name"], operator, status))
    with transaction.atomic():
        for lineno, name, operator, status in rows:
            sender = SenderName.objects.filter(channel=Channel.SMS, name__iexact=name).exclude(
                status=S.REJECTED).first()
            if sender is None:
                result["problems"].append(f"Line {lineno}: no sender name '{name}'.")
                continue
            current = sender.registrations.filter(operator=operator).values_list("status", flat=True).first()
            if current == status:
                result["unchanged"] += 1
                continue
            try:
                sender_national_set(sender_id=sender.pk, operator=operator, national=status == "national",
                                    actor=actor, source=source)
            except SenderStateError as exc:
                result["problems"].append(f"Line {lineno}: {exc.detail}")
                continue
            result[status] += 1
        audit_record(code="senders.national_list.imported", actor=actor, target=filename[:200],
                     details={k: v for k, v in result.items() if k != "problems"} | {"problems": len(result["problems"])})
    return result


def sender_names_personal_data_destroy(*, client: Client) -> int:
    """senders' part of destroying a terminated client's data (R-ACC-08): sender names keep the
    name, status and dates, and lose the proof file and the company details and texts of the
    request. Returns how many names were changed."""
    with transaction.atomic():
        for sender in SenderName.objects.filter(client=client).exclude(proof=""):
            sender.proof.delete(save=False)
        return SenderName.objects.filter(client=client).update(
            proof="", company_name="", company_code="", website="", purpose="", sample_text="")
