"""Staff decisions on message content: the review queue (R-CMP-02) and spot checks (R-CMP-08).

A message whose text screening holds for review is stored PENDING_REVIEW at accept, its price held
with its send's or campaign's hold. Staff decide per item of the queue, an item being one client's
one text (a send to 500 recipients is one item):

- approve: the text is remembered as approved for the client (compliance: the same text passes at
  once next time), its messages go to their connectors (QUEUED, or REFUSED `opted_out` where the
  recipient opted out meanwhile), or wait for their time (SCHEDULED: a later `send_at`, or an
  account that may not send now, released by the per-minute job as any scheduled message); a
  message whose lifetime ended meanwhile expires uncharged. Charged only when sent (the capture
  at SUBMITTED, as for every message).
- refuse: REFUSED `content_refused` with the staff's reason as the client-facing detail; their
  share of the hold is released.

Every move goes through the status door (its money and webhook events in the same transaction),
and every decision is audited. Spot checks show staff a random sample of each client's recent
texts and let them stop one (its messages not gone yet are cancelled); cancelling a campaign and
blocking the account are the campaign's and lifecycle's own services.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.postgres.aggregates import ArrayAgg
from django.db import connection, transaction
from django.db.models import Count, Min
from django.utils import timezone

from accounts.services import audit_record, clients_lock_active
from compliance.services import approved_text_remember

from ..exceptions import MessagingError
from ..models import Message
from ..status import Status
from .dispatch.expiry import REVIEW_EXPIRED, REVIEW_EXPIRED_DETAIL
from .send import connector_wake
from .transitions import messages_release, messages_transition

CONTENT_REFUSED = "content_refused"
BLOCKED_BY_STAFF = "blocked_by_staff"
BLOCKED_DETAIL = "Stopped by the provider's content check before it was sent."
# Not gone yet: what a spot check can still stop.
WAITING = (Status.SCHEDULED, Status.PENDING_REVIEW, Status.QUEUED)


class ReviewError(MessagingError):
    code = "review_invalid"
    status = 400


@dataclass
class ReviewItem:
    """One item of the queue: one client's one text held for review. `id` is its oldest message's,
    which names the item in staff's decisions."""

    id: int
    message: Message  # the oldest (client, sender, type, reason)
    count: int
    senders: list[str]
    since: object
    send_at: object
    campaign_ids: list[int] = field(default_factory=list)

    @property
    def client(self):
        return self.message.client

    @property
    def text(self) -> str:
        return self.message.text


@dataclass
class ReviewDecision:
    action: str
    client: object
    text: str
    queued: int = 0
    scheduled: int = 0
    refused: int = 0
    expired: int = 0

    @property
    def total(self) -> int:
        return self.queued + self.scheduled + self.refused + self.expired


def _held():
    return Message.objects.filter(status=Status.PENDING_REVIEW)


def review_items_count() -> int:
    """How many items (client, text) wait for a decision."""
    return _held().order_by().values("client_id", "text").distinct().count()


def review_items(*, limit: int = 100, offset: int = 0) -> list[ReviewItem]:
    """The queue, oldest item first: messages held for review grouped by (client, text), in two
    queries whatever the number of messages."""
    groups = list(_held().order_by().values("client_id", "text")
                  .annotate(first_id=Min("id"), count=Count("id"), since=Min("created_at"), send_at=Min("send_at"),
                            senders=ArrayAgg("sender", distinct=True, default=[]),
                            campaigns=ArrayAgg("campaign_id", distinct=True, default=[]))
                  .order_by("since", "first_id")[offset:offset + limit])
    heads = Message.objects.select_related("client", "campaign").in_bulk([g["first_id"] for g in groups])
    return [ReviewItem(id=g["first_id"], message=heads[g["first_id"]], count=g["count"], senders=sorted(g["senders"]),
                       since=g["since"], send_at=g["send_at"], campaign_ids=[c for c in g["campaigns"] if c])
            for g in groups if g["first_id"] in heads]


