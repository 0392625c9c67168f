"""What a bind learned from the SMSC: accepted parts, refused ones (retried with backoff, expired
or failed by the SMPP error table), parts in doubt, receipts and inbound SMS — written in one
transaction with its next claim (`connector_flush`)."""
import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from smsportal.db import ASYNC_COMMIT_SQL, wal_flush_after_commit

from ...models import MessagePart
from ...status import Status
from ..inbound import inbound_store
from ..transitions import (connector_results_write, messages_set_submitted, messages_transition, parts_move,
                           parts_set_submitted)
from .claims import ClaimedPart, parts_claim, parts_for_claimed_messages, parts_release
from .expiry import messages_expire_ttl
from .in_doubt import parts_flag_in_doubt
from .receipts import QUERY_SCHEDULE, receipts_sql
from .smpp_errors import PERMANENT, retry_delay, smpp_error_code, smpp_error_detail, smpp_error_kind

log = logging.getLogger("smsportal.messaging")


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
    now = now or timezone.now()
    with transaction.atomic(savepoint=False):
        # The captures lock the clients' wallet rows, which their sends lock too: the commit does
        # not keep them locked while it reaches the disk (`ASYNC_COMMIT_SQL`, sent in the pipeline
        # below: smsportal.db.commit_without_waiting_for_disk without a round trip of its own);
        # this waits for the disk after the commit, before the claimed parts are written or the
        # deliver_sm answered, as before.
        wal_flush_after_commit()
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
            parts_move(ids=dropped, new=Status.FAILED, sources=[Status.SUBMITTING], unanswered=True, now=now,
                       error_code="sibling_failed")
        if expired:
            parts_release(unwritten=[pid for pid, _mid in expired], now=now)
            messages_expire_ttl(ids={mid for _pid, mid in expired}, now=now)
        if inbound:
            inbound_store(route_id=route_id, messages=inbound)
        if fresh_rows:
            claimed += parts_for_claimed_messages(route_id, fresh_rows, now)
        return claimed


def _pipeline(route_id, submitted, complete, receipts, fresh: int, now) -> list[tuple]:
    """The hot part of `connector_flush` as one pipeline (`transitions.connector_results_write`):
    the commit without waiting for the disk, accepted parts, their messages, receipts, and the
    claim of up to `fresh` QUEUED messages, whose rows it returns."""
    rows, dupes = _unique_ids(submitted)
    stored, claim_rows = connector_results_write(
        route_id=route_id, rows=rows, complete=complete, fresh=fresh, now=now, next_query_at=now + QUERY_SCHEDULE[0],
        also=[(ASYNC_COMMIT_SQL, ())] + ([receipts_sql(route_id, receipts, now)] if receipts else []))
    dupes += [r for r in rows if r[0] not in stored]
    if dupes:
        _store_duplicates(dupes, now)
    return claim_rows


def parts_submitted(*, rows, complete=(), now=None) -> None:
    """Parts the SMSC accepted: SUBMITTED with their id (first query_sm in 10 minutes). Messages
    in `complete` become SUBMITTED; other messages of these parts do once no part of theirs is
    still waiting or unanswered."""
    now = now or timezone.now()
    rows, dupes = _unique_ids(rows)
    with transaction.atomic(savepoint=False):
        stored = parts_set_submitted(rows=rows, now=now, next_query_at=now + QUERY_SCHEDULE[0])
        dupes += [r for r in rows if r[0] not in stored]
        complete = sorted(set(complete))
        if complete:
            messages_set_submitted(message_ids=complete, now=now)
        others = sorted({r[1] for r in rows} - set(complete))
        if others:
            messages_set_submitted(message_ids=others, now=now, only_complete=True)
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
    parts_set_submitted(rows=renamed, now=now, next_query_at=now + QUERY_SCHEDULE[0])
    messages_set_submitted(message_ids=sorted({r[1] for r in dupes}), now=now, only_complete=True)


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
            parts_move(ids=[pid], new=Status.FAILED, sources=[Status.SUBMITTING], now=now, error_code=code)
            failed.setdefault(status, set()).add(mid)
            continue
        retry_at = now + timedelta(seconds=retry_delay(attempts))
        if valid_until is not None and retry_at >= valid_until:
            parts_move(ids=[pid], new=Status.EXPIRED, sources=[Status.SUBMITTING], now=now, error_code=code)
            expire.add(mid)
        else:
            parts_move(ids=[pid], new=Status.QUEUED, sources=[Status.SUBMITTING], error_code=code,
                       attempts=attempts + 1, next_attempt_at=retry_at, submitted_at=None)
    for status, mids in failed.items():
        parts_move(message_ids=mids, new=Status.FAILED, sources=[Status.QUEUED], now=now, error_code="sibling_failed",
                   next_attempt_at=None)
        messages_transition(ids=mids, new=Status.FAILED, error_code=smpp_error_code(status),
                            error_detail=smpp_error_detail(status), now=now)
    if expire:
        messages_expire_ttl(ids=expire, now=now, error_code="ttl",
                            error_detail="The SMSC kept refusing it until its lifetime ended.")

