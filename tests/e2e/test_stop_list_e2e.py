"""End to end (R-CMP-05): a recipient who opts out after a send was accepted, before the
connector's claim, gets nothing; the real connector process refuses that message at its claim
and sends the others to an SMSC simulator on a real TCP port."""
from decimal import Decimal

import pytest

from billing.selectors import wallet_get
from compliance.services import opt_out_record
from messaging.models import Message, Route
from messaging.smpp.simulator import SimulatorConfig, SmscSimulator
from messaging.status import Status
from tests.e2e.conftest import wait_for_worker
from tests.e2e.processes import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sim():
    smsc = SmscSimulator(SimulatorConfig(port=0, receipt_delay=0.0)).start()
    yield smsc
    smsc.stop()


def test_r_cmp_05_queued_message_to_a_number_that_opted_out_is_refused_at_the_claim_never_sent(api, route, sim,
                                                                                               live):
    Route.objects.filter(pk=route.pk).update(port=sim.port)
    r = api.post("/api/v1/messages/", {"sender": "TestShop", "recipients": ["0671234567", "0501234567"],
                                       "text": "Your parcel is at the pickup point"}, format="json")
    assert r.status_code == 201, r.content
    assert set(Message.objects.values_list("status", flat=True)) == {Status.QUEUED}
    opt_out_record(client=api.account, phone="0671234567")  # the reply STOP, before any connector runs

    worker = live.worker()
    live.connector("test-route")
    wait_for_worker(live, worker)
    other = Message.objects.get(recipient="+380501234567")
    assert wait_until(lambda: Message.objects.get(pk=other.pk).status == Status.DELIVERED, timeout=30), live.logs()

    stopped = Message.objects.get(recipient="+380671234567")
    assert (stopped.status, stopped.error_code) == (Status.REFUSED, "opted_out")
    assert not stopped.parts.exists()
    assert sim.stats["submits"] == 1
    [destination] = [str(m.destination) for m in sim.messages.values()]
    assert "671234567" not in destination and destination.endswith("501234567")
    wallet = wallet_get(client=api.account)
    assert (wallet.balance.amount, wallet.held.amount) == (100 - Decimal("0.85"), 0)  # only the sent one paid

