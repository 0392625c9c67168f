"""Delivery receipts (R-MSG-04): stored before they are acknowledged, then matched to parts and
their messages settled; query_sm polling of submitted parts still without a final status."""
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from smsportal.db import raw_cursor
from smsportal.periods import kyiv_shift

from ...models import Message, MessagePart, ReceiptInbox
from ...status import FINAL, Status
from ..transitions import messages_transition, parts_set_outcomes
from .in_doubt import IN_DOUBT_MATCH_AFTER, match_in_doubt

RECEIPT_WINDOW = timedelta(days=7)  # R-MSG-04 (as a size; the deadline itself is `receipt_window_end`)
RECEIPT_DAYS = 7


def receipt_window_end(submitted_at: datetime) -> datetime:
    """R-MSG-04: reports are taken for 7 calendar days (Kyiv) after submission, same wall-clock time."""
    return kyiv_shift(submitted_at, days=RECEIPT_DAYS)
# query_sm (R-MSG-04): this long after submission, then every day until the window closes.
QUERY_SCHEDULE = (timedelta(minutes=10), timedelta(hours=1), timedelta(hours=6), timedelta(hours=24))
UNMATCHED_GIVE_UP_AFTER = timedelta(hours=1)
_INBOX = ReceiptInbox._meta.db_table


def next_query_at(submitted_at: datetime, now: datetime) -> datetime | None:
    """When a submitted part without a final status is queried next (None: the window closed)."""
    age = now - submitted_at
    for step in QUERY_SCHEDULE:
        if age < step:
            return submitted_at + step
    days = int(age / timedelta(days=1)) + 1
    nxt = submitted_at + timedelta(days=days)
    return nxt if nxt <= receipt_window_end(submitted_at) else None


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


def receipts_sql(route_id, receipts, now) -> tuple[str, list]:
    """The INSERT (and its parameters) that stores receipts: the connector's flush pipelines it."""
    return _SQL_RECEIPTS_INSERT, [route_id, now, [r[0] for r in receipts], [r[1] for r in receipts],
                                  [r[2] for r in receipts], [r[3] for r in receipts]]


def receipts_store(*, route_id: int, receipts, now=None) -> None:
    """Durably records receipts (smsc_message_id, stat, err, raw) before they are acknowledged."""
    receipts = list(receipts)
    if not receipts:
        return
    with raw_cursor() as cur:
        cur.execute(*receipts_sql(route_id, receipts, now or timezone.now()))


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
    `in_doubt.match_in_doubt`)."""
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
            parts.update(match_in_doubt(doubtful, now))
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
        parts_set_outcomes(changed=changed, now=now)
        if touched:
            _settle_messages(touched, now)
    return matched


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

