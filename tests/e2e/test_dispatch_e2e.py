"""End to end, no eager mode: the SMPP connector as a real process (`manage.py smpp_connector`)
against an SMSC simulator on a real TCP port (in this process, so faults can be scripted):
wake-up on a single send, throttling, temporary and permanent errors, a TPS limit shared by two
connector processes, SMSC-initiated unbind and dropped links, routing by operator with the
source TON/NPI rules."""
import time
from collections import Counter
from decimal import Decimal

import pytest

from billing.selectors import wallet_get
from billing.services import wallet_topup
from messaging.models import Message, MessagePart, OperatorPrefix, Route
from messaging.smpp.simulator import SimulatorConfig, SmscSimulator
from messaging.status import Status
from tests.e2e.conftest import wait_for_worker
from tests.e2e.processes import wait_until
from tests.factories import RouteFactory, SenderNameFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def make_sim():
    sims = []

    def make(**config):
        sim = SmscSimulator(SimulatorConfig(port=0, receipt_delay=0.0, **config)).start()
        sims.append(sim)
        return sim

    yield make
    for sim in sims:
        sim.stop()


def start(live, *routes, **env):
    """A Celery worker (it matches the receipts the connector stores) and a connector process."""
    worker = live.worker()
    connector = live.connector(*routes, **env)
    wait_for_worker(live, worker)
    return connector


def available(client) -> Decimal:
    return wallet_get(client=client).available.amount


def campaign(api, recipients, text="Your parcel is at the pickup point", sender="TestShop") -> str:
    r = api.post("/api/v1/campaigns/", {"sender": sender, "text": text, "recipients": recipients}, format="json")
    assert r.status_code == 201, r.content
    return r.json()["id"]


def finished(cid, n):
    done = [Status.DELIVERED, Status.UNDELIVERED, Status.FAILED, Status.EXPIRED]
    return lambda: Message.objects.filter(campaign__public_id=cid, status__in=done).count() == n


def sent_once(sim) -> bool:
    per_part = Counter((r.destination, bytes(r.short_message)) for r in sim.messages.values())
    return set(per_part.values()) <= {1}


def test_r_msg_03_a_single_send_wakes_the_connector_at_once(api, route, make_sim, live):
    """The connector's idle poll is 30 s here: only the wake-up (PostgreSQL NOTIFY at commit) can
    get a single message out within a second or two."""
    sim = make_sim()
    Route.objects.filter(pk=route.pk).update(port=sim.port)
    start(live, "test-route", SMSPORTAL_CONNECTOR_IDLE_POLL=30)
    assert sim.wait_for(lambda: sim.stats["bound"] >= 1, timeout=20), live.logs()
    time.sleep(1.0)  # its first look at the queue is over; the next idle one is 30 s away
    started = time.monotonic()
    r = api.post("/api/v1/messages/", {"sender": "TestShop", "recipients": ["0671234567"], "text": "Code 4711"},
                 format="json")
    assert r.status_code == 201
    assert sim.wait_for(lambda: sim.stats["submits"] == 1, timeout=10), live.logs()
    assert time.monotonic() - started < 3.0
    message = Message.objects.get()
    assert wait_until(lambda: Message.objects.get().status in (Status.SUBMITTED, Status.DELIVERED), timeout=5)
    assert not message.is_bulk


