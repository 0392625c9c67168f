"""Expiry: a message's lifetime (R-MSG-01) running out before it reached the SMSC, the receipt
window (R-MSG-04) closing on messages without a final status, and the sweep of messages left
SUBMITTING although every part was accepted."""
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from smsportal.periods import kyiv_shift

from ...models import Message, MessagePart
from ...status import Status
from ..transitions import messages_set_submitted, messages_transition, parts_move
from .in_doubt import IN_DOUBT
from .receipts import RECEIPT_DAYS


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
        parts_move(message_ids=ids, new=Status.EXPIRED, sources=[Status.QUEUED], now=now, next_attempt_at=None)
        reached = set(MessagePart.objects.filter(message_id__in=ids)
                      .filter(Q(smsc_message_id__isnull=False) | Q(status=Status.SUBMITTING))
                      .values_list("message_id", flat=True))
        moved = messages_transition(ids=[i for i in ids if i not in reached], new=Status.EXPIRED, now=now,
                                    error_code=error_code, error_detail=error_detail, refund=True)
        moved += messages_transition(ids=[i for i in ids if i in reached], new=Status.EXPIRED, now=now,
                                     error_code=error_code, error_detail=error_detail, refund=False)
    return moved


def messages_expire_stale(*, now=None) -> int:
    """R-MSG-04: 7 days after submission, messages with no final status become EXPIRED, and parts
    still in doubt become EXPIRED with error `in_doubt` (the message stays charged: the operator
    may have delivered it)."""
    now = now or timezone.now()
    cutoff = kyiv_shift(now, days=-RECEIPT_DAYS)  # 7 calendar days on Kyiv dates
    doubt = list(MessagePart.objects.filter(status=Status.SUBMITTING, smsc_message_id__isnull=True)
                 .filter(Q(submitted_at__lt=cutoff) | Q(submitted_at__isnull=True, created_at__lt=cutoff))
                 .values_list("id", "message_id")[:10_000])
    total = 0
    if doubt:
        with transaction.atomic():
            parts_move(ids=[d[0] for d in doubt], new=Status.EXPIRED, sources=[Status.SUBMITTING], now=now,
                       error_code=IN_DOUBT)
            mids = sorted({d[1] for d in doubt})
            total += len(messages_transition(
                ids=mids, new=Status.EXPIRED, error_code=IN_DOUBT, now=now, refund=False,
                error_detail="Sent, but the operator never confirmed it; no delivery report within 7 days."))
            parts_move(message_ids=mids, new=Status.EXPIRED, sources=[Status.SUBMITTED, Status.QUEUED], now=now,
                       next_attempt_at=None)
    ids = list(Message.objects.filter(status=Status.SUBMITTED, submitted_at__lt=cutoff)
               .values_list("pk", flat=True)[:10_000])
    moved = messages_transition(ids=ids, new=Status.EXPIRED, error_code="no_receipt",
                                error_detail="No delivery report within 7 days.", now=now)
    if moved:
        parts_move(message_ids=moved, new=Status.EXPIRED, sources=[Status.SUBMITTED], now=now, next_attempt_at=None)
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
    return messages_set_submitted(message_ids=ids, now=now, only_complete=True)


# A message held for staff review whose lifetime ran out (R-CMP-02): never sent, never charged.
REVIEW_EXPIRED = "review_expired"
REVIEW_EXPIRED_DETAIL = "Its lifetime ended while it waited for the content review; it was not sent or charged."


def messages_expire_held(*, now=None, limit: int = 10_000) -> int:
    """Messages held for review (PENDING_REVIEW) whose lifetime ended before staff decided become
    EXPIRED `review_expired`, their share of the hold released (nothing was sent), their
    `expired` events written. Returns how many expired."""
    now = now or timezone.now()
    total = 0
    while ids := list(Message.objects.filter(status=Status.PENDING_REVIEW, valid_until__lt=now)
                      .order_by("pk").values_list("pk", flat=True)[:limit]):
        moved = messages_transition(ids=ids, new=Status.EXPIRED, now=now, refund=True, error_code=REVIEW_EXPIRED,
                                    error_detail=REVIEW_EXPIRED_DETAIL)
        total += len(moved)
        if len(ids) < limit or not moved:
            break
    return total
