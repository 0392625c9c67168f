"""What the status machine tells the wallet (R-BILL-06, R-BILL-14), in billing's terms.

A send reserves its price at accept: one hold per request or per campaign (a `HoldRef`, never one
per message). Messaging reports what happened to each message, as an `Outcome` (`SettleItem`):

- it reached the operator (SUBMITTED): the connector's flush reports a whole batch at once;
- it was never sent (refused, failed, cancelled, expired before any part was accepted);
- its final outcome: delivered, or not delivered (undelivered, expired, rejected), with whether it
  went to a Ukrainian number (R-BILL-06) and what was reported for it before.

Billing alone decides what that costs (capture, release, refund or nothing: `hold_settle`), once
per hold and batch, so a retried flush or receipt batch never moves money twice; a capture beyond
its hold is stopped there, loudly, without failing the batch. Messaging neither composes a hold's
ledger key nor reads the ledger.
"""
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from billing.selectors import holds_open_for_sends
from billing.services import HoldRef, Outcome, SettleItem, hold_settle, holds_release_rest

from ..models import Campaign, Message
from ..status import Status

# Reserved by the hold, not spent yet.
HELD = frozenset({Status.SCHEDULED, Status.PENDING_REVIEW, Status.QUEUED, Status.SUBMITTING})
# Reached the operator: paid (unless R-BILL-06 says otherwise for a final outcome).
KEPT = frozenset({Status.SUBMITTED, Status.DELIVERED, Status.UNDELIVERED, Status.EXPIRED, Status.REJECTED})
# Final outcomes in which the operator took the message but the recipient never got it.
NOT_DELIVERED = frozenset({Status.UNDELIVERED, Status.EXPIRED, Status.REJECTED})
UKRAINE = "+380"


def hold_ref(batch_id, campaign_id) -> HoldRef:
    """The hold that pays for a message: its campaign's (the campaign's public id is the batch
    id of its messages) or its send's."""
    return HoldRef("campaign" if campaign_id else "send", batch_id)


def _outcome(status: str) -> str | None:
    """What a status means for the money, or None while the message's money is only held."""
    if status in HELD:
        return None
    if status == Status.SUBMITTED:
        return Outcome.REACHED_OPERATOR
    if status == Status.DELIVERED:
        return Outcome.DELIVERED
    if status in NOT_DELIVERED:
        return Outcome.NOT_DELIVERED
    return Outcome.NOT_SENT


class _Refs(dict):
    """HoldRef per (batch id, campaign?), made once per batch of rows."""

    def __missing__(self, key):
        ref = self[key] = hold_ref(*key)
        return ref


def messages_capture(rows) -> None:
    """The messages that just became SUBMITTED reached the operator: rows of (message id, client
    id, batch id, campaign id, price), as the connector's flush returns them."""
    refs = _Refs()
    hold_settle(items=[SettleItem(mid, client_id, refs[batch_id, bool(campaign_id)], price, Outcome.REACHED_OPERATOR)
                       for mid, client_id, batch_id, campaign_id, price in rows if price])


def messages_settle(moving, *, new: str, refund: bool) -> None:
    """The money of a status transition: `moving` rows of (message id, client id, batch id,
    campaign id, price, old status, recipient) that just moved to `new`. `refund`: the operator
    never took them (give everything back)."""
    outcome = Outcome.NOT_SENT if refund else _outcome(new)
    if outcome is None or (outcome == Outcome.NOT_SENT and not refund):
        # Back to waiting, or a refusal the caller says the operator may have taken: no money moves.
        return
    refs = _Refs()
    hold_settle(items=[
        SettleItem(mid, client_id, refs[batch_id, bool(campaign_id)], price, outcome, earlier=_outcome(old),
                   domestic=recipient.startswith(UKRAINE), label=str(new))
        for mid, client_id, batch_id, campaign_id, price, old, recipient in moving if price])


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
    holds = holds_open_for_sends(created_before=now - older_than)
    # What the holds paid for, in three queries for all of them (not two per hold).
    campaign_refs = [h.reference.id for h in holds if h.reference.kind == "campaign"]
    campaigns = {(c.client_id, c.public_id): c for c in Campaign.objects.filter(public_id__in=campaign_refs)
                 .only("pk", "client_id", "public_id", "state")} if campaign_refs else {}
    busy_campaigns = set(Message.objects.filter(campaign_id__in=[c.pk for c in campaigns.values()],
                                                status__in=list(HELD)).order_by()
                         .values_list("campaign_id", flat=True).distinct()) if campaigns else set()
    send_refs = [h.reference.id for h in holds if h.reference.kind == "send"]
    busy_sends = set(Message.objects.filter(batch_id__in=send_refs, status__in=list(HELD)).order_by()
                     .values_list("client_id", "batch_id").distinct()) if send_refs else set()
    total = Decimal("0")
    for hold in holds:
        if hold.reference.kind == "campaign":
            campaign = campaigns.get((hold.client_id, hold.reference.id))
            if campaign is None or campaign.state == Campaign.State.ACCEPTING or campaign.pk in busy_campaigns:
                continue
            why = f"Campaign {campaign.get_state_display().lower()}, no message left to send: rest of its hold released"
        elif (hold.client_id, hold.reference.id) in busy_sends:
            continue
        else:
            why = "No message of the send left to send: rest of its hold released"
        total += holds_release_rest(holds=[hold], reason=why)
    return total