def test_throttling_slows_down_temporary_errors_retry_permanent_fail_refunded(api, route, make_sim, live):
    """ESME_RTHROTTLED above the SMSC's 40/s: the connector slows down and resends the same
    bytes; ESME_RSYSERR (temporary) twice: retried with backoff, then accepted; ESME_RINVDSTADR
    (permanent): failed and refunded. Nothing reaches the SMSC twice."""
    wallet_topup(client=api.account, amount=Decimal("100"), key="e2e-more")
    sim = make_sim(tps=40)
    Route.objects.filter(pk=route.pk).update(port=sim.port, tps_limit=0, window_size=20)
    sim.inject_submit_error(0x08, destination="380671110001", count=2)
    sim.inject_submit_error(0x0B, destination="380671110002", count=1)
    recipients = [f"+38063{n:07d}" for n in range(1, 121)] + ["+380671110001", "+380671110002"]
    before = available(api.account)
    start(live, "test-route", SMSPORTAL_RETRY_BASE_SECONDS=0.3)
    cid = campaign(api, recipients)
    assert wait_until(finished(cid, 122), timeout=60), live.logs()
    assert sim.stats["throttled"] > 0 and sent_once(sim)
    assert Message.objects.filter(campaign__public_id=cid, status=Status.DELIVERED).count() == 121
    retried = MessagePart.objects.get(message__recipient="+380671110001")
    assert retried.status == Status.DELIVERED and retried.attempts == 3
    failed = Message.objects.get(recipient="+380671110002")
    assert failed.status == Status.FAILED and failed.error_code == "smpp_0x0b"
    assert before - available(api.account) == Decimal("0.85") * 121  # the failed one costs nothing


def test_route_tps_limit_holds_across_two_connector_processes(api, route, make_sim, live):
    """Two connector processes serve one route with a limit of 30 parts/s; the SMSC throttles
    about 30/s (33: a little slack for network jitter; two unshared buckets would send 60/s). The
    bucket is shared in Redis, so the SMSC never has to say "throttled"."""
    wallet_topup(client=api.account, amount=Decimal("100"), key="e2e-more")
    sim = make_sim(tps=33)
    Route.objects.filter(pk=route.pk).update(port=sim.port, tps_limit=30, window_size=10)
    start(live, "test-route")
    live.connector("test-route")
    assert sim.wait_for(lambda: sim.stats["bound"] >= 2, timeout=20), live.logs()
    started = time.monotonic()
    cid = campaign(api, [f"+38050{n:07d}" for n in range(1, 151)])
    assert wait_until(finished(cid, 150), timeout=60), live.logs()
    elapsed = time.monotonic() - started
    assert sim.stats["throttled"] == 0, sim.stats
    assert elapsed >= 150 / 30 - 1.5
    assert sent_once(sim) and sim.stats["submits"] == 150


def test_smsc_initiated_unbind_and_dropped_links_reconnect_and_nothing_is_sent_twice(api, route, make_sim, live):
    wallet_topup(client=api.account, amount=Decimal("300"), key="e2e-more")
    sim = make_sim()
    Route.objects.filter(pk=route.pk).update(port=sim.port, tps_limit=100, window_size=10)
    connector = start(live, "test-route")
    cid = campaign(api, [f"+38097{n:07d}" for n in range(1, 301)])
    assert sim.wait_for(lambda: sim.stats["submits"] >= 60, timeout=30), live.logs()
    assert sim.unbind_all() == 1
    assert sim.wait_for(lambda: sim.stats["submits"] >= 150 and sim.stats["bound"] >= 1, timeout=30), live.logs()
    sim.disconnect_all()

    def settled():
        open_ = Message.objects.filter(campaign__public_id=cid, status__in=[Status.QUEUED, Status.SUBMITTING])
        return not open_.exclude(parts__error_code="in_doubt").exists() and finished_or_doubt()

    def finished_or_doubt():
        return not MessagePart.objects.filter(message__campaign__public_id=cid).exclude(
            status__in=[Status.DELIVERED]).exclude(error_code="in_doubt").exists()

    assert wait_until(settled, timeout=60, interval=0.5), live.logs()
    assert sim.stats["unbind_resps"] == 1  # the connector answered the SMSC's unbind
    assert sim.stats["binds"] >= 3 and sent_once(sim)
    log = live.log_of(connector)
    assert "the SMSC unbinds" in log and "reconnecting" in log
    delivered = MessagePart.objects.filter(message__campaign__public_id=cid, status=Status.DELIVERED).count()
    in_doubt = MessagePart.objects.filter(message__campaign__public_id=cid, error_code="in_doubt").count()
    assert delivered + in_doubt == 300 and in_doubt <= 10  # at most the window was on the wire when it broke
    assert sim.stats["submits"] >= delivered


