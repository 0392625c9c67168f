"""The status machine's writes, the release of due messages, and delivery receipts."""
import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing.services import wallet_refund

from ..models import Message, MessagePart, ReceiptInbox
from ..status import FINAL, REFUNDABLE, Status, sources_for
from .send import connector_wake

log = logging.getLogger("smsportal.messaging")

RECEIPT_WINDOW = timedelta(days=7)  # R-MSG-04


def messages_release_due(*, now=None, limit: int = 50_000) -> int:
    """Scheduled and bulk messages whose time has come go to their connectors (the per-minute job)."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(Message.objects.filter(status=Status.SCHEDULED, send_at__lte=now)
                   .order_by("id").values_list("id", flat=True)[:limit])
        if not ids:
            return 0
        released = Message.objects.filter(pk__in=ids, status=Status.SCHEDULED).update(
            status=Status.QUEUED, updated_at=now)
        for route_id in (Message.objects.filter(pk__in=ids).values_list("route_id", flat=True).distinct()):
            if route_id:
                connector_wake(route_id)
    return released


def messages_transition(*, ids, new: str, error_code: str = "", error_detail: str = "", now=None) -> list[int]:
    """Moves messages to `new` where the status machine allows it; refunds what the operator never
    took. Returns the ids that moved."""
    now = now or timezone.now()
    ids = list(ids)
    if not ids:
        return []
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
                      .order_by("pk").values_list("pk", "public_id", "client_id", "price"))
        if not moving:
            return []
        Message.objects.filter(pk__in=[m[0] for m in moving]).update(**fields)
        if new in REFUNDABLE:
            for _pk, public_id, client_id, price in moving:
                wallet_refund(client_id=client_id, amount=price, key=f"refund:{public_id}",
                              description=f"Refund: message {public_id} {new}")
    return [m[0] for m in moving]


# --- receipts ---------------------------------------------------------------------------------

STAT_OUTCOME = {
    "DELIVRD": Status.DELIVERED,
    "UNDELIV": Status.UNDELIVERED,
    "EXPIRED": Status.EXPIRED,
    "REJECTD": Status.REJECTED,
    "DELETED": Status.UNDELIVERED,
}
# message_state TLV (SMPP 3.4 5.2.28) → our outcome
STATE_OUTCOME = {2: Status.DELIVERED, 3: Status.EXPIRED, 4: Status.UNDELIVERED, 5: Status.UNDELIVERED,
                 8: Status.REJECTED}
STATE_STAT = {1: "ENROUTE", 2: "DELIVRD", 3: "EXPIRED", 4: "DELETED", 5: "UNDELIV", 6: "ACCEPTD",
              7: "UNKNOWN", 8: "REJECTD"}
UNMATCHED_GIVE_UP_AFTER = timedelta(hours=1)


def receipts_store(*, route_id: int, receipts: list[tuple[str, str, str, str]]) -> None:
    """Durably records receipts (smsc_message_id, stat, err, raw) before they are acknowledged."""
    ReceiptInbox.objects.bulk_create(
        [ReceiptInbox(route_id=route_id, smsc_message_id=i, stat=s, error=e, raw=r) for i, s, e, r in receipts])


def _message_outcome(part_statuses: list[str], total: int) -> str | None:
    """A message is delivered when all its parts are; it fails as soon as one part finally fails."""
    for st in part_statuses:
        if st in (Status.UNDELIVERED, Status.REJECTED, Status.EXPIRED):
            return st
    if len(part_statuses) == total and all(st == Status.DELIVERED for st in part_statuses):
        return Status.DELIVERED
    return None


def receipts_apply(*, limit: int = 5000, now=None) -> int:
    """Matches stored receipts to parts and settles messages. Returns how many receipts matched."""
    now = now or timezone.now()
    with transaction.atomic():
        inbox = list(ReceiptInbox.objects.select_for_update(skip_locked=True)
                     .filter(processed_at__isnull=True).order_by("id")[:limit])
        if not inbox:
            return 0
        keys = {(r.route_id, r.smsc_message_id) for r in inbox}
        q = Q()
        for route_id in {k[0] for k in keys}:
            q |= Q(route_id=route_id, smsc_message_id__in=[k[1] for k in keys if k[0] == route_id])
        parts = {(p.route_id, p.smsc_message_id): p for p in MessagePart.objects.filter(q)}
        matched, touched, changed_parts = 0, set(), []
        for r in inbox:
            part = parts.get((r.route_id, r.smsc_message_id))
            outcome = STAT_OUTCOME.get(r.stat.upper())
            if part is None:
                r.attempts += 1
                if now - r.received_at > UNMATCHED_GIVE_UP_AFTER:
                    r.processed_at = now
                continue
            r.processed_at = now
            matched += 1
            if outcome is None or part.status == outcome:
                continue  # intermediate (ENROUTE, ACCEPTD) or a duplicate receipt
            if part.status in FINAL and part.status != Status.EXPIRED:
                continue  # never move a final status back
            part.status, part.done_at = outcome, now
            if r.error and r.error not in ("000", "0"):
                part.error_code = r.error[:32]
            changed_parts.append(part)
            touched.add(part.message_id)
        ReceiptInbox.objects.bulk_update(inbox, ["processed_at", "attempts"])
        MessagePart.objects.bulk_update(changed_parts, ["status", "done_at", "error_code"])
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
    for outcome, ids in groups.items():
        messages_transition(ids=ids, new=outcome, now=now)


def messages_expire_stale(*, now=None) -> int:
    """Messages with no final status 7 days after submission become EXPIRED (R-MSG-04)."""
    now = now or timezone.now()
    ids = list(Message.objects.filter(status=Status.SUBMITTED, submitted_at__lt=now - RECEIPT_WINDOW)
               .values_list("pk", flat=True)[:10_000])
    moved = messages_transition(ids=ids, new=Status.EXPIRED, error_code="no_receipt",
                                error_detail="No delivery report within 7 days.", now=now)
    if moved:
        MessagePart.objects.filter(message_id__in=moved, status=Status.SUBMITTED).update(
            status=Status.EXPIRED, done_at=now)
    return len(moved)