def _item_head(message_id) -> Message:
    try:
        message_id = int(message_id)
    except (TypeError, ValueError):
        raise ReviewError("No such review item.", code="review_not_found") from None
    head = Message.objects.select_related("client").filter(pk=message_id).first()
    if head is None:
        raise ReviewError("No such review item.", code="review_not_found")
    return head


def _item_lock(head: Message) -> list[tuple]:
    """(id, send_at, valid_until, route id) of the item's messages still held, locked, by id."""
    rows = list(_held().select_for_update().filter(client_id=head.client_id, text=head.text).order_by("pk")
                .values_list("pk", "send_at", "valid_until", "route_id"))
    if not rows:
        raise ReviewError("This item was already decided (or its messages expired).", code="review_decided")
    return rows


def review_approve(*, message_id, actor=None, now=None) -> ReviewDecision:
    """Approves one item (the held messages of the client with the text of message `message_id`):
    the text is remembered as approved for the client, and its messages go on (see the module)."""
    now = now or timezone.now()
    head = _item_head(message_id)
    client = head.client
    with transaction.atomic():
        # The client row first (FOR SHARE, as a send and the per-minute release lock it): a block
        # meanwhile either waits for this commit and cancels what it queued, or is seen here.
        active = bool(clients_lock_active([client.pk]))
        rows = _item_lock(head)
        approved_text_remember(client=client, text=head.text, actor=actor)
        dead, due, later = [], [], []
        for pk, send_at, valid_until, _route in rows:
            if valid_until is not None and valid_until <= now:
                dead.append(pk)  # its lifetime ended while it was held
            elif active and (send_at is None or send_at <= now):
                due.append(pk)
            else:
                later.append(pk)  # its time is later, or the account may not send now
        expired = messages_transition(ids=dead, new=Status.EXPIRED, now=now, refund=True, error_code=REVIEW_EXPIRED,
                                      error_detail=REVIEW_EXPIRED_DETAIL)
        # Due ones are judged again as they leave (stop list, 10 a day, sending window: those held
        # for the window wait SCHEDULED for its next opening).
        queued, refused, held = messages_release(ids=due, now=now)
        scheduled = [*messages_transition(ids=later, new=Status.SCHEDULED, now=now), *held]
        went = set(queued)
        routes = {route for pk, _s, _v, route in rows if route and pk in went}
        for route_id in sorted(routes):
            connector_wake(route_id)
        decision = ReviewDecision("approved", client, head.text, queued=len(queued), scheduled=len(scheduled),
                                  refused=len(refused), expired=len(expired))
        audit_record(code="messaging.review.approved", actor=actor, client=client, target=f"message:{head.public_id}",
                     details={"text": head.text[:500], "reason": head.error_code, "queued": len(queued),
                              "scheduled": len(scheduled), "opted_out": len(refused), "expired": len(expired)})
    return decision


