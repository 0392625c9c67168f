"""End to end, no eager mode: receipts the SMSC never sends are recovered by query_sm polling
(R-MSG-04), and inbound SMS (MO) reach the client that owns the sender, a STOP reply becoming an
opt-out (R-CMP-05). Real connector, worker and simulator processes (MO through the simulator's
control port)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from compliance.models import OptOut
from messaging.models import InboundMessage, Message, MessagePart, ReceiptInbox, Route
from messaging.smpp.simulator_control import control_request
from messaging.status import Status
from tests.e2e.conftest import wait_for_worker
from tests.e2e.processes import free_port, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_r_msg_04_lost_receipts_are_recovered_by_query_sm_polling(api, route, live):
    port = free_port()
    Route.objects.filter(pk=route.pk).update(port=port)
    procs = live
    procs.simulator(port, receipt_delay=0.0, receipt_ratio=0.0)  # it never sends a receipt
    worker = procs.worker()
    procs.connector("test-route", SMSPORTAL_QUERY_CHECK_INTERVAL=0.5)
    wait_for_worker(procs, worker)
    r = api.post("/api/v1/messages/", {"sender": "TestShop", "recipients": ["0671234567", "0501230000"],
                                       "text": "Your code is 1234"}, format="json")
    ids = [m["id"] for m in r.json()["messages"]]
    assert wait_until(lambda: Message.objects.filter(status=Status.SUBMITTED).count() == 2, timeout=20), procs.logs()
    parts = MessagePart.objects.filter(message__public_id__in=ids)
    first_query = min(p.next_attempt_at for p in parts)
    assert first_query - min(p.submitted_at for p in parts) == timedelta(minutes=10)  # the first poll is due then
    assert not ReceiptInbox.objects.exists()
    # Ten minutes on: the connector asks query_sm, stores the final answers as receipts, the
    # worker matches them.
    parts.update(next_attempt_at=timezone.now())
    assert wait_until(lambda: not Message.objects.filter(status=Status.SUBMITTED).exists(), timeout=30), procs.logs()
    assert dict(Message.objects.values_list("recipient", "status")) == {"+380671234567": Status.DELIVERED,
                                                                        "+380501230000": Status.UNDELIVERED}
    assert all(raw.startswith("query_sm_resp") for raw in ReceiptInbox.objects.values_list("raw", flat=True))
    assert api.get(f"/api/v1/messages/{ids[0]}/").json()["status"] == "delivered"


def test_r_cmp_05_inbound_sms_stored_for_the_sender_owner_and_stop_opts_out(api, route, live):
    """MO injected through the simulator process's control port (`manage.py smsc_control`)."""
    port, control = free_port(), free_port()
    Route.objects.filter(pk=route.pk).update(port=port)
    live.simulator(port, control_port=control)
    live.connector("test-route")  # it stores MO itself, no worker needed

    def mo(source, destination, text):
        assert control_request(control, {"cmd": "mo", "source": source, "destination": destination,
                                         "text": text})["ok"]

    assert wait_until(lambda: control_request(control, {"cmd": "stats"})["stats"]["bound"] >= 1, timeout=20), \
        live.logs()
    mo("380671234567", "TestShop", "СТОП")
    mo("380501112233", "TestShop", "Дякую, отримав!")
    mo("380931112233", "SomeoneElse", "stop")
    assert wait_until(lambda: InboundMessage.objects.count() == 3, timeout=20), live.logs()
    assert wait_until(lambda: control_request(control, {"cmd": "stats"})["stats"]["mo_acked"] == 3, timeout=5)
    mine = InboundMessage.objects.filter(client=api.account)
    assert set(mine.values_list("source", "text")) == {("+380671234567", "СТОП"),
                                                       ("+380501112233", "Дякую, отримав!")}
    assert InboundMessage.objects.get(destination="SomeoneElse").client is None
    assert list(OptOut.objects.values_list("client", "phone")) == [(api.account.pk, "+380671234567")]
    r = api.post("/api/v1/campaigns/", {"sender": "TestShop", "text": "Sale",
                                        "recipients": ["0671234567", "0501112233"]}, format="json")
    assert r.json()["counts"]["refused"] == 1 and r.json()["counts"]["accepted"] == 1
