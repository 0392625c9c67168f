"""The status machine's writes, the SMPP connector's side of the database (claims, results,
retries, in-doubt parts), delivery receipts, query_sm polling and expiry.

The lifecycle of a part (one submit_sm) and what the connector writes at each step:

    message QUEUED ──claim, committed──▶ message SUBMITTING, its parts SUBMITTING
    part SUBMITTING ──written to the socket at once──▶
        submit_sm_resp ok        → SUBMITTED (smsc id), polled with query_sm until a receipt
        throttled                → resent by the same bind, byte-identical
        temporary error          → QUEUED with next_attempt_at (backoff), claimed again when due,
                                   or EXPIRED when that is past the message's lifetime
        permanent error          → FAILED (the message FAILED and refunded)
        no answer / link lost    → stays SUBMITTING, flagged `in_doubt`: never resent
                                   (the policy is in messaging.smpp.connector)
    claimed but never written (the bind stops or loses its link first) → QUEUED, due at once

Hot paths (claims, results, receipts) use set-based SQL on PostgreSQL (`unnest` arrays, one
statement per batch).
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from functools import lru_cache

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Client
from smsportal.db import commit_without_waiting_for_disk

from .. import segments
from ..models import Message, MessagePart, ReceiptInbox
from ..smpp.receipts import raw_source, receipt_snippet, receipt_submit_date, snippet_matches
from ..status import FINAL, REFUNDABLE, Status, sources_for
from .money import messages_capture, messages_settle
from .send import connector_wake
from .webhooks import webhook_events_record, webhook_events_submitted

log = logging.getLogger("smsportal.messaging")

RECEIPT_WINDOW = timedelta(days=7)  # R-MSG-04
IN_DOUBT = "in_doubt"
# A part still SUBMITTING without an SMSC id this long after it was written is in doubt even
# while other connector processes of its route are alive (their response timeout is 30 s).
IN_DOUBT_AFTER = timedelta(minutes=2)
# An unmatched receipt may settle an in-doubt part once it is this old (by then no live
# connector can still be waiting for the submit_sm_resp of a part with the same id).
IN_DOUBT_MATCH_AFTER = timedelta(seconds=60)
# query_sm (R-MSG-04): this long after submission, then every day until the window closes.
QUERY_SCHEDULE = (timedelta(minutes=10), timedelta(hours=1), timedelta(hours=6), timedelta(hours=24))
UNMATCHED_GIVE_UP_AFTER = timedelta(hours=1)

_PART = MessagePart._meta.db_table
_MESSAGE = Message._meta.db_table
_INBOX = ReceiptInbox._meta.db_table


# --- SMPP command_status → what to do (one table) ---------------------------------------------

THROTTLE, TEMPORARY, PERMANENT = "throttle", "temporary", "permanent"
SMPP_ERRORS: dict[int, tuple[str, str]] = {
    0x01: (PERMANENT, "Message length is invalid"),
    0x02: (PERMANENT, "Command length is invalid"),
    0x03: (PERMANENT, "Invalid command ID"),
    0x04: (TEMPORARY, "Incorrect bind status for given command"),
    0x05: (TEMPORARY, "ESME already in bound state"),
    0x06: (PERMANENT, "Invalid priority flag"),
    0x07: (PERMANENT, "Invalid registered delivery flag"),
    0x08: (TEMPORARY, "System error"),
    0x0A: (PERMANENT, "Invalid source address"),
    0x0B: (PERMANENT, "Invalid destination address"),
    0x0C: (PERMANENT, "Message ID is invalid"),
    0x0D: (TEMPORARY, "Bind failed"),
    0x14: (THROTTLE, "Message queue full"),
    0x15: (PERMANENT, "Invalid service type"),
    0x33: (PERMANENT, "Invalid number of destinations"),
    0x40: (PERMANENT, "Invalid destination flag"),
    0x42: (PERMANENT, "Invalid submit with replace request"),
    0x43: (PERMANENT, "Invalid esm_class field data"),
    0x44: (PERMANENT, "Cannot submit to distribution list"),
    0x45: (TEMPORARY, "submit_sm or submit_multi failed"),
    0x48: (PERMANENT, "Invalid source address TON"),
    0x49: (PERMANENT, "Invalid source address NPI"),
    0x50: (PERMANENT, "Invalid destination address TON"),
    0x51: (PERMANENT, "Invalid destination address NPI"),
    0x53: (PERMANENT, "Invalid system_type field"),
    0x54: (PERMANENT, "Invalid replace_if_present flag"),
    0x58: (THROTTLE, "Throttling error (ESME has exceeded allowed message limits)"),
    0x61: (PERMANENT, "Invalid scheduled delivery time"),
    0x62: (PERMANENT, "Invalid message validity period (expiry time)"),
    0x63: (PERMANENT, "Predefined message invalid or not found"),
    0x64: (TEMPORARY, "ESME receiver temporary app error code"),
    0x65: (PERMANENT, "ESME receiver permanent app error code"),
    0x66: (PERMANENT, "ESME receiver reject message error code"),
    0xC0: (PERMANENT, "Error in the optional part of the PDU body"),
    0xC1: (PERMANENT, "Optional parameter not allowed"),
    0xC2: (PERMANENT, "Invalid parameter length"),
    0xC3: (PERMANENT, "Expected optional parameter missing"),
    0xC4: (PERMANENT, "Invalid optional parameter value"),
    0xFE: (TEMPORARY, "Delivery failure"),
    0xFF: (TEMPORARY, "Unknown error"),
}
GENERIC_NACK = -1  # the status recorded for a generic_nack answer to a submit_sm


def smpp_error_kind(status: int) -> str:
    """THROTTLE (resend the same part soon), TEMPORARY (retry with backoff until the TTL) or
    PERMANENT (failed, refunded). A generic_nack and codes we do not know are temporary: the TTL
    bounds the retries, and a refund follows if no part ever reached the operator."""
    if status == GENERIC_NACK:
        return TEMPORARY
    return SMPP_ERRORS.get(status, (TEMPORARY, ""))[0]


def smpp_error_code(status: int) -> str:
    return "generic_nack" if status == GENERIC_NACK else f"smpp_{status:#04x}"


def smpp_error_detail(status: int) -> str:
    if status == GENERIC_NACK:
        return "The SMSC answered generic_nack."
    return SMPP_ERRORS.get(status, (TEMPORARY, f"SMSC error {status:#04x}"))[1]


def retry_delay(attempts: int) -> float:
    """Seconds before the next try of a part that failed `attempts` times: exponential, jittered."""
    base = float(getattr(settings, "SMSPORTAL_RETRY_BASE_SECONDS", 10.0))
    cap = float(getattr(settings, "SMSPORTAL_RETRY_MAX_SECONDS", 900.0))
    return min(cap, base * 2 ** max(0, attempts - 1)) * random.uniform(0.8, 1.2)


def next_query_at(submitted_at: datetime, now: datetime) -> datetime | None:
    """When a submitted part without a final status is queried next (None: the window closed)."""
    age = now - submitted_at
    for step in QUERY_SCHEDULE:
        if age < step:
            return submitted_at + step
    days = int(age / timedelta(days=1)) + 1
    nxt = submitted_at + timedelta(days=days)
    return nxt if nxt - submitted_at <= RECEIPT_WINDOW else None


# --- the status machine -----------------------------------------------------------------------


def messages_release_due(*, now=None, limit: int = 50_000) -> int:
    """Scheduled and bulk messages whose time has come go to their connectors (the per-minute job).
    Those of a blocked, dormant or terminated account wait (R-ACC-06: it cannot send); they go
    when staff unblock it, or expire with their lifetime."""
    now = now or timezone.now()
    with transaction.atomic():
        due = Message.objects.filter(status=Status.SCHEDULED, send_at__lte=now)
        # The owners' rows locked FOR SHARE, as a send locks them (client_lock_for_send): a block
        # meanwhile either waits and cancels what this releases, or is seen here first.
        owners = sorted(due.order_by().values_list("client_id", flat=True).distinct())
        if not owners:
            return 0
        active = _clients_active_locked(owners)
        ids = list(due.filter(client_id__in=active).order_by("id").values_list("id", flat=True)[:limit])
        if not ids:
            return 0
        released = Message.objects.filter(pk__in=ids, status=Status.SCHEDULED).update(
            status=Status.QUEUED, updated_at=now)
        for route_id in (Message.objects.filter(pk__in=ids).values_list("route_id", flat=True).distinct()):
            if route_id:
                connector_wake(route_id)
    return released


def _clients_active_locked(client_ids) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {Client._meta.db_table} WHERE id = ANY(%s) AND status = %s "
                       f"ORDER BY id FOR SHARE", [list(client_ids), Client.Status.ACTIVE])
        return [row[0] for row in cursor.fetchall()]


def messages_transition(*, ids, new: str, error_code: str = "", error_detail: str = "", now=None,
                        refund: bool | None = None) -> list[int]:
    """Moves messages to `new` where the status machine allows it. Returns the ids that moved.

    `refund`: give the charge back. By default what the operator never took (REFUNDABLE: failed,
    cancelled, refused); an EXPIRED message is refunded only when the caller knows that no part
    of it ever reached the SMSC (its TTL ran out while it waited for a retry)."""
    now = now or timezone.now()
    ids = list(ids)
    if not ids:
        return []
    if refund is None:
        refund = new in REFUNDABLE
    fields = {"status": new, "updated_at": now}
    if new in FINAL:
        fields["done_at"] = now
    if new == Status.SUBMITTED:
        fields["submitted_at"] = now
    if error_code:
        fields["error_code"] = error_code[:32]
    if error_detail:
        fields["error_detail"] = error_detail[:300]
    with transaction.atomic():
        moving = list(Message.objects.select_for_update().filter(pk__in=ids, status__in=sources_for(new))
                      .order_by("pk").values_list("pk", "client_id", "batch_id", "campaign_id", "price", "status",
                                                  "recipient"))
        if not moving:
            return []
        Message.objects.filter(pk__in=[m[0] for m in moving]).update(**fields)
        messages_settle(moving, new=new, refund=refund)  # capture, release or refund their holds
        webhook_events_record(message_ids=[m[0] for m in moving], status=new, now=now)
    return [m[0] for m in moving]


def messages_expire_ttl(*, ids, now=None, error_code: str = "ttl",
                        error_detail: str = "Not accepted by the operator within its lifetime.") -> list[int]:
    """Messages whose lifetime (R-MSG-01) ran out before every part reached the SMSC: parts still
    waiting become EXPIRED, and so does the message. Refunded when no part of it was ever
    accepted by the SMSC (no SMSC id) nor is in doubt (SUBMITTING: maybe accepted)."""
    now = now or timezone.now()
    ids = sorted(set(ids))
    if not ids:
        return []
    with transaction.atomic():
        MessagePart.objects.filter(message_id__in=ids, status=Status.QUEUED).update(
            status=Status.EXPIRED, done_at=now, next_attempt_at=None)
        reached = set(MessagePart.objects.filter(message_id__in=ids)
                      .filter(Q(smsc_message_id__isnull=False) | Q(status=Status.SUBMITTING))
                      .values_list("message_id", flat=True))
        moved = messages_transition(ids=[i for i in ids if i not in reached], new=Status.EXPIRED, now=now,
                                    error_code=error_code, error_detail=error_detail, refund=True)
        moved += messages_transition(ids=[i for i in ids if i in reached], new=Status.EXPIRED, now=now,
                                     error_code=error_code, error_detail=error_detail, refund=False)
    return moved


# --- claiming ---------------------------------------------------------------------------------


@dataclass(slots=True)
class ClaimedPart:
    """A part claimed by one bind (committed SUBMITTING): everything it needs for the submit_sm."""

    part_id: int
    message_id: int
    seq: int
    sender: str
    recipient: str
    payload: segments.PartPayload
    valid_until: datetime | None
    attempts: int = 1
    total: int = 1  # parts of its message claimed together with it (0: a retry, alone)


@lru_cache(maxsize=256)
def _payloads_ref0(text: str) -> tuple[segments.PartPayload, ...]:
    return tuple(segments.submit_payloads(text, ref=0))


def part_payloads(text: str, ref: int) -> list[segments.PartPayload]:
    """`segments.submit_payloads(text, ref)`, byte for byte, with the split of a campaign's
    shared text computed once (only the concatenation reference differs between messages).
    `ref` is the message's pk: its low byte is the reference, stable for the message (a resent
    part is byte-identical) and never shared by consecutive messages to one phone."""
    base = _payloads_ref0(text)
    if len(base) == 1:
        return list(base)
    ref_byte = bytes((ref & 0xFF,))
    return [segments.PartPayload(p.esm_class, p.data_coding, p.short_message[:3] + ref_byte + p.short_message[4:])
            for p in base]


def _raw():
    """A psycopg cursor with server-side binding on Django's connection (and its transaction):
    arrays travel as arrays."""
    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


def parts_claim(*, route_id: int, limit: int, retries: bool = True, fresh: bool = True,
                now=None) -> list[ClaimedPart]:
    """Claims up to `limit` parts of a route for the calling bind, committed as SUBMITTING when
    the caller's transaction ends: first parts due for a retry, then the parts of QUEUED messages
    (the message becomes SUBMITTING; all its parts are written as rows, so a retried part is
    byte-identical). The caller writes them to the SMSC at once. Messages past their lifetime
    are expired instead, and refunded. `SKIP LOCKED`: two binds never claim the same rows."""
    now = now or timezone.now()
    with transaction.atomic(savepoint=False):
        claimed = []
        if retries:
            overdue = list(MessagePart.objects.filter(route_id=route_id, status=Status.QUEUED, next_attempt_at__lte=now,
                                                      message__valid_until__lte=now)
                           .values_list("message_id", flat=True).distinct()[:1000])
            if overdue:
                messages_expire_ttl(ids=overdue, now=now,
                                    error_detail="The SMSC kept refusing it until its lifetime ended.")
            claimed = _claim_retries(route_id, limit, now)
        if fresh and len(claimed) < limit:
            claimed += _claim_fresh(route_id, limit - len(claimed), now)
    return claimed


def _claim_retries(route_id: int, limit: int, now) -> list[ClaimedPart]:
    with _raw() as cur:
        cur.execute(
            f"UPDATE {_PART} AS p SET status = %s, submitted_at = %s, next_attempt_at = NULL "
            f"FROM (SELECT p2.id FROM {_PART} AS p2 JOIN {_MESSAGE} AS m2 ON m2.id = p2.message_id "
            f"      WHERE p2.route_id = %s AND p2.status = %s AND p2.next_attempt_at <= %s AND m2.status = %s "
            f"      AND (m2.valid_until IS NULL OR m2.valid_until > %s) "
            f"      ORDER BY p2.next_attempt_at LIMIT %s FOR UPDATE OF p2 SKIP LOCKED) AS c, {_MESSAGE} AS m "
            f"WHERE p.id = c.id AND m.id = p.message_id "
            f"RETURNING p.id, p.message_id, p.seq, p.attempts, m.sender, m.recipient, m.text, m.valid_until",
            [Status.SUBMITTING, now, route_id, Status.QUEUED, now, Status.SUBMITTING, now, limit])
        rows = cur.fetchall()
    return [ClaimedPart(pid, mid, seq, sender, recipient, part_payloads(text, mid)[seq - 1], valid_until,
                        attempts, 0)
            for pid, mid, seq, attempts, sender, recipient, text, valid_until in sorted(rows, key=lambda r: r[0])]


# Claims QUEUED messages of a route and writes their part rows in one statement: `segments`
# (computed at accept by the same split as the payloads) says how many; messages already past
# their lifetime get none (the caller expires them). Returns one row per part (part id NULL for
# those).
_SQL_CLAIM_FRESH = (
    f"WITH c AS (UPDATE {_MESSAGE} AS m SET status = %(submitting)s, updated_at = %(now)s "
    f"  FROM (SELECT id FROM {_MESSAGE} WHERE route_id = %(route)s AND status = %(queued)s ORDER BY id "
    f"        LIMIT %(limit)s FOR UPDATE SKIP LOCKED) AS q "
    f"  WHERE m.id = q.id RETURNING m.id, m.sender, m.recipient, m.text, m.valid_until, m.segments), "
    f"p AS (INSERT INTO {_PART} (message_id, seq, route_id, status, error_code, attempts, created_at, submitted_at) "
    f"  SELECT c.id, s, %(route)s, %(submitting)s, '', 1, %(now)s, %(now)s "
    f"  FROM c CROSS JOIN LATERAL generate_series(1, greatest(c.segments, 1)) AS s "
    f"  WHERE c.valid_until IS NULL OR c.valid_until > %(now)s RETURNING id, message_id, seq) "
    f"SELECT c.id, c.sender, c.recipient, c.text, c.valid_until, p.id, p.seq "
    f"FROM c LEFT JOIN p ON p.message_id = c.id ORDER BY c.id, p.seq")
_SQL_PARTS_INSERT = (
    f"INSERT INTO {_PART} (message_id, seq, route_id, status, error_code, attempts, created_at, submitted_at) "
    f"SELECT m, s, %s, %s, '', 1, %s, %s FROM unnest(%s::bigint[], %s::int[]) AS v(m, s) "
    f"RETURNING id, message_id, seq")


def _claim_fresh_params(route_id: int, limit: int, now) -> dict:
    return {"submitting": Status.SUBMITTING, "queued": Status.QUEUED, "now": now, "route": route_id,
            "limit": limit}


def _claim_fresh(route_id: int, limit: int, now) -> list[ClaimedPart]:
    return _parts_for_claimed_messages(route_id, _claim_fresh_rows(route_id, limit, now), now)


def _claim_fresh_rows(route_id: int, limit: int, now) -> list[tuple]:
    """Rows (message id, sender, recipient, text, valid_until, part id, seq) of up to `limit`
    QUEUED messages, now SUBMITTING (part id and seq None where the parts are still to write)."""
    with _raw() as cur:
        cur.execute(_SQL_CLAIM_FRESH, _claim_fresh_params(route_id, limit, now))
        return cur.fetchall()


def _parts_for_claimed_messages(route_id: int, rows, now) -> list[ClaimedPart]:
    """The parts of messages just claimed (`_claim_fresh_rows`): writes the part rows still
    missing, and expires the messages past their lifetime (refunded: never sent)."""
    by_message: dict[int, list] = {}
    for mid, sender, recipient, text, valid_until, part_id, seq in rows:
        entry = by_message.setdefault(mid, [sender, recipient, text, valid_until, {}])
        if part_id is not None:
            entry[4][seq] = part_id
    dead = [mid for mid, e in by_message.items() if e[3] is not None and e[3] <= now]
    if dead:
        messages_expire_ttl(ids=dead, now=now, error_detail="Its lifetime ended before it could be sent.")
    claimed, missing = [], []
    for mid, (sender, recipient, text, valid_until, part_ids) in sorted(by_message.items()):
        if valid_until is not None and valid_until <= now:
            continue
        payloads = part_payloads(text, mid)
        if set(part_ids) - set(range(1, len(payloads) + 1)):  # `segments` disagreed: fix the rows
            log.error("message %s: %s part rows for %s parts; rewriting them", mid, len(part_ids), len(payloads))
            MessagePart.objects.filter(message_id=mid, status=Status.SUBMITTING).delete()
            part_ids.clear()
        for seq, payload in enumerate(payloads, start=1):
            part = ClaimedPart(part_ids.get(seq, 0), mid, seq, sender, recipient, payload, valid_until, 1,
                               len(payloads))
            claimed.append(part)
            if not part.part_id:
                missing.append(part)
    if missing:
        with _raw() as cur:
            cur.execute(_SQL_PARTS_INSERT, [route_id, Status.SUBMITTING, now, now, [c.message_id for c in missing],
                                            [c.seq for c in missing]])
            ids = {(m, s): i for i, m, s in cur.fetchall()}
        for c in missing:
            c.part_id = ids[(c.message_id, c.seq)]
    return claimed


def parts_release(*, unwritten, now=None) -> int:
    """A bind gives back parts it claimed but never wrote (it stops or lost its link): QUEUED
    again, due at once (never written, so sending them later is no duplicate)."""
    unwritten = list(unwritten)
    if not unwritten:
        return 0
    now = now or timezone.now()
    return MessagePart.objects.filter(pk__in=unwritten, status=Status.SUBMITTING, smsc_message_id__isnull=True).update(
        status=Status.QUEUED, next_attempt_at=now, submitted_at=None)


# --- results of a bind ------------------------------------------------------------------------


def connector_flush(*, route_id: int, submitted=(), complete=(), errors=(), in_doubt=(), expired=(), dropped=(),
                    receipts=(), inbound=(), claim: int = 0, retries: bool = True, now=None) -> list[ClaimedPart]:
    """Everything a bind learned since its last flush, and its next claim, in one transaction
    (its deliver_sm are acknowledged, and the claimed parts written, only after it commits):

    - submitted: (part id, message id, canonical SMSC id) of accepted submits
    - complete: ids of messages the bind knows are now wholly accepted (it claimed all their parts)
    - errors: (part id, message id, command_status or GENERIC_NACK) of refused submits
    - in_doubt: part ids written but never answered
    - expired: (part id, message id) of claimed parts whose message's lifetime ended before they
      could be written
    - dropped: claimed parts never written because their message failed meanwhile
    - receipts: (smsc id, stat, err, raw) of receipts and final query_sm answers
    - inbound: (source, destination, text) of mobile-originated messages
    - claim: how many parts to claim (`parts_claim`; `retries`: look for due retries too)
    """
    from .inbound import inbound_store  # noqa: PLC0415 (inbound imports this module)

    now = now or timezone.now()
    with transaction.atomic(savepoint=False):
        # The captures lock the clients' wallet rows, which their sends lock too: the commit does
        # not keep them locked while it reaches the disk; this waits for the disk after the commit,
        # before the claimed parts are written or the deliver_sm answered, as before.
        commit_without_waiting_for_disk()
        claimed = []
        if claim > 0 and retries:
            claimed = parts_claim(route_id=route_id, limit=claim, retries=True, fresh=False, now=now)
        fresh = claim - len(claimed) if claim > 0 else 0
        # first what the SMSC accepted (an expiry below must see it), receipts, and the claim
        fresh_rows = _pipeline(route_id, submitted, complete, receipts, fresh, now)
        if errors:
            parts_refused(rows=errors, now=now)
        if in_doubt:
            parts_flag_in_doubt(part_ids=in_doubt, now=now)
        if dropped:
            MessagePart.objects.filter(pk__in=list(dropped), status=Status.SUBMITTING,
                                       smsc_message_id__isnull=True).update(
                status=Status.FAILED, error_code="sibling_failed", done_at=now)
        if expired:
            parts_release(unwritten=[pid for pid, _mid in expired], now=now)
            messages_expire_ttl(ids={mid for _pid, mid in expired}, now=now)
        if inbound:
            inbound_store(route_id=route_id, messages=inbound)
        if fresh_rows:
            claimed += _parts_for_claimed_messages(route_id, fresh_rows, now)
        return claimed


def _pipeline(route_id, submitted, complete, receipts, fresh: int, now) -> list[tuple]:
    """The hot part of `connector_flush` as one pipeline (one round trip instead
    of one per statement): accepted parts, their messages, receipts, and the claim of up to
    `fresh` QUEUED messages, whose rows it returns."""
    rows, dupes = _unique_ids(submitted)
    complete = sorted(set(complete))
    others = sorted({r[1] for r in rows} - set(complete))
    conn = connection.connection
    accepted = claim = None
    paid = []  # cursors returning the messages now SUBMITTED, whose price is captured
    with conn.pipeline():
        if rows:
            accepted = psycopg.Cursor(conn)
            accepted.execute(_SQL_SET_SUBMITTED + " RETURNING p.id", _set_submitted_params(rows, now))
        if complete:
            paid.append(psycopg.Cursor(conn))
            paid[-1].execute(_SQL_MESSAGES_SUBMITTED + _RETURNING_PAID, [Status.SUBMITTED, now, now, complete,
                                                                         Status.SUBMITTING])
        if others:
            paid.append(psycopg.Cursor(conn))
            paid[-1].execute(_SQL_MESSAGES_SUBMITTED_IF_COMPLETE + _RETURNING_PAID, [
                Status.SUBMITTED, now, now, others, Status.SUBMITTING, Status.QUEUED, Status.SUBMITTING])
        if receipts:
            psycopg.Cursor(conn).execute(_SQL_RECEIPTS_INSERT, _receipts_params(route_id, receipts, now))
        if fresh > 0:
            claim = psycopg.Cursor(conn)
            claim.execute(_SQL_CLAIM_FRESH, _claim_fresh_params(route_id, fresh, now))
    if accepted is not None:
        stored = {r[0] for r in accepted.fetchall()}
        dupes += [r for r in rows if r[0] not in stored]
    if paid:
        paid_rows = [row for cur in paid for row in cur.fetchall()]
        messages_capture(paid_rows)
        webhook_events_submitted(paid=paid_rows, now=now)
    if dupes:
        _store_duplicates(dupes, now)
    return claim.fetchall() if claim is not None else []


def parts_submitted(*, rows, complete=(), now=None) -> None:
    """Parts the SMSC accepted: SUBMITTED with their id (first query_sm in 10 minutes). Messages
    in `complete` become SUBMITTED; other messages of these parts do once no part of theirs is
    still waiting or unanswered."""
    now = now or timezone.now()
    rows, dupes = _unique_ids(rows)
    with transaction.atomic(savepoint=False):
        stored = _set_submitted(rows, now)
        dupes += [r for r in rows if r[0] not in stored]
        complete = sorted(set(complete))
        if complete:
            _messages_submitted(complete, now)
        others = sorted({r[1] for r in rows} - set(complete))
        if others:
            _messages_submitted_if_complete(others, now)
        if dupes:
            _store_duplicates(dupes, now)


def _unique_ids(rows) -> tuple[list, list]:
    """(rows with an SMSC id seen once here, rows repeating an id)."""
    first: dict[str, tuple] = {}
    dupes = []
    for row in sorted(rows):
        if row[2] in first:
            dupes.append(row)
        else:
            first[row[2]] = row
    return sorted(first.values()), dupes


def _store_duplicates(dupes, now) -> None:
    """An id a part of this route already has: the SMSC's counter restarted? Keep the unique
    (route, id): store it apart, and say so (only polling by the stored id could find it)."""
    renamed = []
    for pid, mid, sid in dupes:
        log.error("part %s: SMSC message id %r is already taken; stored as %r", pid, sid, f"{sid}#{pid}")
        renamed.append((pid, mid, f"{sid}#{pid}"[:65]))
    _set_submitted(renamed, now)
    _messages_submitted_if_complete(sorted({r[1] for r in dupes}), now)


_SQL_SET_SUBMITTED = (
    f"UPDATE {_PART} AS p SET status = %s, smsc_message_id = v.sid, submitted_at = %s, next_attempt_at = %s, "
    f"error_code = '' FROM unnest(%s::bigint[], %s::text[]) AS v(id, sid) "
    f"WHERE p.id = v.id AND p.status = %s AND NOT EXISTS ("
    f"SELECT 1 FROM {_PART} AS d WHERE d.route_id = p.route_id AND d.smsc_message_id = v.sid)")


def _set_submitted_params(rows, now) -> list:
    return [Status.SUBMITTED, now, now + QUERY_SCHEDULE[0], [r[0] for r in rows], [r[2] for r in rows],
            Status.SUBMITTING]


def _set_submitted(rows, now) -> set[int]:
    """Stores accepted parts whose SMSC id is still free on their route; returns their ids."""
    if not rows:
        return set()
    with _raw() as cur:
        cur.execute(_SQL_SET_SUBMITTED + " RETURNING p.id", _set_submitted_params(rows, now))
        return {r[0] for r in cur.fetchall()}


_SQL_MESSAGES_SUBMITTED = (
    f"UPDATE {_MESSAGE} AS m SET status = %s, submitted_at = %s, updated_at = %s "
    f"FROM unnest(%s::bigint[]) AS v(id) WHERE m.id = v.id AND m.status = %s")
_SQL_MESSAGES_SUBMITTED_IF_COMPLETE = (
    _SQL_MESSAGES_SUBMITTED + f" AND NOT EXISTS (SELECT 1 FROM {_PART} AS p WHERE p.message_id = m.id "
                              f"AND p.status IN (%s, %s))")
# What a capture needs of the messages that became SUBMITTED (`messages_capture`).
_RETURNING_PAID = " RETURNING m.id, m.client_id, m.batch_id, m.campaign_id, m.price"
_PAID = ("id", "client_id", "batch_id", "campaign_id", "price")


def _messages_submitted(message_ids, now) -> int:
    """Messages SUBMITTING → SUBMITTED; their price is captured from their holds."""
    with _raw() as cur:
        cur.execute(_SQL_MESSAGES_SUBMITTED + _RETURNING_PAID,
                    [Status.SUBMITTED, now, now, list(message_ids), Status.SUBMITTING])
        paid = cur.fetchall()
    messages_capture(paid)
    webhook_events_submitted(paid=paid, now=now)
    return len(paid)


def _messages_submitted_if_complete(message_ids, now) -> int:
    if not message_ids:
        return 0
    with _raw() as cur:
        cur.execute(_SQL_MESSAGES_SUBMITTED_IF_COMPLETE + _RETURNING_PAID, [
            Status.SUBMITTED, now, now, list(message_ids), Status.SUBMITTING, Status.QUEUED, Status.SUBMITTING])
        paid = cur.fetchall()
    messages_capture(paid)
    webhook_events_submitted(paid=paid, now=now)
    return len(paid)


def parts_refused(*, rows, now=None) -> None:
    """Parts the SMSC refused (not throttling, which the bind resends itself).

    Temporary: back to QUEUED for a retry after an exponential, jittered delay (attempts + 1),
    unless that is past the message's lifetime: then the message expires (refunded when no part
    of it reached the SMSC). Permanent: the part and its message fail (refunded); its other
    parts still waiting are not sent."""
    now = now or timezone.now()
    info = {pid: (attempts, valid_until) for pid, attempts, valid_until in MessagePart.objects.filter(
        pk__in=[r[0] for r in rows]).values_list("id", "attempts", "message__valid_until")}
    expire, failed = set(), {}
    for pid, mid, status in sorted(rows):
        if pid not in info:
            continue
        attempts, valid_until = info[pid]
        code = smpp_error_code(status)
        if smpp_error_kind(status) == PERMANENT:
            MessagePart.objects.filter(pk=pid, status=Status.SUBMITTING).update(
                status=Status.FAILED, error_code=code, done_at=now)
            failed.setdefault(status, set()).add(mid)
            continue
        retry_at = now + timedelta(seconds=retry_delay(attempts))
        if valid_until is not None and retry_at >= valid_until:
            MessagePart.objects.filter(pk=pid, status=Status.SUBMITTING).update(
                status=Status.EXPIRED, error_code=code, done_at=now)
            expire.add(mid)
        else:
            MessagePart.objects.filter(pk=pid, status=Status.SUBMITTING).update(
                status=Status.QUEUED, error_code=code, attempts=attempts + 1, next_attempt_at=retry_at,
                submitted_at=None)
    for status, mids in failed.items():
        MessagePart.objects.filter(message_id__in=mids, status=Status.QUEUED).update(
            status=Status.FAILED, error_code="sibling_failed", done_at=now, next_attempt_at=None)
        messages_transition(ids=mids, new=Status.FAILED, error_code=smpp_error_code(status),
                            error_detail=smpp_error_detail(status), now=now)
    if expire:
        messages_expire_ttl(ids=expire, now=now, error_code="ttl",
                            error_detail="The SMSC kept refusing it until its lifetime ended.")


def parts_flag_in_doubt(*, part_ids=None, route_id: int | None = None, older_than: timedelta | None = None,
                        now=None) -> int:
    """Flags parts written to an SMSC that never answered (SUBMITTING, no SMSC id) as in doubt:
    they are never resent; a matching receipt or the end of the receipt window settles them.
    Either the given `part_ids`, or a route's (or every route's) parts older than `older_than`
    (None: all of them, when no other connector of the route is alive). Returns how many were
    newly flagged."""
    now = now or timezone.now()
    qs = MessagePart.objects.filter(status=Status.SUBMITTING, smsc_message_id__isnull=True).exclude(
        error_code=IN_DOUBT)
    if part_ids is not None:
        qs = qs.filter(pk__in=list(part_ids))
    if route_id is not None:
        qs = qs.filter(route_id=route_id)
    if older_than is not None:
        qs = qs.filter(Q(submitted_at__lt=now - older_than) | Q(submitted_at__isnull=True,
                                                                 created_at__lt=now - older_than))
    return qs.update(error_code=IN_DOUBT)


def parts_in_doubt_count(*, route_id: int | None = None) -> int:
    qs = MessagePart.objects.filter(status=Status.SUBMITTING, smsc_message_id__isnull=True, error_code=IN_DOUBT)
    if route_id is not None:
        qs = qs.filter(route_id=route_id)
    return qs.count()


def parts_due_for_query(*, route_id: int, limit: int = 100, now=None) -> list[tuple[int, str, str]]:
    """(part id, SMSC id, sender) of submitted parts still without a final status whose query_sm
    is due (R-MSG-04); their next query is scheduled in the same transaction, so a bind that
    dies before asking just skips one round."""
    now = now or timezone.now()
    with transaction.atomic():
        qs = MessagePart.objects.filter(route_id=route_id, status=Status.SUBMITTED,
                                        next_attempt_at__lte=now).order_by("next_attempt_at")
        qs = qs.select_for_update(skip_locked=True, of=("self",))
        rows = list(qs.values_list("id", "smsc_message_id", "submitted_at", "message__sender")[:limit])
        by_next: dict[datetime | None, list[int]] = {}
        for pid, _sid, submitted_at, _sender in rows:
            by_next.setdefault(next_query_at(submitted_at or now, now), []).append(pid)
        for nxt, ids in by_next.items():
            MessagePart.objects.filter(pk__in=ids).update(next_attempt_at=nxt)
    return [(pid, sid, sender) for pid, sid, _at, sender in rows if sid]


# --- receipts ---------------------------------------------------------------------------------

STAT_OUTCOME = {
    "DELIVRD": Status.DELIVERED,
    "UNDELIV": Status.UNDELIVERED,
    "EXPIRED": Status.EXPIRED,
    "REJECTD": Status.REJECTED,
    "DELETED": Status.UNDELIVERED,
}


_SQL_RECEIPTS_INSERT = (
    f"INSERT INTO {_INBOX} (route_id, smsc_message_id, stat, error, raw, received_at, attempts) "
    f"SELECT %s, i, s, e, r, %s, 0 FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[]) AS v(i, s, e, r)")


def _receipts_params(route_id, receipts, now) -> list:
    return [route_id, now, [r[0] for r in receipts], [r[1] for r in receipts], [r[2] for r in receipts],
            [r[3] for r in receipts]]


def receipts_store(*, route_id: int, receipts, now=None) -> None:
    """Durably records receipts (smsc_message_id, stat, err, raw) before they are acknowledged."""
    receipts = list(receipts)
    if not receipts:
        return
    with _raw() as cur:
        cur.execute(_SQL_RECEIPTS_INSERT, _receipts_params(route_id, receipts, now or timezone.now()))


def _message_outcome(part_statuses: list[str], total: int) -> str | None:
    """A message is delivered when all its parts are; it fails as soon as one part finally fails."""
    for st in part_statuses:
        if st in (Status.UNDELIVERED, Status.REJECTED, Status.EXPIRED):
            return st
    if len(part_statuses) == total and all(st == Status.DELIVERED for st in part_statuses):
        return Status.DELIVERED
    return None


def receipts_apply(*, limit: int = 5000, now=None) -> int:
    """Matches stored receipts to parts and settles messages. Returns how many receipts matched.

    A receipt whose SMSC id no part has yet is retried on later passes (it can beat its
    submit_sm_resp) for an hour; from a minute on it may settle a part in doubt (see
    `_match_in_doubt`)."""
    now = now or timezone.now()
    with transaction.atomic():
        inbox = list(ReceiptInbox.objects.select_for_update(skip_locked=True)
                     .filter(processed_at__isnull=True).order_by("id")
                     .values_list("id", "route_id", "smsc_message_id", "stat", "error", "raw", "received_at")[:limit])
        if not inbox:
            return 0
        by_route: dict[int, set[str]] = {}
        for _id, route_id, sid, *_rest in inbox:
            by_route.setdefault(route_id, set()).add(sid)
        q = Q()
        for route_id, sids in by_route.items():
            q |= Q(route_id=route_id, smsc_message_id__in=list(sids))
        parts = {(r, s): [pid, mid, st] for pid, r, s, mid, st in
                 MessagePart.objects.filter(q).values_list("id", "route_id", "smsc_message_id", "message_id",
                                                           "status")}
        unmatched = [r for r in inbox if (r[1], r[2]) not in parts]
        doubtful = [r for r in unmatched if now - r[6] >= IN_DOUBT_MATCH_AFTER]
        if doubtful:
            parts.update(_match_in_doubt(doubtful, now))
        matched, processed, retry, changed, touched = 0, [], [], {}, set()
        for rid, route_id, sid, stat, err, _raw, received_at in inbox:
            part = parts.get((route_id, sid))
            if part is None:
                if now - received_at > UNMATCHED_GIVE_UP_AFTER:
                    processed.append(rid)
                else:
                    retry.append(rid)
                continue
            processed.append(rid)
            matched += 1
            outcome = STAT_OUTCOME.get(stat.upper())
            pid, mid, current = part
            if outcome is None or current == outcome:
                continue  # intermediate (ENROUTE, ACCEPTD) or a duplicate receipt
            if current in FINAL and current != Status.EXPIRED:
                continue  # never move a final status back
            part[2] = outcome
            changed[pid] = (outcome, err[:32] if err and err not in ("000", "0") else "")
            touched.add(mid)
        if processed:
            ReceiptInbox.objects.filter(pk__in=processed).update(processed_at=now, attempts=F("attempts") + 1)
        if retry:
            ReceiptInbox.objects.filter(pk__in=retry).update(attempts=F("attempts") + 1)
        _parts_set_outcomes(changed, now)
        if touched:
            _settle_messages(touched, now)
    return matched


def _parts_set_outcomes(changed: dict[int, tuple[str, str]], now) -> None:
    if not changed:
        return
    ids = sorted(changed)
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {_PART} AS p SET status = v.st, done_at = %s, next_attempt_at = NULL, "
            f"error_code = CASE WHEN v.err <> '' THEN v.err ELSE p.error_code END "
            f"FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS v(id, st, err) WHERE p.id = v.id",
            [now, ids, [changed[i][0] for i in ids], [changed[i][1] for i in ids]])


def _settle_messages(message_ids, now) -> None:
    by_message: dict[int, list[str]] = {}
    for mid, st in MessagePart.objects.filter(message_id__in=message_ids).values_list("message_id", "status"):
        by_message.setdefault(mid, []).append(st)
    totals = dict(Message.objects.filter(pk__in=message_ids).values_list("pk", "segments"))
    groups: dict[str, list[int]] = {}
    for mid, statuses in by_message.items():
        outcome = _message_outcome(statuses, totals.get(mid, 0))
        if outcome:
            groups.setdefault(outcome, []).append(mid)
    for outcome, ids in sorted(groups.items()):
        messages_transition(ids=ids, new=outcome, now=now)


def _match_in_doubt(receipts, now) -> dict[tuple[int, str], list]:
    """Settles parts in doubt with receipts no part claims (THE POLICY, see the connector).

    A receipt settles an in-doubt part of its route when it names the part's recipient (the
    receipt's source address), its `text:` snippet is the start of the part's text, and its
    submit date is within 15 minutes of when the part was written (read as UTC or Kyiv time,
    the two conventions of the SMSCs we meet). The oldest fitting part wins; each part is
    settled once. The part takes the receipt's SMSC id (and so later receipts and query_sm)."""
    from zoneinfo import ZoneInfo  # noqa: PLC0415

    routes = {r[1] for r in receipts}
    candidates = list(
        MessagePart.objects.filter(route_id__in=routes, status=Status.SUBMITTING, smsc_message_id__isnull=True,
                                   error_code=IN_DOUBT)
        .order_by("submitted_at", "id")
        .values_list("id", "route_id", "message_id", "seq", "submitted_at", "message__recipient",
                     "message__text")[:5000])
    if not candidates:
        return {}
    kyiv = ZoneInfo("Europe/Kyiv")
    slack = timedelta(minutes=15)
    texts: dict[int, str] = {}
    taken: set[int] = set()
    found: dict[tuple[int, str], list] = {}
    for _rid, route_id, sid, _stat, _err, raw, _received in receipts:
        if (route_id, sid) in found:
            continue
        source, text = raw_source(raw)
        snippet = receipt_snippet(text)
        digits = "".join(ch for ch in source if ch.isdigit())
        if not digits or snippet is None:
            continue
        when = receipt_submit_date(text)
        for pid, c_route, mid, seq, submitted_at, recipient, body in candidates:
            if pid in taken or c_route != route_id or recipient.lstrip("+") != digits:
                continue
            if when is not None and submitted_at is not None:
                utc = when.replace(tzinfo=dt_timezone.utc)
                local = when.replace(tzinfo=kyiv)
                # minute precision in most receipts: compare to the minute the part was written
                written = submitted_at.replace(second=0, microsecond=0)
                if abs(utc - written) > slack and abs(local - written) > slack:
                    continue
            if pid not in texts:
                payload = part_payloads(body, mid)[seq - 1]
                data = payload.short_message
                if payload.esm_class & segments.ESM_CLASS_UDHI:
                    data = data[1 + data[0]:]
                texts[pid] = segments.decode(data, payload.data_coding)
            if not snippet_matches(snippet, texts[pid]):
                continue
            taken.add(pid)
            MessagePart.objects.filter(pk=pid, status=Status.SUBMITTING, smsc_message_id__isnull=True).update(
                status=Status.SUBMITTED, smsc_message_id=sid, error_code="")
            log.info("part %s (in doubt) settled by receipt %s", pid, sid)
            found[(route_id, sid)] = [pid, mid, Status.SUBMITTED]
            break
    return found


