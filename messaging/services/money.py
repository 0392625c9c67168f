"""What the status machine owes the wallet (R-BILL-06, R-BILL-14).

A send reserves its price at accept: one hold per request (`send:<batch>`) or per campaign
(`campaign:<campaign id>`, never one per message). A message's share of its hold is

- captured when it reaches the operator (SUBMITTED, or straight to a receipt outcome, or EXPIRED
  while a part may have been accepted): the connector's flush captures per hold, per batch;
- released when it never reaches the operator (refused, failed, cancelled, expired before any part
  was accepted);
- for a client who pays only for delivered SMS (R-BILL-06), a message to a Ukrainian number that
  ends undelivered, expired or rejected is released if it was still held, refunded if it was
  captured, once: the status machine moves each message out of SUBMITTED only once, and a late
  receipt after EXPIRED moves no money.

Every batch is one `billing.services.holds_settle` call: one entry per hold, its idempotency key
made from the ids of the messages it settles, so a retried flush or receipt batch never moves
money twice.

A capture its hold cannot cover (the messages' prices add up to more than was reserved: a bug,
never a normal case) is refused by billing (`HoldShort`). The status change stands (the
operator did accept those messages: a connector's flush must neither fail nor lose its SMSC
results over money); billing stops that hold, loudly (`hold_stop`: CRITICAL log, audit
`billing.hold.short`), and the rest of the batch settles as usual.
"""
import hashlib
import uuid
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Client
from billing.exceptions import HoldShort
from billing.models import LedgerEntry
from billing.selectors import holds_open
from billing.services import HoldMove, holds_release_rest, holds_settle
from billing.services.holds import hold_stop

from ..models import Campaign, Message
from ..status import Status

# Reserved by the hold, not spent yet.
HELD = frozenset({Status.SCHEDULED, Status.PENDING_REVIEW, Status.QUEUED, Status.SUBMITTING})
# Reached the operator: paid.
KEPT = frozenset({Status.SUBMITTED, Status.DELIVERED, Status.UNDELIVERED, Status.EXPIRED, Status.REJECTED})
# Final outcomes a pay-for-delivered client does not pay for (R-BILL-06).
NOT_DELIVERED = frozenset({Status.UNDELIVERED, Status.EXPIRED, Status.REJECTED})
UKRAINE = "+380"
Kind = LedgerEntry.Kind


def hold_key(batch_id, campaign_id) -> str:
    """The idempotency key of the hold that pays for a message (its send's, or its campaign's)."""
    return f"campaign:{batch_id}" if campaign_id else f"send:{batch_id}"


def _digest(ids) -> str:
    return hashlib.blake2b(",".join(map(str, sorted(ids))).encode(), digest_size=10).hexdigest()


def _moves(kind: str, rows, label: str) -> list[HoldMove]:
    """One move per hold for `rows` of (message id, client id, batch id, campaign id, price)."""
    groups: dict[tuple[int, str], list] = {}
    for mid, client_id, batch_id, campaign_id, price in rows:
        if not price:
            continue
        group = groups.setdefault((client_id, hold_key(batch_id, campaign_id)), [[], Decimal("0")])
        group[0].append(mid)
        group[1] += Decimal(price)
    return [HoldMove(client_id=client_id, kind=kind, source_key=key, amount=total, key=f"{kind}:{key}:{_digest(ids)}",
                     description=f"{len(ids)} SMS {label}", details={"messages": sorted(ids)})
            for (client_id, key), (ids, total) in sorted(groups.items())]


def _settle(moves: list[HoldMove]) -> None:
    """holds_settle, with captures beyond their hold stopped instead of failing the batch."""
    try:
        holds_settle(moves=moves)
    except HoldShort as exc:
        refused = {s.move.key for s in exc.shorts}
        for shortfall in exc.shorts:
            hold_stop(shortfall=shortfall)
        holds_settle(moves=[m for m in moves if m.key not in refused])


def messages_capture(rows) -> None:
    """Captures the price of messages that just became SUBMITTED: rows of (message id, client id,
    batch id, campaign id, price), as the connector's flush returns them."""
    _settle(_moves(Kind.CAPTURE, rows, "sent"))