def test_routing_by_operator_with_prefix_override_and_source_ton_rules(api, route, make_sim, live):
    kyivstar_sim, vodafone_sim = make_sim(), make_sim()
    Route.objects.filter(pk=route.pk).update(is_active=False)
    RouteFactory(name="ks", port=kyivstar_sim.port, operators="kyivstar", priority=10)
    RouteFactory(name="vf", port=vodafone_sim.port, operators="vodafone,lifecell", priority=10)
    OperatorPrefix.objects.create(prefix="+3806799", operator="vodafone", note="ported to Vodafone")
    SenderNameFactory(client=api.account, name="7500", approved=True)
    start(live, "ks", "vf")
    for sender in ("TestShop", "7500"):
        r = api.post("/api/v1/messages/", {"sender": sender, "text": "Hello",
                                           "recipients": ["0671234567", "0501234567", "0631234567", "0679912345"]},
                     format="json")
        assert r.status_code == 201, r.content
    assert wait_until(lambda: Message.objects.filter(status=Status.DELIVERED).count() == 8, timeout=30), live.logs()
    to_ks = {(r.destination, r.source, r.source_ton, r.source_npi) for r in kyivstar_sim.messages.values()}
    to_vf = {(r.destination, r.source, r.source_ton, r.source_npi) for r in vodafone_sim.messages.values()}
    assert to_ks == {("380671234567", "TestShop", 5, 0), ("380671234567", "7500", 3, 0)}
    assert {d for d, *_ in to_vf} == {"380501234567", "380631234567", "380679912345"}
    assert {(s, ton, npi) for _d, s, ton, npi in to_vf} == {("TestShop", 5, 0), ("7500", 3, 0)}


def test_r_msg_01_temporary_errors_retry_until_the_lifetime_ends_then_expired_and_refunded(api, route, make_sim,
                                                                                             live):
    """The SMSC answers ESME_RSYSERR (temporary) every time for one number: the connector retries
    it with backoff until the message's lifetime ends, then it is `expired` and refunded (no part
    of it ever reached the operator); its neighbour is delivered."""
    from datetime import timedelta

    from django.utils import timezone

    from messaging.services import messages_release_due

    sim = make_sim()
    Route.objects.filter(pk=route.pk).update(port=sim.port)
    sim.inject_submit_error(0x08, destination="380671110009", count=1000)
    start(live, "test-route", SMSPORTAL_RETRY_BASE_SECONDS=0.5)
    before = available(api.account)
    at = timezone.now() + timedelta(hours=1)
    r = api.post("/api/v1/campaigns/", {"sender": "TestShop", "text": "Reminder", "send_at": at.isoformat(),
                                        "recipients": ["+380671110009", "+380671110008"], "ttl": 3600},
                 format="json")
    cid = r.json()["id"]
    # A lifetime of a few seconds (the API's minimum is a minute): it ends while the retries go on.
    Message.objects.filter(campaign__public_id=cid).update(send_at=timezone.now(),
                                                          valid_until=timezone.now() + timedelta(seconds=4))
    assert messages_release_due(now=timezone.now()) == 2
    assert wait_until(finished(cid, 2), timeout=30), live.logs()
    doomed = Message.objects.get(recipient="+380671110009")
    assert doomed.status == Status.EXPIRED and doomed.error_code == "ttl"
    part = MessagePart.objects.get(message=doomed)
    assert part.attempts >= 3 and part.error_code == "smpp_0x08" and not part.smsc_message_id
    assert Message.objects.get(recipient="+380671110008").status == Status.DELIVERED
    assert before - available(api.account) == Decimal("0.85")  # only the delivered one is paid
    assert sim.stats["submit_errors"] >= 3 and sent_once(sim)