def messages_expire_stale(*, now=None) -> int:
    """R-MSG-04: 7 days after submission, messages with no final status become EXPIRED, and parts
    still in doubt become EXPIRED with error `in_doubt` (the message stays charged: the operator
    may have delivered it)."""
    now = now or timezone.now()
    cutoff = now - RECEIPT_WINDOW
    doubt = list(MessagePart.objects.filter(status=Status.SUBMITTING, smsc_message_id__isnull=True)
                 .filter(Q(submitted_at__lt=cutoff) | Q(submitted_at__isnull=True, created_at__lt=cutoff))
                 .values_list("id", "message_id")[:10_000])
    total = 0
    if doubt:
        with transaction.atomic():
            MessagePart.objects.filter(pk__in=[d[0] for d in doubt], status=Status.SUBMITTING).update(
                status=Status.EXPIRED, error_code=IN_DOUBT, done_at=now)
            mids = sorted({d[1] for d in doubt})
            total += len(messages_transition(
                ids=mids, new=Status.EXPIRED, error_code=IN_DOUBT, now=now, refund=False,
                error_detail="Sent, but the operator never confirmed it; no delivery report within 7 days."))
            MessagePart.objects.filter(message_id__in=mids, status__in=[Status.SUBMITTED, Status.QUEUED]).update(
                status=Status.EXPIRED, done_at=now, next_attempt_at=None)
    ids = list(Message.objects.filter(status=Status.SUBMITTED, submitted_at__lt=cutoff)
               .values_list("pk", flat=True)[:10_000])
    moved = messages_transition(ids=ids, new=Status.EXPIRED, error_code="no_receipt",
                                error_detail="No delivery report within 7 days.", now=now)
    if moved:
        MessagePart.objects.filter(message_id__in=moved, status=Status.SUBMITTED).update(
            status=Status.EXPIRED, done_at=now, next_attempt_at=None)
    return total + len(moved)


