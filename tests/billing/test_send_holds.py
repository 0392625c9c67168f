"""Holds in the send path (R-BILL-14): a send reserves at accept, the connector captures at
submit (per flush, per hold), and what never reaches the operator is released."""
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import LedgerEntry, Wallet
from billing.services import HoldMove, bonus_credit, holds_settle, wallet_charge
from messaging.models import Message
from messaging.services import (campaign_accept, campaign_create, connector_flush, message_send, messages_transition,
                                parts_claim)
from messaging.status import Status
from tests.factories import SenderNameFactory, make_client

pytestmark = pytest.mark.django_db
PRICE = Decimal("0.85")


def _wallet(client) -> Wallet:
    return Wallet.objects.get(client=client)


def _send(client, n=1, start=1000001, text="Hello"):
    return [m.pk for m in message_send(client=client, sender="TestShop", text=text,
                                       recipients=[f"+38067{start + i:07d}" for i in range(n)]).messages]


def _submit_all(route, limit=100, sid="s"):
    """Claims up to `limit` parts of the route and reports them all accepted, as a bind would."""
    parts = parts_claim(route_id=route.pk, limit=limit)
    submitted = [(p.part_id, p.message_id, f"{sid}{p.part_id}") for p in parts]
    connector_flush(route_id=route.pk, submitted=submitted, complete=sorted({p.message_id for p in parts}))
    return submitted


def test_r_bill_14_send_holds_at_accept_and_captures_at_submit(client_account, route):
    _send(client_account, 3)
    wallet = _wallet(client_account)
    assert (wallet.balance.amount, wallet.held.amount, wallet.available.amount) == (100, 3 * PRICE, 100 - 3 * PRICE)
    hold = LedgerEntry.objects.get(wallet=wallet, kind="hold")
    assert not LedgerEntry.objects.filter(kind__in=["charge", "capture"]).exists()

    _submit_all(route)
    wallet = _wallet(client_account)
    assert (wallet.balance.amount, wallet.held.amount) == (100 - 3 * PRICE, 0)
    [capture] = LedgerEntry.objects.filter(kind="capture")  # one per hold per flush, not one per message
    assert capture.related == hold and capture.amount.amount == -3 * PRICE and capture.held_delta.amount == -3 * PRICE
    assert len(capture.details["messages"]) == 3


def test_r_bill_14_retried_flush_captures_once(client_account, route):
    _send(client_account, 2)
    parts = parts_claim(route_id=route.pk, limit=10)
    submitted = [(p.part_id, p.message_id, f"x{p.part_id}") for p in parts]
    complete = [p.message_id for p in parts]
    connector_flush(route_id=route.pk, submitted=submitted, complete=complete)
    connector_flush(route_id=route.pk, submitted=submitted, complete=complete)  # the same results again
    assert LedgerEntry.objects.filter(kind="capture").count() == 1
    assert _wallet(client_account).balance.amount == 100 - 2 * PRICE


def test_holds_settle_is_idempotent_by_key(client_account):
    [mid] = _send(client_account)
    batch = Message.objects.get(pk=mid).batch_id
    move = HoldMove(client_id=client_account.pk, kind="capture", source_key=f"send:{batch}", amount=PRICE,
                    key="capture:once")
    assert holds_settle(moves=[move]) == 1
    assert holds_settle(moves=[move]) == 0
    assert LedgerEntry.objects.filter(kind="capture").count() == 1


def test_r_bill_14_campaign_uses_one_hold_captured_per_flush_batch(client_account, route):
    campaign = campaign_create(client=client_account, sender="TestShop", text="Sale")
    campaign_accept(campaign=campaign, rows=[f"+38067{2000001 + i:07d}" for i in range(30)])
    Message.objects.filter(campaign=campaign).update(status=Status.QUEUED)  # as the release job does
    wallet = _wallet(client_account)
    [hold] = LedgerEntry.objects.filter(wallet=wallet, kind="hold")
    assert hold.idempotency_key == f"campaign:{campaign.public_id}" and hold.held_delta.amount == 30 * PRICE
    _submit_all(route, limit=20)
    _submit_all(route, limit=20)
    captures = LedgerEntry.objects.filter(kind="capture", related=hold)
    assert captures.count() == 2  # two flushes, not 30 entries
    assert sum(-c.amount.amount for c in captures) == 30 * PRICE
    wallet = _wallet(client_account)
    assert (wallet.balance.amount, wallet.held.amount) == (100 - 30 * PRICE, 0)


