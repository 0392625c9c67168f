"""A capture its hold cannot cover is refused as an error (`HoldShort`), never capped (R-BILL-14:
nothing charged beyond what was reserved); the connector's flush keeps what the SMSC accepted,
stops that hold loudly (CRITICAL log, audit billing.hold.short) and settles everything else."""
import logging
from decimal import Decimal

import pytest
from django.db import transaction

from accounts.models import AuditEvent
from billing.exceptions import HoldShort
from billing.models import LedgerEntry, Wallet
from billing.services import HoldMove, holds_settle, wallet_hold
from messaging.models import Message, MessagePart
from messaging.services import connector_flush, message_send, parts_claim
from messaging.status import Status
from tests.factories import SenderNameFactory, make_client

pytestmark = pytest.mark.django_db


def _wallet(client) -> Wallet:
    return Wallet.objects.get(client=client)


def test_r_bill_14_capture_beyond_its_hold_is_refused_not_capped(client_account):
    wallet_hold(client=client_account, amount=Decimal("1.70"), key="send:a", description="Send")
    other = HoldMove(client_id=client_account.pk, kind="capture", source_key="send:a", amount=Decimal("0.85"),
                     key="capture:send:a:1")
    short = HoldMove(client_id=client_account.pk, kind="capture", source_key="send:a", amount=Decimal("2.55"),
                     key="capture:send:a:2")
    with transaction.atomic():  # as inside a connector's flush
        with pytest.raises(HoldShort) as refused:
            holds_settle(moves=[short])
        assert [(s.move.key, s.reserved) for s in refused.value.shorts] == [("capture:send:a:2", Decimal("1.70"))]
        assert refused.value.code == "hold_short"
        assert holds_settle(moves=[other]) == 1  # the caller's transaction is still usable
    wallet = _wallet(client_account)
    assert (wallet.balance.amount, wallet.held.amount) == (Decimal("99.15"), Decimal("0.85"))
    assert not LedgerEntry.objects.filter(idempotency_key="capture:send:a:2").exists()


def test_r_bill_14_a_short_capture_in_a_batch_applies_nothing_of_it(client_account):
    wallet_hold(client=client_account, amount=Decimal("0.85"), key="send:a", description="Send")
    wallet_hold(client=client_account, amount=Decimal("0.85"), key="send:b", description="Send")
    with pytest.raises(HoldShort):
        holds_settle(moves=[
            HoldMove(client_id=client_account.pk, kind="capture", source_key="send:a", amount=Decimal("0.85"), key="c1"),
            HoldMove(client_id=client_account.pk, kind="capture", source_key="send:b", amount=Decimal("9"), key="c2")])
    assert not LedgerEntry.objects.filter(kind="capture").exists()
    assert _wallet(client_account).held.amount == Decimal("1.70")


def _flush_all(route, sid):
    parts = parts_claim(route_id=route.pk, limit=100)
    connector_flush(route_id=route.pk, submitted=[(p.part_id, p.message_id, f"{sid}{p.part_id}") for p in parts],
                    complete=sorted({p.message_id for p in parts}))
    return parts


def test_r_bill_14_flush_with_a_short_hold_keeps_smsc_results_stops_the_hold_and_alerts(client_account, route, caplog):
    """A send whose messages' prices add up to more than its hold (a message repriced after it was
    held: the defect that once let one key send ten times on one hold) reaches the operator: the
    flush does not fail, every part keeps its SMSC id, the short hold is not captured beyond what it
    reserved but stopped (its reservation released) with a CRITICAL log and an audit event, and the
    other client's send in the same flush is captured as usual."""
    short_send = message_send(client=client_account, sender="TestShop", text="Hi",
                              recipients=["+380671000001", "+380671000002"]).messages
    Message.objects.filter(pk=short_send[1].pk).update(price=Decimal("5.00"))  # 0.85 + 5.00 > the 1.70 held
    other = make_client(name="Other LLC", balance=10, round_the_clock=True)
    SenderNameFactory(client=other, name="OtherShop", approved=True)
    message_send(client=other, sender="OtherShop", text="Hi", recipients=["+380671000003"])

    with caplog.at_level(logging.CRITICAL, logger="smsportal.billing"):
        parts = _flush_all(route, "s")
    assert len(parts) == 3
    assert MessagePart.objects.filter(status=Status.SUBMITTED, smsc_message_id__isnull=False).count() == 3
    assert Message.objects.filter(status=Status.SUBMITTED).count() == 3

    wallet = _wallet(client_account)
    assert (wallet.balance.amount, wallet.held.amount) == (Decimal("100"), Decimal("0"))  # never beyond the hold
    assert not LedgerEntry.objects.filter(wallet=wallet, kind="capture").exists()
    [stop] = LedgerEntry.objects.filter(wallet=wallet, kind="release")
    assert stop.held_delta.amount == Decimal("-1.70") and stop.idempotency_key.startswith("hold-stop:send:")
    [event] = AuditEvent.objects.filter(code="billing.hold.short")
    assert event.client == client_account and event.target == stop.idempotency_key.removeprefix("hold-stop:")
    assert Decimal(event.details["asked"]) == Decimal("5.85") and Decimal(event.details["reserved"]) == Decimal("1.70")
    assert sorted(event.details["messages"]) == sorted(m.pk for m in short_send)
    assert any(r.levelno == logging.CRITICAL and "short" in r.getMessage() for r in caplog.records)

    other_wallet = _wallet(other)
    assert (other_wallet.balance.amount, other_wallet.held.amount) == (Decimal("9.15"), Decimal("0"))


def test_r_bill_14_later_captures_on_a_stopped_hold_charge_nothing_and_are_recorded(client_account, route):
    """A campaign-sized hold found short on its first flush: its later messages reach the operator
    too, nothing more is charged on it and every shortfall is recorded."""
    messages = message_send(client=client_account, sender="TestShop", text="Hi",
                            recipients=["+380671000001", "+380671000002"]).messages
    Message.objects.filter(pk__in=[m.pk for m in messages]).update(price=Decimal("2.00"))  # each > the 1.70 held
    first = parts_claim(route_id=route.pk, limit=1)
    connector_flush(route_id=route.pk, submitted=[(p.part_id, p.message_id, f"a{p.part_id}") for p in first],
                    complete=[p.message_id for p in first])
    _flush_all(route, "b")
    assert Message.objects.filter(status=Status.SUBMITTED).count() == 2
    wallet = _wallet(client_account)
    assert (wallet.balance.amount, wallet.held.amount) == (Decimal("100"), Decimal("0"))
    assert AuditEvent.objects.filter(code="billing.hold.short").count() == 2
    assert LedgerEntry.objects.filter(wallet=wallet, kind="release").count() == 1  # the hold stopped once
