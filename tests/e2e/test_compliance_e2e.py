"""End to end (R-CMP-05, issue proof): a STOP reply that reaches us after a send was accepted
stops what has not gone out yet. The reply is injected as a mobile-originated SMS through the
simulator process's control port; the connector stores it (an opt-out); then the beat job's
release refuses a scheduled message to that number, and the connector's claim refuses a queued
one, while the other recipients get theirs. Real simulator, connector, worker and beat processes.

The client's service messages are approved round the clock (R-CMP-07), so this passes at any hour."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.selectors import wallet_get
from compliance.models import OptOut
from compliance.services import sending_hours_exemption_grant
from messaging.models import Message, Route
from messaging.smpp.simulator_control import control_request
from messaging.status import Status
from tests.e2e.conftest import beat_jobs, wait_for_worker
from tests.e2e.processes import free_port, wait_until
from tests.factories import RouteFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PRICE = Decimal("0.85")


def test_r_cmp_05_stop_reply_through_the_simulator_stops_a_scheduled_and_a_queued_message(api, route, live):
    sending_hours_exemption_grant(client=api.account, note="e2e: runs at any hour")
    port, control = free_port(), free_port()
    Route.objects.filter(pk=route.pk).update(port=port)

    def send(recipients, **extra):
        r = api.post("/api/v1/messages/", {"sender": "TestShop", "recipients": recipients,
                                           "text": "Your order is ready", **extra}, format="json")
        assert r.status_code == 201, r.content
        return {m["recipient"]: m["id"] for m in r.json()["messages"]}

    # Accepted before any reply: two scheduled for later, two queued for a route whose connector
    # is not running yet (so they wait for its claim).
    scheduled = send(["0671234567", "0501234567"], send_at=(timezone.now() + timedelta(hours=1)).isoformat())
    queued = send(["0931234567", "0661234567"])
    standby = RouteFactory(name="standby-route", port=port)
    Message.objects.filter(public_id__in=queued.values()).update(route=standby)  # set up: its own route
    assert Message.objects.filter(status=Status.SCHEDULED).count() == 2
    assert Message.objects.filter(status=Status.QUEUED).count() == 2

    beat_jobs(every=1)
    live.simulator(port, control_port=control)
    worker = live.worker()
    live.beat()
    live.connector("test-route")
    wait_for_worker(live, worker)
    assert wait_until(lambda: control_request(control, {"cmd": "stats"})["stats"]["bound"] >= 1, timeout=20), \
        live.logs()

    # The replies: STOP from one scheduled and one queued recipient, through the SMSC.
    for source, text in (("380671234567", "STOP"), ("380931234567", "СТОП")):
        assert control_request(control, {"cmd": "mo", "source": source, "destination": "TestShop", "text": text})["ok"]
    assert wait_until(lambda: OptOut.objects.filter(client=api.account).count() == 2, timeout=20), live.logs()

    # The scheduled time comes: the beat job's release refuses the one to the number that said STOP.
    Message.objects.filter(public_id__in=scheduled.values()).update(send_at=timezone.now())
    stopped = Message.objects.get(public_id=scheduled["+380671234567"])
    sent = Message.objects.get(public_id=scheduled["+380501234567"])
    assert wait_until(lambda: Message.objects.get(pk=sent.pk).status == Status.DELIVERED, timeout=30), live.logs()
    stopped.refresh_from_db()
    assert (stopped.status, stopped.error_code) == (Status.REFUSED, "opted_out") and not stopped.parts.exists()

    # The standby route's connector starts: its claim refuses the queued one to the number that said STOP.
    live.connector("standby-route")
    claimed_stop = Message.objects.get(public_id=queued["+380931234567"])
    claimed_sent = Message.objects.get(public_id=queued["+380661234567"])
    assert wait_until(lambda: Message.objects.get(pk=claimed_sent.pk).status == Status.DELIVERED, timeout=30), \
        live.logs()
    claimed_stop.refresh_from_db()
    assert (claimed_stop.status, claimed_stop.error_code) == (Status.REFUSED, "opted_out")
    assert not claimed_stop.parts.exists()

    assert control_request(control, {"cmd": "stats"})["stats"]["submits"] == 2  # nothing reached the two numbers
    wallet = wallet_get(client=api.account)
    assert (wallet.balance.amount, wallet.held.amount) == (100 - 2 * PRICE, 0)  # only the two sent are paid
