"""Claims: a bind takes the parts it is about to write (committed SUBMITTING) — first the parts
due for a retry, then the parts of QUEUED messages — and gives back what it never wrote."""
import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ... import segments
from ...models import MessagePart
from ...status import Status
from ..transitions import messages_claim_fresh_rows, parts_claim_retries, parts_insert_claimed, parts_move
from .expiry import messages_expire_ttl
from .payloads import part_payloads

log = logging.getLogger("smsportal.messaging")


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
    rows = parts_claim_retries(route_id=route_id, limit=limit, now=now)
    return [ClaimedPart(pid, mid, seq, sender, recipient, part_payloads(text, mid)[seq - 1], valid_until,
                        attempts, 0)
            for pid, mid, seq, attempts, sender, recipient, text, valid_until in sorted(rows, key=lambda r: r[0])]


def _claim_fresh(route_id: int, limit: int, now) -> list[ClaimedPart]:
    return parts_for_claimed_messages(route_id, messages_claim_fresh_rows(route_id=route_id, limit=limit, now=now),
                                      now)


def parts_for_claimed_messages(route_id: int, rows, now) -> list[ClaimedPart]:
    """The parts of messages just claimed (`transitions.messages_claim_fresh_rows`): writes the part rows still
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
        ids = parts_insert_claimed(route_id=route_id, keys=[(c.message_id, c.seq) for c in missing], now=now)
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
    return parts_move(ids=unwritten, new=Status.QUEUED, sources=[Status.SUBMITTING], unanswered=True,
                      next_attempt_at=now, submitted_at=None)

