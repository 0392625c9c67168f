"""Every write of the compliance app."""
import logging
from datetime import date

from django.db import IntegrityError, transaction

from accounts.models import Client
from accounts.services import audit_record
from smsportal.errors import ApplicationError
from smsportal.message_types import MessageType
from smsportal.phones import normalize_phone

from .content import (  # noqa: F401 (content screening, R-CMP-01/02/04/10/11)
    ContentRefused,
    content_assert_sendable,
    content_screen,
    content_screen_many,
)
from .models import CalendarDay, OptOut, SendingHoursExemption

log = logging.getLogger("smsportal.compliance")


class ContractRequired(ApplicationError):
    """R-CMP-11: advertising texts need a signed contract. 403: the request is well formed and
    would succeed unchanged once the contract is signed; it is this account that may not do it yet."""

    code = "contract_required"
    status = 403
    default_detail = ("Advertising messages need a signed contract. Send them as service messages, "
                      "or request the contract on the Company and contract page.")


def message_type_check(*, client: Client, message_type: str) -> None:
    """Whether `client` may send texts of `message_type` (R-CMP-11): advertising only with a
    signed contract. Raises ContractRequired; the callers check before anything is stored or held."""
    if message_type == MessageType.ADVERTISING and not client.contract_signed:
        raise ContractRequired()


def _e164(phone: str) -> str:
    """The number as sends spell their recipients (smsportal.phones): `0671234567` and
    `380671234567` are `+380671234567`. A number no send could reach keeps its digits."""
    phone = (phone or "").strip()
    if normalized := normalize_phone(phone):
        return normalized
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"+{digits}" if digits else phone


def opt_out_record(*, client: Client | int, phone: str, source: str = OptOut.Source.REPLY, note: str = "") -> OptOut:
    """Records that `phone` asked `client` to stop (R-CMP-05): nothing more goes to it from that
    client. Idempotent: the first record stays (its source and date are the evidence)."""
    client_id = client if isinstance(client, int) else client.pk
    phone = _e164(phone)
    existing = OptOut.objects.filter(client_id=client_id, phone=phone).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            opt_out = OptOut.objects.create(client_id=client_id, phone=phone, source=source, note=note[:300])
    except IntegrityError:  # recorded at the same moment by another process
        return OptOut.objects.get(client_id=client_id, phone=phone)
    log.info("opt-out: %s from client %s (%s)", phone, client_id, source)
    return opt_out


def opt_outs_personal_data_destroy(*, client: Client) -> int:
    """compliance's part of destroying a terminated client's data (R-ACC-08): the client's stop
    list (recipients' numbers) is deleted. Returns how many entries went."""
    return OptOut.objects.filter(client=client).delete()[0]


class ExemptionNotAllowed(ApplicationError):
    """R-CMP-07: only service messages may go round the clock; advertising keeps the window."""

    code = "exemption_not_allowed"
    status = 400
    default_detail = "Only service messages can be sent round the clock; advertising keeps the legal sending hours."


def sending_hours_exemption_grant(*, client: Client, message_type: str = MessageType.SERVICE,
                                  granted_by=None, note: str = "") -> SendingHoursExemption:
    """Staff approve `client`'s messages of `message_type` for round-the-clock sending (R-CMP-07:
    codes, bank confirmations, taxi). Service messages only (ExemptionNotAllowed). Idempotent:
    an existing grant stays as it was (who granted it and when)."""
    if message_type != MessageType.SERVICE:
        raise ExemptionNotAllowed()
    with transaction.atomic():
        exemption, created = SendingHoursExemption.objects.get_or_create(
            client=client, message_type=message_type, defaults={"granted_by": granted_by, "note": note[:300]})
        if created:
            audit_record(code="compliance.sending_hours.exempted", actor=granted_by, client=client,
                         target=message_type, details={"note": note[:300]})
    return exemption


def sending_hours_exemption_cap_set(*, client: Client, exempt: bool, actor=None) -> bool:
    """Staff exempt `client`'s service messages approved for round-the-clock sending from the
    10-a-day cap too (R-CMP-03: one-time codes), or take that back. Only on an existing
    round-the-clock exemption. Whether anything changed (audited when it did)."""
    with transaction.atomic():
        changed = SendingHoursExemption.objects.filter(
            client=client, message_type=MessageType.SERVICE).exclude(frequency_cap_exempt=exempt).update(
            frequency_cap_exempt=exempt)
        if changed:
            audit_record(code="compliance.frequency_cap." + ("exempted" if exempt else "exemption_revoked"),
                         actor=actor, client=client, target=MessageType.SERVICE)
    return bool(changed)


def sending_hours_exemption_revoke(*, client: Client, message_type: str = MessageType.SERVICE,
                                   actor=None) -> bool:
    """`client`'s messages of `message_type` keep the sending window again. Whether a grant went."""
    with transaction.atomic():
        deleted = SendingHoursExemption.objects.filter(client=client, message_type=message_type).delete()[0]
        if deleted:
            audit_record(code="compliance.sending_hours.exemption_revoked", actor=actor, client=client,
                         target=message_type)
    return bool(deleted)


def calendar_day_set(*, day: date, kind: str, note: str = "") -> CalendarDay:
    """Staff's word on one Kyiv day for the sending window (R-CMP-07): a business day or a
    weekend or public holiday, whatever the weekday and the `holidays` calendar say."""
    if kind not in CalendarDay.Kind.values:
        raise ApplicationError(f"Unknown kind of day: {kind!r}.", code="invalid_day_kind")
    day_row, _ = CalendarDay.objects.update_or_create(date=day, defaults={"kind": kind, "note": note[:300]})
    return day_row


def calendar_day_clear(*, day: date) -> bool:
    """`day` follows the weekday and the `holidays` calendar again."""
    return bool(CalendarDay.objects.filter(date=day).delete()[0])
