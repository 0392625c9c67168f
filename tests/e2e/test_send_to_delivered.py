"""End to end, no eager mode: API → PostgreSQL → SMPP connector → SMSC simulator → receipt →
Celery worker (Redis broker) → delivered, with the wallet charged exactly once."""
from decimal import Decimal

import pytest

from billing.models import LedgerEntry
from messaging.models import Message, MessagePart, Route
from tests.e2e.processes import free_port, running, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_api_send_reaches_delivered_through_real_processes(api, route):
    port = free_port()
    Route.objects.filter(pk=route.pk).update(port=port)
    with running() as procs:
        procs.simulator(port, receipt_delay=0.2)
        procs.worker()
        procs.connector("test-route")

        r = api.post("/api/v1/messages/", {"sender": "TestShop", "recipients": ["+380671234567", "+380501112233"],
                                           "text": "Ваше замовлення №42 готове. " + "Дякуємо! " * 8},
                     format="json")
        assert r.status_code == 201, r.content
        ids = [m["id"] for m in r.json()["messages"]]
        assert r.json()["messages"][0]["segments"] == 2

        def all_delivered():
            return all(api.get(f"/api/v1/messages/{i}/").json()["status"] == "delivered" for i in ids)

        assert wait_until(all_delivered, timeout=40), procs.logs()

    messages = Message.objects.filter(public_id__in=ids)
    assert all(m.submitted_at and m.done_at for m in messages)
    parts = MessagePart.objects.filter(message__in=messages)
    assert parts.count() == 4 and {p.status for p in parts} == {"delivered"}
    assert len({p.smsc_message_id for p in parts}) == 4
    wallet = api.account.wallet
    wallet.refresh_from_db()
    # One hold at accept, captured in full as the parts reached the SMSC; nothing charged twice.
    hold = LedgerEntry.objects.get(wallet=wallet, kind="hold")
    assert hold.held_delta.amount == Decimal("3.4")
    captured = sum(-e.amount.amount for e in LedgerEntry.objects.filter(wallet=wallet, kind="capture", related=hold))
    assert captured == Decimal("3.4") and not LedgerEntry.objects.filter(wallet=wallet, kind="charge").exists()
    assert wallet.balance.amount == Decimal("96.60") and wallet.held.amount == 0

