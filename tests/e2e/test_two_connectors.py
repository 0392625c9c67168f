"""Several connector processes on one route, as on several machines (README, "Running on several
machines"): two `manage.py smpp_connector --route test-route` processes and a Celery worker
against one SMSC simulator, with no TPS limit so both race for the same queue. Every part goes
out exactly once (the claim is a row lock in PostgreSQL, shared by every process), every message
is delivered and settled, and the money is captured once per part."""
from collections import Counter
from decimal import Decimal

import pytest

from billing.models import LedgerEntry
from billing.selectors import ledger_entries_for_client, wallet_get
from messaging.models import Campaign, Message, MessagePart, Route
from messaging.services import campaign_start, campaigns_settle
from messaging.smpp.simulator import SimulatorConfig, SmscSimulator
from messaging.status import Status
from tests.e2e.conftest import wait_for_worker
from tests.e2e.processes import wait_until
from tests.factories import SenderNameFactory, make_client

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PRICE = Decimal("0.85")  # the tariff fixture's price per part
SHORT = "Spring sale: 20% off everything until Sunday, code SPRING"  # GSM-7, one part
LONG = ("Your order 4711 is ready at the pickup point on Khreshchatyk 22. It is kept for 5 days; bring "
        "the code 8842 and an ID. Questions: call 0 800 123 456, daily from 9 to 21.")  # GSM-7, two parts
DEADLINE = 90


@pytest.fixture
def sim():
    simulator = SmscSimulator(SimulatorConfig(port=0, receipt_delay=0.0)).start()
    yield simulator
    simulator.stop()


def test_two_connector_processes_on_one_route_send_each_part_once_and_charge_it_once(tariff, route, sim, live):
    per_session = Counter()
    on_submit = sim._on_submit

    def counted(session, *args):  # which connector process (one bind each) sent each submit
        per_session[session.peer] += 1
        return on_submit(session, *args)

    sim._on_submit = counted
    Route.objects.filter(pk=route.pk).update(port=sim.port, tps_limit=0, window_size=10, binds=1)
    client = make_client(name="Two Connectors LLC", balance=2000, round_the_clock=True)
    SenderNameFactory(client=client, name="TwoShop", approved=True)

    worker = live.worker()
    live.connector("test-route")
    live.connector("test-route")
    wait_for_worker(live, worker)
    assert sim.wait_for(lambda: sim.stats["bound"] >= 2, timeout=30), live.logs()
    assert len(sim.bound_sessions()) == 2

    short = campaign_start(client=client, sender="TwoShop", text=SHORT, rows=[f"+38067{6000001 + i:07d}" for i in range(400)])
    long = campaign_start(client=client, sender="TwoShop", text=LONG, rows=[f"+38050{6000001 + i:07d}" for i in range(100)])
    assert short.accepted == 400 and long.accepted == 100
    parts = 400 + 2 * 100
    assert short.total_price.amount + long.total_price.amount == parts * PRICE  # held at accept

    done = [Status.DELIVERED, Status.UNDELIVERED, Status.FAILED, Status.EXPIRED]
    assert wait_until(lambda: Message.objects.filter(status__in=done).count() == 500, timeout=DEADLINE), live.logs()
    assert wait_until(lambda: wallet_get(client=client).held.amount == 0, timeout=DEADLINE), live.logs()

    # Nothing sent twice: the SMSC accepted each part once, and both processes sent a share.
    counts = sim.counts()
    assert counts["accepted_total"] == parts and counts["duplicates_by_text"] == 0, counts
    assert sum(per_session.values()) == parts
    assert len(per_session) == 2 and min(per_session.values()) > 0, per_session
    # Every message and part delivered, each part under its own SMSC id.
    assert Message.objects.filter(status=Status.DELIVERED).count() == 500
    delivered = MessagePart.objects.filter(status=Status.DELIVERED)
    assert delivered.count() == parts == MessagePart.objects.count()
    assert delivered.values("smsc_message_id").distinct().count() == parts
    # Charged once: every part captured once, nothing held, nothing refunded.
    entries = ledger_entries_for_client(client=client, kinds=[LedgerEntry.Kind.CAPTURE, LedgerEntry.Kind.REFUND])
    assert -sum((e.amount.amount for e in entries), Decimal("0")) == parts * PRICE
    wallet = wallet_get(client=client)
    assert wallet.balance.amount == Decimal("2000") - parts * PRICE and wallet.held.amount == 0
    campaigns_settle()
    assert set(Campaign.objects.values_list("state", flat=True)) == {Campaign.State.DONE}
