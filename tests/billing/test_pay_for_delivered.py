"""R-BILL-06: a client with a signed contract can pay only for delivered SMS to Ukrainian numbers;
undelivered, expired and rejected ones are refunded when their final status arrives, once."""
import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.services import client_contract_sign, client_flags_set
from billing.models import LedgerEntry, Wallet
from billing.services import bonus_credit
from messaging.models import Message
from messaging.services import (connector_flush, message_send, messages_expire_stale, messages_transition,
                                parts_claim, receipts_apply, receipts_store)
from messaging.status import Status
from tests.factories import SenderNameFactory, make_client

pytestmark = pytest.mark.django_db
PRICE = Decimal("0.85")


def _pays_for_delivered(client):
    client_contract_sign(client=client, number="SP-06")
    return client_flags_set(client=client, pay_for_delivered=True)


def _wallet(client) -> Wallet:
    return Wallet.objects.get(client=client)


def _submitted(client, route, recipients, text="Hello"):
    """Sends and submits through the connector's flush (captured); returns {recipient: smsc id}."""
    if recipients:
        message_send(client=client, sender="TestShop", recipients=recipients, text=text)
    parts = parts_claim(route_id=route.pk, limit=1000)
    phones = dict(Message.objects.filter(pk__in=[p.message_id for p in parts]).values_list("pk", "recipient"))
    connector_flush(route_id=route.pk, submitted=[(p.part_id, p.message_id, f"id{p.part_id}") for p in parts],
                    complete=[p.message_id for p in parts])
    return {phones[p.message_id]: f"id{p.part_id}" for p in parts}


def _receipts(route, pairs):
    receipts_store(route_id=route.pk, receipts=[(sid, stat, "000" if stat == "DELIVRD" else "001", "")
                                                for sid, stat in pairs])
    return receipts_apply()


def test_r_bill_06_undelivered_refunded_for_pay_for_delivered(client_account, route):
    _pays_for_delivered(client_account)
    ids = _submitted(client_account, route, ["+380671234567"])
    assert _wallet(client_account).balance.amount == 100 - PRICE  # captured at submit
    _receipts(route, [(ids["+380671234567"], "UNDELIV")])
    wallet = _wallet(client_account)
    assert wallet.balance.amount == 100 and wallet.held.amount == 0
    refund = LedgerEntry.objects.get(kind="refund")
    assert refund.amount.amount == PRICE and "pays for delivered only" in refund.description
    assert refund.related.kind == "hold"  # traced to the send it pays back


def test_r_bill_06_expired_and_rejected_refunded_delivered_paid_in_one_entry(client_account, route):
    _pays_for_delivered(client_account)
    phones = [f"+38067{1000001 + i:07d}" for i in range(4)]
    ids = _submitted(client_account, route, phones)
    _receipts(route, [(ids[phones[0]], "DELIVRD"), (ids[phones[1]], "UNDELIV"), (ids[phones[2]], "EXPIRED"),
                      (ids[phones[3]], "REJECTD")])
    statuses = dict(Message.objects.values_list("recipient", "status"))
    assert [statuses[p] for p in phones] == [Status.DELIVERED, Status.UNDELIVERED, Status.EXPIRED, Status.REJECTED]
    refunds = LedgerEntry.objects.filter(kind="refund")
    assert sum(r.amount.amount for r in refunds) == 3 * PRICE
    assert refunds.count() == 3  # batched: one entry per hold and outcome, not one per message
    assert _wallet(client_account).balance.amount == 100 - PRICE  # only the delivered one is paid


def test_r_bill_06_refunded_once_whatever_arrives_later(client_account, route):
    _pays_for_delivered(client_account)
    ids = _submitted(client_account, route, ["+380671234567", "+380501234567"])
    a, b = ids["+380671234567"], ids["+380501234567"]
    _receipts(route, [(a, "UNDELIV")])
    _receipts(route, [(a, "UNDELIV"), (a, "REJECTD")])  # duplicates and a contradicting receipt
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    # b gets no receipt: expired after the 7-day window (refunded), then a late receipt arrives
    messages_expire_stale(now=timezone.now() + datetime.timedelta(days=7, minutes=1))
    assert Message.objects.get(recipient="+380501234567").status == Status.EXPIRED
    _receipts(route, [(b, "UNDELIV")])
    assert Message.objects.get(recipient="+380501234567").status == Status.UNDELIVERED
    assert sum(r.amount.amount for r in LedgerEntry.objects.filter(kind="refund")) == 2 * PRICE
    assert _wallet(client_account).balance.amount == 100