def test_one_flush_captures_per_hold_and_locks_each_wallet_once(client_account, route, monkeypatch):
    other = make_client(name="Other LLC", balance=50, round_the_clock=True)
    SenderNameFactory(client=other, name="OtherShop", approved=True)
    _send(client_account, 2, start=1000001)
    _send(client_account, 1, start=1000101)  # a second send: a second hold of the same wallet
    [mo] = [m.pk for m in message_send(client=other, sender="OtherShop", recipients=["+380501112233"],
                                       text="Hi").messages]
    parts = parts_claim(route_id=route.pk, limit=10)
    submitted = [(p.part_id, p.message_id, f"q{p.part_id}") for p in parts]
    import psycopg

    seen = []

    class Recording(psycopg.Cursor):  # observes the SQL the flush sends (the hot path bypasses the ORM)
        def execute(self, query, params=None, **kwargs):
            seen.append(str(query))
            return super().execute(query, params, **kwargs)

    monkeypatch.setattr(psycopg, "Cursor", Recording)
    with CaptureQueriesContext(connection) as ctx:
        connector_flush(route_id=route.pk, submitted=submitted, complete=[p.message_id for p in parts])
    sql = seen + [q["sql"] for q in ctx.captured_queries]
    locks = [q for q in sql if "FOR UPDATE" in q and "billing_wallet" in q]
    assert len(locks) == 1 and "ORDER BY id" in locks[0]  # both wallets, one statement, in pk order
    assert LedgerEntry.objects.filter(kind="capture", wallet__client=client_account).count() == 2
    assert LedgerEntry.objects.filter(kind="capture", wallet__client=other).count() == 1
    assert _wallet(other).balance.amount == 50 - PRICE and Message.objects.get(pk=mo).status == Status.SUBMITTED


def test_capture_spends_the_bonus_first(client_account, route):
    bonus_credit(client=client_account, amount=Decimal("1"), key="promo")
    _send(client_account, 2)
    _submit_all(route)
    wallet = _wallet(client_account)
    assert wallet.bonus.amount == 0 and wallet.balance.amount == 101 - 2 * PRICE
    assert LedgerEntry.objects.get(kind="capture").bonus_delta.amount == -1


def test_r_bill_14_failed_and_cancelled_are_released_never_captured(client_account, route):
    a, b = _send(client_account, 2)
    messages_transition(ids=[a], new=Status.CANCELLED)
    messages_transition(ids=[b], new=Status.SUBMITTING)
    messages_transition(ids=[b], new=Status.FAILED)
    wallet = _wallet(client_account)
    assert (wallet.balance.amount, wallet.held.amount) == (100, 0)
    assert LedgerEntry.objects.filter(kind="release").count() == 2
    assert not LedgerEntry.objects.filter(kind__in=["capture", "refund", "charge"]).exists()


def test_receipt_before_submit_resp_captures(client_account, route):
    [mid] = _send(client_account)
    messages_transition(ids=[mid], new=Status.SUBMITTING)
    messages_transition(ids=[mid], new=Status.DELIVERED)  # the receipt beat the submit_sm_resp
    wallet = _wallet(client_account)
    assert (wallet.balance.amount, wallet.held.amount) == (100 - PRICE, 0)
    assert LedgerEntry.objects.filter(kind="capture").count() == 1


def test_send_charged_before_holds_is_refunded_on_release_and_never_captured_again(client_account):
    """A send accepted by the old code was charged outright under the same key."""
    wallet_charge(client=client_account, amount=2 * PRICE, key="send:old-batch", description="2 SMS")
    src = "send:old-batch"
    holds_settle(moves=[HoldMove(client_id=client_account.pk, kind="capture", source_key=src, amount=PRICE,
                                 key="capture:old:1")])
    holds_settle(moves=[HoldMove(client_id=client_account.pk, kind="release", source_key=src, amount=PRICE,
                                 key="release:old:2")])
    wallet = _wallet(client_account)
    assert wallet.balance.amount == 100 - PRICE and wallet.held.amount == 0
    assert list(LedgerEntry.objects.filter(kind__in=["capture", "release", "refund"]).values_list("kind", flat=True)) \
        == ["refund"]