def messages_expire_overdue(*, now=None, limit: int = 10_000) -> int:
    """Messages whose lifetime ended while they waited (no connector, or retries that never got
    through): QUEUED ones and SUBMITTING ones with a part waiting for a retry. Refunded when
    nothing of them reached the SMSC. The connectors do this too as they claim; this catches up
    when a route's connector is not running."""
    now = now or timezone.now()
    queued = list(Message.objects.filter(status=Status.QUEUED, valid_until__lt=now)
                  .values_list("pk", flat=True)[:limit])
    moved = messages_transition(ids=queued, new=Status.EXPIRED, now=now, refund=True, error_code="ttl",
                                error_detail="Its lifetime ended before it could be sent.")
    waiting = list(MessagePart.objects.filter(status=Status.QUEUED, message__valid_until__lt=now,
                                              message__status=Status.SUBMITTING)
                   .values_list("message_id", flat=True).distinct()[:limit])
    moved += messages_expire_ttl(ids=waiting, now=now)
    return len(moved)


def messages_submitted_sweep(*, now=None, limit: int = 10_000) -> int:
    """Messages left SUBMITTING although every part was accepted (two binds accepted the last
    parts of one message at the same moment, each seeing the other's part still open)."""
    now = now or timezone.now()
    ids = list(Message.objects.filter(status=Status.SUBMITTING, updated_at__lt=now - timedelta(minutes=1))
               .exclude(parts__status__in=[Status.QUEUED, Status.SUBMITTING])
               .filter(parts__isnull=False).values_list("pk", flat=True).distinct()[:limit])
    return _messages_submitted_if_complete(ids, now)
