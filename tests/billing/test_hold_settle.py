"""Billing alone decides what an outcome costs (R-BILL-06, R-BILL-14): `hold_settle` receives what
happened to each paid item in billing's own terms and captures, releases or refunds."""
import uuid
from decimal import Decimal

import pytest

from accounts.models import Client
from billing.models import LedgerEntry, Wallet
from billing.selectors import holds_open_for_sends
from billing.services import HoldRef, Outcome, SettleItem, hold_open, hold_settle
from tests.factories import make_client

pytestmark = pytest.mark.django_db
PRICE = Decimal("0.85")


def _wallet(client) -> tuple[Decimal, Decimal]:
    w = Wallet.objects.get(client=client)
    return w.balance.amount, w.held.amount


def _hold(client, n=4) -> HoldRef:
    ref = HoldRef("send", uuid.uuid4())
    hold_open(client=client, reference=ref, amount=n * PRICE, description=f"{n} SMS")
    return ref


def _item(client, ref, item_id, outcome, earlier=None, domestic=True):
    return SettleItem(item_id, client.pk, ref, PRICE, outcome, earlier=earlier, domestic=domestic, label="x")


def test_r_bill_14_outcomes_capture_or_release_what_is_held(db):
    client = make_client(balance=100)
    ref = _hold(client)
    assert hold_open(client=client, reference=ref, amount=4 * PRICE, description="again").idempotency_key == ref.key
    hold_settle(items=[_item(client, ref, 1, Outcome.REACHED_OPERATOR), _item(client, ref, 2, Outcome.DELIVERED),
                       _item(client, ref, 3, Outcome.NOT_DELIVERED), _item(client, ref, 4, Outcome.NOT_SENT)])
    assert _wallet(client) == (100 - 3 * PRICE, 0)
    kinds = sorted(LedgerEntry.objects.filter(kind__in=["capture", "release"]).values_list("kind", "amount"))
    assert kinds == [("capture", -3 * PRICE), ("release", 0)]


def test_r_bill_14_a_captured_item_pays_once_and_never_sent_is_refunded(db):
    client = make_client(balance=100)
    ref = _hold(client, 2)
    hold_settle(items=[_item(client, ref, 1, Outcome.REACHED_OPERATOR), _item(client, ref, 2, Outcome.REACHED_OPERATOR)])
    assert _wallet(client) == (100 - 2 * PRICE, 0)
    hold_settle(items=[_item(client, ref, 1, Outcome.DELIVERED, earlier=Outcome.REACHED_OPERATOR),
                       _item(client, ref, 2, Outcome.NOT_DELIVERED, earlier=Outcome.REACHED_OPERATOR)])
    assert _wallet(client) == (100 - 2 * PRICE, 0)  # paid once, at the operator
    hold_settle(items=[_item(client, ref, 2, Outcome.NOT_SENT, earlier=Outcome.REACHED_OPERATOR)])
    assert _wallet(client) == (100 - PRICE, 0)


def test_r_bill_06_pays_only_for_delivered_domestic_sms(db):
    client = make_client(balance=100)
    Client.objects.filter(pk=client.pk).update(pay_for_delivered=True)
    ref = _hold(client, 4)
    hold_settle(items=[_item(client, ref, 1, Outcome.REACHED_OPERATOR), _item(client, ref, 2, Outcome.REACHED_OPERATOR)])
    hold_settle(items=[
        _item(client, ref, 1, Outcome.NOT_DELIVERED, earlier=Outcome.REACHED_OPERATOR),  # refunded
        _item(client, ref, 2, Outcome.DELIVERED, earlier=Outcome.REACHED_OPERATOR),  # paid
        _item(client, ref, 3, Outcome.NOT_DELIVERED),  # released from the hold
        _item(client, ref, 4, Outcome.NOT_DELIVERED, domestic=False),  # abroad: paid as reached
    ])
    assert _wallet(client) == (100 - 2 * PRICE, 0)
    refund = LedgerEntry.objects.get(kind="refund")
    assert refund.amount.amount == PRICE and "pays for delivered only" in refund.description
    # A late outcome of an item settled before moves nothing.
    hold_settle(items=[_item(client, ref, 3, Outcome.DELIVERED, earlier=Outcome.NOT_DELIVERED)])
    assert _wallet(client) == (100 - 2 * PRICE, 0)


def test_retried_settlement_moves_money_once(db):
    client = make_client(balance=100)
    ref = _hold(client, 2)
    items = [_item(client, ref, 1, Outcome.REACHED_OPERATOR), _item(client, ref, 2, Outcome.NOT_SENT)]
    assert hold_settle(items=items) == 2
    assert hold_settle(items=items) == 0
    assert _wallet(client) == (100 - PRICE, 0)


def test_open_holds_are_listed_by_reference_never_by_key(db):
    from datetime import timedelta

    from django.utils import timezone

    client = make_client(balance=100)
    ref = _hold(client, 2)
    [hold] = holds_open_for_sends(created_before=timezone.now() + timedelta(seconds=1))
    assert (hold.client_id, hold.reference, hold.rest) == (client.pk, ref, 2 * PRICE)
    assert HoldRef.from_key("registration-bonus") is None and HoldRef.from_key("send:not-a-uuid") is None
    with pytest.raises(ValueError):
        HoldRef("sms", uuid.uuid4())