def test_website_and_api_show_held_and_available(api, client_account):
    _send(client_account, 2)
    body = api.get("/api/v1/balance/").json()
    assert body["balance"]["amount"] == "100.00" and body["held"]["amount"] == "1.70"
    assert body["available"]["amount"] == "98.30"


@pytest.mark.django_db(transaction=True)
def test_r_bill_14_fifty_concurrent_api_sends_exactly_ten_succeed(tariff, route):
    """50 threads, each on its own PostgreSQL connection, POST a 2-recipient send (1.70 UAH) at a
    wallet of 10 UAH plus an approved overdraft of 7: exactly 10 succeed, 40 get 402
    insufficient_funds, the wallet never goes past its overdraft limit, and after the connector
    captures everything the balance is exactly −7."""
    import threading

    from rest_framework.test import APIClient

    from accounts.services import api_key_create
    from billing.services import wallet_overdraft_set

    client = make_client(name="Race LLC", balance=10, round_the_clock=True)
    SenderNameFactory(client=client, name="RaceShop", approved=True)
    wallet_overdraft_set(client=client, limit=Decimal("7"), reason="contract 14/2026")
    _key, raw = api_key_create(client=client, name="race")
    results, barrier = [], threading.Barrier(50)

    def attempt(i):
        try:
            api = APIClient()
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
            barrier.wait()
            r = api.post("/api/v1/messages/", {"sender": "RaceShop", "text": f"Order {i}",
                                               "recipients": [f"+38067{3000000 + 2 * i:07d}",
                                                              f"+38067{3000001 + 2 * i:07d}"]}, format="json")
            results.append((r.status_code, r.json().get("code")))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count((201, None)) == 10, results
    assert results.count((402, "insufficient_funds")) == 40, results
    wallet = _wallet(client)
    assert (wallet.balance.amount, wallet.held.amount, wallet.available.amount) == (10, 17, 0)
    assert Message.objects.filter(client=client).count() == 20
    assert LedgerEntry.objects.filter(wallet=wallet, kind="hold").count() == 10
    assert min(LedgerEntry.objects.filter(wallet=wallet).values_list("available_after", flat=True)) == 0

    while parts := parts_claim(route_id=route.pk, limit=7):
        connector_flush(route_id=route.pk, submitted=[(p.part_id, p.message_id, f"r{p.part_id}") for p in parts],
                        complete=[p.message_id for p in parts])
    wallet = _wallet(client)
    assert (wallet.balance.amount, wallet.held.amount) == (-7, 0)  # exactly the overdraft limit, never beyond
    assert min(LedgerEntry.objects.filter(wallet=wallet).values_list("balance_after", flat=True)) == -7


def test_r_bill_09_overdue_debt_stops_api_sends_until_paid(api, client_account):
    """Debt older than 10 calendar days: the send API answers 402 overdraft_overdue; once the debt
    is paid, sending resumes."""
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from billing.services import wallet_overdraft_set, wallet_penalty, wallet_topup

    wallet_overdraft_set(client=client_account, limit=Decimal("200"), reason="contract")
    wallet_penalty(client=client_account, reason="spam complaint", key="p1", messages=1, amount=Decimal("150"))
    body = {"sender": "TestShop", "recipients": ["+380671234567"], "text": "Hi"}
    with time_machine.travel(timezone.now() + timedelta(days=11, hours=1), tick=False):
        r = api.post("/api/v1/messages/", body, format="json")
        assert r.status_code == 402 and r.json()["code"] == "overdraft_overdue", r.content
        assert not Message.objects.exists() and not LedgerEntry.objects.filter(kind="hold").exists()
        wallet_topup(client=client_account, amount=Decimal("50"), key="repay")
        assert api.post("/api/v1/messages/", body, format="json").status_code == 201


def test_statement_lines_of_a_send_name_the_send_once(client_account, route):
    """The hold names the send; its capture says what happened, then which send: not "1 SMS sent: 1 SMS from …"."""
    _send(client_account, 2)
    _submit_all(route)
    hold = LedgerEntry.objects.get(kind="hold")
    capture = LedgerEntry.objects.get(kind="capture")
    assert hold.description == "Send from TestShop: 2 SMS"
    assert capture.description == "2 SMS sent — Send from TestShop: 2 SMS"