def messages_settle(moving, *, new: str, refund: bool) -> None:
    """The money of a status transition: `moving` rows of (message id, client id, batch id,
    campaign id, price, old status, recipient) that just moved to `new`. `refund`: the operator
    never took them (give everything back)."""
    unpaid_clients: set[int] = set()
    if new in NOT_DELIVERED:
        clients = {row[1] for row in moving}
        unpaid_clients = set(Client.objects.filter(pk__in=clients, pay_for_delivered=True)
                             .values_list("pk", flat=True))
    captures, releases, refunds = [], [], []
    for mid, client_id, batch_id, campaign_id, price, old, recipient in moving:
        unpaid = client_id in unpaid_clients and recipient.startswith(UKRAINE)
        row = (mid, client_id, batch_id, campaign_id, price)
        if old in HELD:
            if refund or (unpaid and new in KEPT):
                releases.append(row)
            elif new in KEPT:
                captures.append(row)
        elif old == Status.SUBMITTED and (refund or unpaid):
            refunds.append(row)
    why = " (pays for delivered only)" if new in NOT_DELIVERED else ""
    _settle(_moves(Kind.CAPTURE, captures, "sent")
            + _moves(Kind.RELEASE, releases, f"{new}, not charged{why}")
            + _moves(Kind.REFUND, refunds, f"{new}, refunded{why}"))


# A hold younger than this is left alone by the safety net (its send may still be settling).
STALE_HOLD_AFTER = timedelta(hours=1)


def holds_release_stale(*, now=None, older_than: timedelta = STALE_HOLD_AFTER) -> Decimal:
    """The safety net under the per-message settlement: a send's or campaign's hold that still
    reserves money although none of its messages can take any more (none is scheduled, in review,
    queued or submitting: all are final or already captured, or there are none) gives the rest
    back, audited `billing.hold.released_stale`. Messaging knows the message states; billing
    moves the money, once per hold, never beyond what it still reserves. Returns the total released.

    Safe against a send in flight: a message and the money it moves change in one transaction,
    so a message seen final here has settled its share, and one not final yet keeps its hold."""
    now = now or timezone.now()
    holds = []  # (client id, hold key, rest, kind, batch id) of sends' and campaigns' holds
    for client_id, key, rest in holds_open(created_before=now - older_than):
        kind, _, ref = key.partition(":")
        if kind not in ("campaign", "send"):
            continue  # not a send's hold: not messaging's to judge
        try:
            holds.append((client_id, key, rest, kind, uuid.UUID(ref)))
        except ValueError:
            continue
    # What the holds paid for, in three queries for all of them (not two per hold).
    campaign_refs = [batch_id for _c, _k, _r, kind, batch_id in holds if kind == "campaign"]
    campaigns = {(c.client_id, c.public_id): c for c in Campaign.objects.filter(public_id__in=campaign_refs)
                 .only("pk", "client_id", "public_id", "state")} if campaign_refs else {}
    busy_campaigns = set(Message.objects.filter(campaign_id__in=[c.pk for c in campaigns.values()],
                                                status__in=list(HELD)).order_by()
                         .values_list("campaign_id", flat=True).distinct()) if campaigns else set()
    send_refs = [batch_id for _c, _k, _r, kind, batch_id in holds if kind == "send"]
    busy_sends = set(Message.objects.filter(batch_id__in=send_refs, status__in=list(HELD)).order_by()
                     .values_list("client_id", "batch_id").distinct()) if send_refs else set()
    stale = []
    for client_id, key, rest, kind, batch_id in holds:
        if kind == "campaign":
            campaign = campaigns.get((client_id, batch_id))
            if campaign is None or campaign.state == Campaign.State.ACCEPTING or campaign.pk in busy_campaigns:
                continue
            why = f"Campaign {campaign.get_state_display().lower()}, no message left to send: rest of its hold released"
        elif (client_id, batch_id) in busy_sends:
            continue
        else:
            why = "No message of the send left to send: rest of its hold released"
        stale.append((client_id, key, rest, why))
    total = Decimal("0")
    for client_id, key, rest, why in stale:
        total += holds_release_rest(holds=[(client_id, key, rest)], reason=why)
    return total