def review_refuse(*, message_id, reason: str, actor=None, now=None) -> ReviewDecision:
    """Refuses one item: its held messages become REFUSED `content_refused` with `reason` (the
    client sees it), their share of the hold released."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ReviewError("Give the reason the client will see.", code="reason_required")
    now = now or timezone.now()
    head = _item_head(message_id)
    with transaction.atomic():
        ids = [r[0] for r in _item_lock(head)]
        refused = messages_transition(ids=ids, new=Status.REFUSED, now=now, error_code=CONTENT_REFUSED,
                                      error_detail=reason[:300], refund=True)
        audit_record(code="messaging.review.refused", actor=actor, client=head.client,
                     target=f"message:{head.public_id}",
                     details={"text": head.text[:500], "reason": reason[:300], "refused": len(refused)})
    return ReviewDecision("refused", head.client, head.text, refused=len(refused))


def reviews_decide(*, message_ids, action: str, actor=None, reason: str = "", now=None
                   ) -> tuple[list[ReviewDecision], list[tuple[int, str]]]:
    """A bulk decision over several items (`action` approve or refuse), each in its own
    transaction: returns (decisions, [(item id, why it failed)])."""
    if action not in ("approve", "refuse"):
        raise ReviewError("Choose approve or refuse.", code="review_action_invalid")
    if action == "refuse" and not " ".join((reason or "").split()):
        raise ReviewError("Give the reason the client will see.", code="reason_required")
    done, failed = [], []
    for message_id in message_ids:
        try:
            if action == "approve":
                done.append(review_approve(message_id=message_id, actor=actor, now=now))
            else:
                done.append(review_refuse(message_id=message_id, reason=reason, actor=actor, now=now))
        except ReviewError as exc:
            failed.append((message_id, exc.detail))
    return done, failed


# --- spot checks (R-CMP-08) ---------------------------------------------------------------------

SPOT_CHECK_DAYS = 7
SPOT_CHECK_PER_CLIENT = 5


@dataclass
class SpotCheckItem:
    """One sampled text of a client: its latest message, how many messages carried it in the
    period and how many of them have not gone yet."""

    message: Message
    count: int
    waiting: int

    @property
    def client(self):
        return self.message.client


def spot_check_sample(*, days: int = SPOT_CHECK_DAYS, per_client: int = SPOT_CHECK_PER_CLIENT, now=None,
                      client_id: int | None = None, max_items: int = 500) -> list[SpotCheckItem]:
    """A random sample of each client's distinct texts of the last `days` (at most `per_client`
    per client; one client's with `client_id`), by client: for staff's spot checks."""
    now = now or timezone.now()
    table = Message._meta.db_table
    where = "created_at >= %(since)s AND text <> ''"
    if client_id is not None:
        where += " AND client_id = %(client)s"
    sql = (f"SELECT id, n, waiting FROM ("
           f"  SELECT g.*, row_number() OVER (PARTITION BY g.client_id ORDER BY random()) AS pick FROM ("
           f"    SELECT client_id, text, max(id) AS id, count(*) AS n, "
           f"           count(*) FILTER (WHERE status = ANY(%(waiting)s::text[])) AS waiting "
           f"    FROM {table} WHERE {where} GROUP BY client_id, text) AS g) AS s "
           f"WHERE pick <= %(per)s ORDER BY client_id, pick LIMIT %(max)s")
    with connection.cursor() as cur:
        cur.execute(sql, {"since": now - timedelta(days=days), "client": client_id, "per": per_client,
                          "max": max_items, "waiting": [str(s) for s in WAITING]})
        picked = cur.fetchall()
    messages = Message.objects.select_related("client", "campaign").in_bulk([p[0] for p in picked])
    return [SpotCheckItem(message=messages[pk], count=n, waiting=waiting) for pk, n, waiting in picked if pk in messages]


def spot_check_message_get(*, message_id) -> Message | None:
    """The message a spot check acts on, with its client and campaign (None for a bad id)."""
    try:
        message_id = int(message_id)
    except (TypeError, ValueError):
        return None
    return Message.objects.select_related("client", "campaign").filter(pk=message_id).first()


def message_block(*, message_id, actor=None, reason: str = "", now=None) -> int:
    """Staff stop a text a spot check found (R-CMP-08): every message of its client with that text
    that has not gone yet (scheduled, held for review, queued) is cancelled `blocked_by_staff`, its
    reservation released, its `cancelled` event written. Audited. Returns how many were cancelled
    (0 when everything had gone already)."""
    now = now or timezone.now()
    head = _item_head(message_id)
    reason = " ".join((reason or "").split())
    detail = f"{BLOCKED_DETAIL} {reason}"[:300] if reason else BLOCKED_DETAIL
    with transaction.atomic():
        ids = list(Message.objects.filter(client_id=head.client_id, text=head.text, status__in=WAITING)
                   .order_by("pk").values_list("pk", flat=True))
        cancelled = messages_transition(ids=ids, new=Status.CANCELLED, now=now, error_code=BLOCKED_BY_STAFF,
                                        error_detail=detail)
        audit_record(code="messaging.message.blocked", actor=actor, client=head.client,
                     target=f"message:{head.public_id}",
                     details={"text": head.text[:500], "reason": reason[:300], "cancelled": len(cancelled),
                              "its_message_gone": head.status not in WAITING})
    return len(cancelled)
