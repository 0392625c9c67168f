"""Every write of the compliance app."""
import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Client
from accounts.services import audit_record
from smsportal.errors import ApplicationError, NotFound
from smsportal.message_types import MessageType
from smsportal.phones import normalize_phone

from .content import (  # noqa: F401 (content screening, R-CMP-01/02/04/10/11)
    ContentRefused,
    content_assert_sendable,
    content_screen,
    content_screen_many,
)
from .content import approved_text_forget, approved_text_remember  # noqa: F401 (approved texts, R-CMP-02)
from .trademarks import (  # noqa: F401 (trademark proofs of rights in Viber texts, R-VIB-10)
    TrademarkProofRequired, trademark_proof_assert, trademark_proof_decide, trademark_proof_provide,
    trademark_proof_request)
from .models import CalendarDay, ComplianceSettings, Consent, OptOut, SendingHoursExemption

log = logging.getLogger("smsportal.compliance")


class ContractRequired(ApplicationError):
    """R-CMP-11: advertising texts need a signed contract. 403: the request is well formed and
    would succeed unchanged once the contract is signed; it is this account that may not do it yet."""

    code = "contract_required"
    status = 403
    default_detail = _("Advertising messages need a signed contract. Send them as service messages, "
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
    list and consents (recipients' numbers, names and proofs) are deleted. Returns how many
    stop-list entries went."""
    for consent in Consent.objects.filter(client=client).exclude(proof_file=""):
        consent.proof_file.delete(save=False)
    Consent.objects.filter(client=client).delete()
    return OptOut.objects.filter(client=client).delete()[0]


class ExemptionNotAllowed(ApplicationError):
    """R-CMP-07: only service messages may go round the clock; advertising keeps the window."""

    code = "exemption_not_allowed"
    status = 400
    default_detail = _("Only service messages can be sent round the clock; advertising keeps the legal sending hours.")


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


# --- stop lists (R-CMP-05, 12, 13) ----------------------------------------------------------------

class StopListError(ApplicationError):
    code = "stop_list_error"


class InvalidPhone(ApplicationError):
    code = "invalid_phone"
    default_detail = _("Enter a phone number, e.g. +380671234567 or 0671234567.")


class ConsentRequired(ApplicationError):
    """T 3.2.2.1: a recipient who opted out gets messages again only after a new consent."""

    code = "consent_required"
    status = 409
    default_detail = _("This number opted out. It can leave the stop list only after you record the "
                        "recipient's new consent (given after the opt-out) on the Consents page.")


class CsvFileInvalid(ApplicationError):
    code = "invalid_file"
    default_detail = _("The file could not be read as CSV.")


def _phone(raw) -> str:
    """The E.164 spelling of a number a client typed, or InvalidPhone."""
    phone = normalize_phone(str(raw or "").strip()) if isinstance(raw, str | int) else None
    if not phone:
        raise InvalidPhone()
    return phone


def stop_list_add(*, client: Client, phone: str, note: str = "", actor=None,
                  source: str = OptOut.Source.CLIENT) -> tuple[OptOut, bool]:
    """Puts `phone` on the client's stop list (a request to the client, or staff's entry): nothing
    more goes to it from this client until a new consent (R-CMP-05). Returns (entry, created);
    a number already there keeps its first entry (its source and date are the evidence)."""
    phone = _phone(phone)
    with transaction.atomic():
        existing = OptOut.objects.filter(client=client, phone=phone).first()
        if existing:
            return existing, False
        entry = opt_out_record(client=client, phone=phone, source=source, note=note)
        if getattr(actor, "pk", None) and entry.created_by_id is None:
            OptOut.objects.filter(pk=entry.pk).update(created_by=actor)
        audit_record(code="compliance.stop_list.added", actor=actor, client=client, target=phone,
                     details={"source": source, "note": note[:300]})
    return entry, True


def stop_list_remove(*, client: Client, phone: str, actor=None, staff: bool = False) -> None:
    """Takes `phone` off the client's stop list. A number that opted out itself (a STOP reply) or
    that staff entered leaves it only once a consent given after the opt-out is recorded
    (ConsentRequired, T 3.2.2.1); the client's own entries go at once. Staff (`staff`) may
    remove any entry. NotFound when the number is not on the list."""
    if not OptOut.objects.filter(client=client, phone=phone).exists():  # else as sends spell it
        phone = _phone(phone)
    with transaction.atomic():
        entry = OptOut.objects.select_for_update().filter(client=client, phone=phone).first()
        if entry is None:
            raise NotFound(gettext("This number is not on your stop list."))
        if not staff and entry.source != OptOut.Source.CLIENT and entry.resumed_at is None:
            raise ConsentRequired()
        entry.delete()
        audit_record(code="compliance.stop_list.removed", actor=actor, client=client, target=phone,
                     details={"source": entry.source, "opted_out_at": entry.created_at.isoformat(),
                              "by_staff": staff})


MAX_IMPORT_ROWS = 100_000
MAX_IMPORT_BYTES = 10 * 1024 * 1024
MAX_REPORTED = 100


@dataclass
class ImportReport:
    rows: int = 0
    added: int = 0
    existing: int = 0  # already there (stop list) or the same consent again
    invalid: int = 0
    errors: list[dict] = field(default_factory=list)  # the first {"row", "value", "reason"}

    def error(self, row: int, value, reason: str) -> None:
        self.invalid += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append({"row": row, "value": str(value or "")[:40], "reason": reason})

    def as_dict(self) -> dict:
        return {"rows": self.rows, "added": self.added, "existing": self.existing, "invalid": self.invalid,
                "errors": self.errors}


_HEADER_ALIASES = {"телефон": "phone", "номер": "phone", "phone number": "phone", "number": "phone", "tel": "phone",
                   "msisdn": "phone", "ім'я": "name", "имя": "name", "примітка": "note", "комментарий": "note",
                   "comment": "note", "date": "given_at", "дата": "given_at", "channel": "channels"}


def _csv_rows(upload, *, columns: tuple[str, ...]) -> list[tuple[int, dict]]:
    """(row number, {column: value}) of an uploaded CSV (UTF-8 or Windows-1251; comma, semicolon
    or tab). A first row naming the columns sets their order; else they are `columns` in order.
    Bad files raise CsvFileInvalid with the reason."""
    data = upload.read(MAX_IMPORT_BYTES + 1) if hasattr(upload, "read") else bytes(upload or b"")
    if isinstance(data, str):
        data = data.encode()
    if not data.strip():
        raise CsvFileInvalid(gettext("The file is empty."))
    if len(data) > MAX_IMPORT_BYTES:
        raise CsvFileInvalid(gettext("The file is larger than %(mb)s MB.") % {"mb": MAX_IMPORT_BYTES // 1048576})
    if b"\x00" in data:
        raise CsvFileInvalid(gettext("This is not a CSV file (it looks like a binary file, e.g. an Excel workbook). "
                                   "Save it as CSV and upload again."))
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise CsvFileInvalid(gettext("The file is not text in UTF-8 or Windows-1251. Save it as CSV (UTF-8) and upload again."))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        raw_rows = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        raise CsvFileInvalid(gettext("The file is not valid CSV: %(error)s.") % {"error": exc}) from None
    raw_rows = [(n, r) for n, r in enumerate(raw_rows, start=1) if any(c.strip() for c in r)]
    if not raw_rows:
        raise CsvFileInvalid(gettext("The file has no rows."))
    order = list(columns)
    first = [_HEADER_ALIASES.get(c.strip().lower(), c.strip().lower()) for c in raw_rows[0][1]]
    if "phone" in first:
        order = first
        raw_rows = raw_rows[1:]
    elif first and not normalize_phone(first[0]) and any(ch.isalpha() for ch in first[0]):
        raise CsvFileInvalid(gettext("The first column must hold phone numbers, or the first row must name the columns "
                                   "(%(columns)s).") % {"columns": ", ".join(columns)})
    if len(raw_rows) > MAX_IMPORT_ROWS:
        raise CsvFileInvalid(gettext("At most %(n)s rows in one file.") % {"n": number_format(MAX_IMPORT_ROWS, force_grouping=True)})
    return [(n, {name: (r[i].strip() if i < len(r) else "") for i, name in enumerate(order)}) for n, r in raw_rows]


def stop_list_import(*, client: Client, upload, actor=None) -> ImportReport:
    """Adds the numbers of a CSV (columns phone, note) to the client's stop list. Bad rows are
    reported, numbers already there are kept as they were."""
    rows = _csv_rows(upload, columns=("phone", "note"))
    report = ImportReport(rows=len(rows))
    phones: dict[str, str] = {}
    for n, row in rows:
        phone = normalize_phone(row.get("phone", ""))
        if not phone:
            report.error(n, row.get("phone"), gettext("not a phone number"))
            continue
        phones.setdefault(phone, row.get("note", "")[:300])
    with transaction.atomic():
        existing = set(OptOut.objects.filter(client=client, phone__in=list(phones)).values_list("phone", flat=True))
        new = [OptOut(client=client, phone=p, source=OptOut.Source.CLIENT, note=note)
               for p, note in phones.items() if p not in existing]
        OptOut.objects.bulk_create(new, ignore_conflicts=True, batch_size=5000)
        report.added = len(new)
        report.existing = len(rows) - report.invalid - report.added
        audit_record(code="compliance.stop_list.imported", actor=actor, client=client,
                     details={k: v for k, v in report.as_dict().items() if k != "errors"})
    return report


def global_opt_out_add(*, phone: str, source: str = OptOut.Source.PROVIDER, note: str = "",
                       actor=None) -> tuple[OptOut, bool]:
    """Puts `phone` on the global stop list: nothing goes to it from any client (R-CMP-05, T 3.2.2.2).
    No consent a client records lifts it; only staff remove it. Returns (entry, created)."""
    phone = _phone(phone)
    if source not in OptOut.Source.values:
        raise StopListError(f"Unknown source: {source!r}.", code="invalid_source")
    actor_user = actor if getattr(actor, "pk", None) else None
    try:
        with transaction.atomic():
            entry, created = OptOut.objects.get_or_create(
                client=None, phone=phone, defaults={"source": source, "note": note[:300], "created_by": actor_user})
            if created:
                audit_record(code="compliance.global_stop_list.added", actor=actor, target=phone,
                             details={"source": source, "note": note[:300]})
    except IntegrityError:  # added at the same moment by another request
        return OptOut.objects.get(client=None, phone=phone), False
    return entry, created


def global_opt_out_remove(*, phone: str, actor=None) -> bool:
    """Takes `phone` off the global stop list (staff only). Whether it was there."""
    with transaction.atomic():
        deleted = OptOut.objects.filter(client=None, phone=phone).delete()[0]
        if deleted:
            audit_record(code="compliance.global_stop_list.removed", actor=actor, target=phone)
    return bool(deleted)


def _resumed_sync(client_id: int, phones) -> None:
    """Keeps `OptOut.resumed_at` of the client's stop-list entries of `phones` right after their
    consents changed: the earliest valid SMS consent given after the opt-out, else empty (T 3.2.2.1).
    One statement; the "optouts" cache counter moves with it (the table's trigger)."""
    phones = list(set(phones))
    if not phones:
        return
    table, consents = OptOut._meta.db_table, Consent._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {table} AS stop SET resumed_at = r.first FROM ("
            f"  SELECT o.id, (SELECT min(c.given_at) FROM {consents} AS c WHERE c.client_id = o.client_id "
            f"    AND c.phone = o.phone AND c.sms AND c.withdrawn_at IS NULL AND c.given_at > o.created_at) AS first "
            f"  FROM {table} AS o WHERE o.client_id = %s AND o.phone = ANY(%s::text[])) AS r "
            f"WHERE stop.id = r.id AND stop.resumed_at IS DISTINCT FROM r.first", [client_id, phones])


# --- consent (R-CMP-06) ------------------------------------------------------------------------------

class ConsentError(ApplicationError):
    code = "invalid_consent"


MAX_PROOF_BYTES = 10 * 1024 * 1024


def _aware(value) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    if isinstance(value, date):
        return timezone.make_aware(datetime.combine(value, time()))
    raise ConsentError(gettext("Give the date the consent was given."), code="invalid_date")


def consent_record(*, client: Client, phone: str, given_at=None, name: str = "", sms: bool = True,
                   viber: bool = False, company: str = "", source: str = "", proof_text: str = "",
                   proof_file=None, actor=None) -> Consent:
    """Records one recipient's consent (R-CMP-06): for SMS and/or Viber, given to `company`
    (the client's name when empty), how (`source`), with its proof (text and/or a file), when
    (`given_at`, not in the future; now when empty). A consent given after the number opted out
    lets messages on its channels resume (T 3.2.2.1)."""
    phone = _phone(phone)
    if not (sms or viber):
        raise ConsentError(gettext("Choose the channel(s) the consent covers: SMS, Viber or both."), code="no_channel")
    now = timezone.now()
    given_at = _aware(given_at) if given_at else now
    if given_at > now + timedelta(minutes=5):
        raise ConsentError(gettext("The consent date is in the future."), code="invalid_date")
    if proof_file is not None and getattr(proof_file, "size", 0) > MAX_PROOF_BYTES:
        raise ConsentError(gettext("The proof file is larger than %(mb)s MB.") % {"mb": MAX_PROOF_BYTES // 1048576},
                           code="proof_too_large")
    with transaction.atomic():
        consent = Consent(client=client, phone=phone, given_at=given_at, name=(name or "")[:200], sms=bool(sms),
                          viber=bool(viber), company=(company or client.name)[:200], source=(source or "")[:200],
                          proof_text=proof_text or "", created_by=actor if getattr(actor, "pk", None) else None)
        if proof_file is not None:
            consent.proof_file.save(getattr(proof_file, "name", "") or "proof", proof_file, save=False)
        consent.save()
        _resumed_sync(client.pk, [phone])
        audit_record(code="compliance.consent.recorded", actor=actor, client=client, target=phone,
                     details={"consent": consent.pk, "channels": consent.channels, "given_at": given_at.isoformat(),
                              "source": consent.source})
    return consent


def consent_withdraw(*, client: Client, consent_id, actor=None, at=None) -> Consent:
    """The recipient withdrew this consent: from `at` (now) it no longer counts. Idempotent."""
    with transaction.atomic():
        consent = (Consent.objects.select_for_update().filter(client=client, pk=consent_id).first()
                   if str(consent_id).isdigit() else None)
        if consent is None:
            raise NotFound(gettext("No consent with this id."))
        if consent.withdrawn_at is None:
            consent.withdrawn_at = _aware(at) if at else timezone.now()
            consent.save(update_fields=["withdrawn_at"])
            _resumed_sync(client.pk, [consent.phone])
            audit_record(code="compliance.consent.withdrawn", actor=actor, client=client, target=consent.phone,
                         details={"consent": consent.pk, "withdrawn_at": consent.withdrawn_at.isoformat()})
    return consent


_YES = {"1", "yes", "y", "true", "так", "да", "+", "x"}


def _import_channels(row: dict) -> tuple[bool, bool] | None:
    if row.get("channels"):
        names = {c.strip().lower() for c in row["channels"].replace(";", ",").replace("|", ",").replace(" ", ",")
                 .split(",") if c.strip()}
        if not names or names - {"sms", "viber"}:
            return None
        return "sms" in names, "viber" in names
    if "sms" in row or "viber" in row:
        return row.get("sms", "").lower() in _YES, row.get("viber", "").lower() in _YES
    return True, False


def _import_date(value: str):
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = parse_datetime(value) or parse_date(value)
    except ValueError:
        parsed = None
    if parsed is None:
        try:
            parsed = datetime.strptime(value, "%d.%m.%Y").date()
        except ValueError:
            return None
    return _aware(parsed)


CONSENT_COLUMNS = ("phone", "name", "channels", "company", "source", "proof", "given_at")


def consents_import(*, client: Client, upload, actor=None) -> ImportReport:
    """Records the consents of a CSV: columns phone, name, channels (sms, viber or "sms viber"),
    company, source, proof (text), given_at (YYYY-MM-DD, DD.MM.YYYY or ISO date and time; today
    when empty). Bad rows are reported; a row that repeats a consent already recorded (same phone,
    channels and date) is skipped."""
    rows = _csv_rows(upload, columns=CONSENT_COLUMNS)
    report = ImportReport(rows=len(rows))
    now = timezone.now()
    new: list[Consent] = []
    seen: set[tuple] = set(Consent.objects.filter(client=client).values_list("phone", "sms", "viber", "given_at"))
    for n, row in rows:
        phone = normalize_phone(row.get("phone", ""))
        if not phone:
            report.error(n, row.get("phone"), gettext("not a phone number"))
            continue
        channels = _import_channels(row)
        if channels is None or not any(channels):
            report.error(n, row.get("channels"), gettext("channels must be sms, viber or both"))
            continue
        given_at = _import_date(row.get("given_at", "")) if row.get("given_at") else now
        if given_at is None:
            report.error(n, row.get("given_at"), gettext("not a date (use YYYY-MM-DD or DD.MM.YYYY)"))
            continue
        if given_at > now + timedelta(minutes=5):
            report.error(n, row.get("given_at"), gettext("the date is in the future"))
            continue
        key = (phone, channels[0], channels[1], given_at)
        if key in seen:
            report.existing += 1
            continue
        seen.add(key)
        new.append(Consent(client=client, phone=phone, name=row.get("name", "")[:200], sms=channels[0],
                           viber=channels[1], company=(row.get("company") or client.name)[:200],
                           source=(row.get("source") or "CSV import")[:200], proof_text=row.get("proof", ""),
                           given_at=given_at, created_by=actor if getattr(actor, "pk", None) else None))
    with transaction.atomic():
        Consent.objects.bulk_create(new, batch_size=5000)
        _resumed_sync(client.pk, [c.phone for c in new])
        report.added = len(new)
        audit_record(code="compliance.consent.imported", actor=actor, client=client,
                     details={k: v for k, v in report.as_dict().items() if k != "errors"})
    return report


def compliance_settings_set(*, client: Client, require_consent: bool, actor=None) -> ComplianceSettings:
    """The client's switch: send only to recipients with a recorded consent (R-CMP-06)."""
    with transaction.atomic():
        settings_row, _ = ComplianceSettings.objects.select_for_update().get_or_create(client=client)
        if settings_row.require_consent != bool(require_consent):
            settings_row.require_consent = bool(require_consent)
            settings_row.save(update_fields=["require_consent", "updated_at"])
            audit_record(code="compliance.settings.changed", actor=actor, client=client,
                         details={"require_consent": bool(require_consent)})
    return settings_row


# --- erasure (R-CMP-05, 13) -----------------------------------------------------------------------

def recipient_compliance_data_erase(*, client: Client, phone: str, actor=None) -> dict:
    """compliance's part of erasing one recipient's personal data at the client's request
    (R-CMP-13; the whole erasure: messaging.services.erasure): the recipient's consents and their
    proofs are deleted; the number stays on (or is put on) the client's stop list, since nothing
    more may go to it until a new consent (T 3.2.2.1). Call it inside the erasure's transaction."""
    phone = _phone(phone)
    consents = Consent.objects.filter(client=client, phone=phone)
    for consent in consents.exclude(proof_file=""):
        consent.proof_file.delete(save=False)
    deleted = consents.delete()[0]
    _resumed_sync(client.pk, [phone])
    _entry, stopped = stop_list_add(client=client, phone=phone, note="Personal data erased at the recipient's request",
                                    actor=actor)
    return {"consents": deleted, "stop_list_added": stopped}