def test_r_bill_06_foreign_numbers_and_other_clients_pay_for_every_sms(client_account, route):
    _pays_for_delivered(client_account)
    regular = make_client(name="Regular LLC", balance=10, round_the_clock=True)
    SenderNameFactory(client=regular, name="TestShop2", approved=True)
    ids = _submitted(client_account, route, ["+48512345678"])
    message_send(client=regular, sender="TestShop2", recipients=["+380671112233"], text="Hi")
    parts = parts_claim(route_id=route.pk, limit=10)
    connector_flush(route_id=route.pk, submitted=[(p.part_id, p.message_id, "reg1") for p in parts],
                    complete=[p.message_id for p in parts])
    _receipts(route, [(ids["+48512345678"], "UNDELIV"), ("reg1", "UNDELIV")])
    assert set(Message.objects.values_list("status", flat=True)) == {Status.UNDELIVERED}
    assert not LedgerEntry.objects.filter(kind="refund").exists()
    assert _wallet(regular).balance.amount == 10 - PRICE


def test_r_bill_06_receipt_before_submit_resp_releases_the_hold(client_account, route):
    _pays_for_delivered(client_account)
    [m] = message_send(client=client_account, sender="TestShop", recipients=["+380671234567"], text="Hi").messages
    messages_transition(ids=[m.pk], new=Status.SUBMITTING)
    messages_transition(ids=[m.pk], new=Status.UNDELIVERED)
    wallet = _wallet(client_account)
    assert (wallet.balance.amount, wallet.held.amount) == (100, 0)
    assert list(LedgerEntry.objects.exclude(kind__in=["topup", "bonus"]).values_list("kind", flat=True)) \
        == ["release", "hold"]


def test_r_bill_06_refund_of_bonus_money_goes_back_to_the_bonus(client_account, route):
    """R-BILL-05 with R-BILL-06: a refund never turns bonus into refundable cash."""
    _pays_for_delivered(client_account)
    bonus_credit(client=client_account, amount=Decimal("5"), key="promo")
    ids = _submitted(client_account, route, ["+380671234567"])
    assert _wallet(client_account).bonus.amount == 5 - PRICE  # the bonus paid first
    _receipts(route, [(ids["+380671234567"], "UNDELIV")])
    wallet = _wallet(client_account)
    assert wallet.bonus.amount == 5 and wallet.balance.amount == 105


def test_r_bill_06_refunds_are_batched_in_receipts_apply(client_account, route):
    """receipts_apply is a hot path: its queries do not grow with the number of refunds."""
    from billing.services import wallet_topup

    wallet_topup(client=client_account, amount=Decimal("100"), key="more")
    _pays_for_delivered(client_account)

    def queries_for(n, start):
        message_send(client=client_account, sender="TestShop", text="Hello",
                     recipients=[f"+38067{start + i:07d}" for i in range(n)])  # a bulk send: scheduled
        Message.objects.filter(status=Status.SCHEDULED).update(status=Status.QUEUED)  # as the release job does
        ids = _submitted(client_account, route, [])
        with CaptureQueriesContext(connection) as ctx:
            _receipts(route, [(sid, "UNDELIV") for sid in ids.values()])
        return len(ctx.captured_queries)

    assert queries_for(5, 1000001) == queries_for(60, 2000001)
    assert _wallet(client_account).balance.amount == 200


def test_r_bill_06_billing_page_tells_the_client_it_pays_for_delivered_only(web):
    from django.urls import reverse

    assert "delivered</strong> SMS to Ukrainian numbers only" not in web.get(reverse("billing_overview")).content.decode()
    _pays_for_delivered(web.account)
    assert "delivered</strong> SMS to Ukrainian numbers only" in web.get(reverse("billing_overview")).content.decode()
