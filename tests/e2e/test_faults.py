"""Faults an operator meets, end to end with real processes: the SMPP connector or the Celery
worker SIGKILLed in the middle of a campaign, the SMSC down and back, the database connections
of the connector and the worker terminated. The SMSC simulator runs as its own process with a
state dir, so it counts every submit it accepted across its own restarts and still sends the
receipts it owed after it comes back (as a real SMSC does).

After each fault, every test asserts:

- 0 duplicates at the SMSC (no destination got the same SMS twice, over every simulator run);
- nothing lost: each part is delivered, or in doubt (written by a killed connector, never
  answered: the policy in messaging.smpp.connector) and then it is one the SMSC never took;
  every part the SMSC accepted is a part of ours; none stays queued or `submitted`;
- the money: captured (read through the billing selectors) = parts the SMSC accepted × the
  price per part; what stays held is the price of the parts in doubt, which the 7-day window
  then captures (charged, per the policy); the ledger sums (the autouse fixture).
"""
import signal
from datetime import timedelta
from decimal import Decimal

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from billing.models import LedgerEntry
from billing.selectors import ledger_entries_for_client, wallet_get
from messaging.models import Campaign, Message, MessagePart, Route
from messaging.services import campaign_accept, campaign_create, campaigns_settle, messages_expire_stale, receipts_apply
from messaging.services.dispatch import IN_DOUBT
from messaging.smpp.simulator_control import control_request
from messaging.status import Status
from tests.e2e.conftest import wait_for_worker
from tests.e2e.processes import free_port, wait_for_port, wait_until
from tests.factories import SenderNameFactory, make_client

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

N = 300  # messages per campaign, one part each
TEXT = "Spring sale: 20% off everything until Sunday, code SPRING"  # GSM-7, one part
PRICE = Decimal("0.85")  # the tariff fixture's price per part
TPS = 150  # the route's limit: a campaign takes about two seconds, long enough to hit it mid-way
DEADLINE = 60  # seconds any wait may take before the test fails with the processes' logs


class Smsc:
    """The simulator process of a test: started (again) on one port and one state dir."""

    def __init__(self, procs, tmp_path, receipt_delay: float, response_delay: float = 0.0):
        self.procs = procs
        self.port, self.control = free_port(), free_port()
        self.state_dir = tmp_path / "smsc-state"
        self.receipt_delay = receipt_delay
        self.response_delay = response_delay
        self.proc = None

    def start(self) -> None:
        self.proc = self.procs.simulator(self.port, receipt_delay=self.receipt_delay, state_dir=self.state_dir,
                                         control_port=self.control, stats_interval=0,
                                         response_delay=self.response_delay)
        wait_for_port(self.control)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def counts(self) -> dict:
        return control_request(self.control, {"cmd": "counts"})["counts"]

    def accepted(self) -> int:
        try:
            return self.counts()["accepted_total"]
        except OSError:  # between a kill and the restart
            return 0


def _kill(proc) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)


def _campaign(route, smsc: Smsc) -> Campaign:
    """A client with money, and a campaign of N one-part messages accepted for the route."""
    Route.objects.filter(pk=route.pk).update(port=smsc.port, tps_limit=TPS, window_size=10)
    client = make_client(name="Fault Test LLC", balance=1000, round_the_clock=True)
    SenderNameFactory(client=client, name="FaultShop", approved=True)
    campaign = campaign_create(client=client, sender="FaultShop", text=TEXT, name="Faults")
    campaign = campaign_accept(campaign=campaign, rows=[f"+38067{5000001 + i:07d}" for i in range(N)])
    assert campaign.accepted == N and campaign.state == Campaign.State.SENDING
    return campaign


def _parts(campaign):
    return MessagePart.objects.filter(message__campaign=campaign)


def _all_settled(campaign, apply: bool = False) -> bool:
    """Every part delivered, or in doubt; `apply`: match receipts here (no worker running)."""
    if apply:
        receipts_apply()
    return not _parts(campaign).exclude(status=Status.DELIVERED).exclude(error_code=IN_DOUBT).exists()


def _captured(client) -> Decimal:
    entries = ledger_entries_for_client(client=client, kinds=[LedgerEntry.Kind.CAPTURE, LedgerEntry.Kind.REFUND])
    return -sum((e.amount.amount for e in entries), Decimal("0"))


def _assert_outcome(campaign, smsc: Smsc, procs) -> tuple[int, int]:
    """The three promises after a fault (see the module docstring). Returns how many parts were
    in doubt, and how many of them no receipt settled (the SMSC never took them)."""
    assert wait_until(lambda: smsc.counts()["receipts_pending"] == 0, timeout=DEADLINE), procs.logs()
    assert wait_until(lambda: _all_settled(campaign, apply=True), timeout=DEADLINE), procs.logs()
    flagged = _parts(campaign).filter(error_code=IN_DOUBT).count()
    # Receipts of in-doubt parts settle them once they are a minute old (the policy): match
    # them as the per-minute job would two minutes from now.
    receipts_apply(now=timezone.now() + timedelta(minutes=2))

    counts = smsc.counts()
    assert counts["duplicates_by_text"] == 0, control_request(smsc.control, {"cmd": "duplicates"})
    parts = _parts(campaign)
    assert parts.count() == N
    assert not parts.filter(status__in=[Status.QUEUED, Status.SUBMITTED]).exists()
    delivered = parts.filter(status=Status.DELIVERED).count()
    in_doubt = parts.filter(status=Status.SUBMITTING, error_code=IN_DOUBT, smsc_message_id__isnull=True).count()
    assert delivered + in_doubt == N, "lost parts"
    # every part the SMSC accepted is one delivered part of ours (in doubt ones it took were settled)
    assert counts["accepted_total"] == delivered, (counts, delivered, in_doubt)
    assert parts.filter(status=Status.DELIVERED, smsc_message_id__isnull=False).values(
        "smsc_message_id").distinct().count() == delivered

    client = campaign.client
    wallet = wallet_get(client=client)
    assert _captured(client) == delivered * PRICE
    assert wallet.held.amount == in_doubt * PRICE
    # the 7-day window closes: parts in doubt expire, charged (the operator may have delivered them)
    messages_expire_stale(now=timezone.now() + timedelta(days=7, minutes=1))
    assert _captured(client) == N * PRICE
    assert wallet_get(client=client).held.amount == 0
    campaigns_settle()
    assert Campaign.objects.get(pk=campaign.pk).state == Campaign.State.DONE
    assert not Message.objects.filter(campaign=campaign).exclude(
        status__in=[Status.DELIVERED, Status.EXPIRED]).exists()
    return flagged, in_doubt


def test_r_msg_04_connector_sigkill_mid_campaign_then_restart(tariff, route, live, tmp_path):
    """The connector is SIGKILLed while it sends a campaign to an SMSC that answers in 50 ms, and
    started again: what it had claimed or written without an answer is in doubt (never resent);
    the receipts of those the SMSC took settle them; the rest is sent exactly once and delivered."""
    smsc = Smsc(live, tmp_path, receipt_delay=0.2, response_delay=0.05)
    smsc.start()
    campaign = _campaign(route, smsc)
    first = live.connector("test-route")
    assert wait_until(lambda: smsc.accepted() >= N // 3 or first.poll() is not None, timeout=DEADLINE), live.logs()
    _kill(first)
    assert smsc.accepted() < N, "the kill should land mid-campaign"

    second = live.connector("test-route")
    in_doubt, _never_taken = _assert_outcome(campaign, smsc, live)
    assert in_doubt <= 10 + 1.5 * 20, "no more than the window and 1.5 claims can be in doubt"
    if in_doubt:
        assert wait_until(lambda: "in doubt" in live.log_of(second), timeout=10), live.logs()


def test_worker_sigkill_mid_campaign_then_restart(tariff, route, live, tmp_path):
    """The Celery worker, which matches receipts, is SIGKILLed mid-campaign and started again:
    the receipts it had not matched are matched by the new one; nothing is in doubt."""
    smsc = Smsc(live, tmp_path, receipt_delay=0.1)
    smsc.start()
    worker = live.worker()
    wait_for_worker(live, worker)
    campaign = _campaign(route, smsc)
    live.connector("test-route")
    assert wait_until(lambda: _parts(campaign).filter(status=Status.DELIVERED).exists(), timeout=DEADLINE), \
        live.logs()  # the worker is matching receipts
    assert smsc.accepted() < N, "the kill should land mid-campaign"
    _kill(worker)
    worker = live.worker()
    wait_for_worker(live, worker)
    assert wait_until(lambda: _all_settled(campaign), timeout=DEADLINE), live.logs()  # the worker alone matches the rest
    assert _assert_outcome(campaign, smsc, live) == (0, 0)


def test_r_msg_04_smsc_down_and_back_receipts_still_arrive(tariff, route, live, tmp_path):
    """The SMSC dies mid-campaign with receipts owed and comes back on the same state after the
    connector failed to reconnect twice: the connector binds again and sends the rest, and the
    receipts the SMSC owed for submitted messages arrive, so none stays `submitted`."""
    # receipts a second late: some are owed at the kill; answers in 50 ms: some submits unanswered
    smsc = Smsc(live, tmp_path, receipt_delay=1.0, response_delay=0.05)
    smsc.start()
    campaign = _campaign(route, smsc)
    connector = live.connector("test-route")
    assert wait_until(lambda: smsc.accepted() >= N // 3, timeout=DEADLINE), live.logs()
    failures = live.log_of(connector).count("reconnecting in")
    smsc.kill()
    assert wait_until(lambda: live.log_of(connector).count("reconnecting in") >= failures + 2, timeout=DEADLINE), \
        live.logs()
    waiting = set(_parts(campaign).filter(status=Status.SUBMITTED).values_list("pk", flat=True))
    assert waiting, "the SMSC accepted parts whose receipts it still owed"
    assert _parts(campaign).filter(status=Status.QUEUED).exists(), "the kill should land mid-campaign"

    smsc.start()
    _assert_outcome(campaign, smsc, live)
    assert smsc.counts()["restarts"] == 1
    assert set(_parts(campaign).filter(pk__in=waiting).values_list("status", flat=True)) == {Status.DELIVERED}


def test_database_connections_terminated_mid_campaign(tariff, route, live, tmp_path):
    """While a campaign is sent to an SMSC that answers in 50 ms (a window of submits in flight
    at any time): pg_terminate_backend on every connection of the connector and the worker; then
    the connector's again while its transaction waits for a lock, and once more while the
    transaction that was to store its session's results on the way out waits, so that one fails
    too. Both recover and finish the campaign, and nothing is in doubt: the SMPP link was fine, so
    the connector reads the answers to its submits in flight, and what it could not store it
    keeps for its next session."""
    smsc = Smsc(live, tmp_path, receipt_delay=0.1, response_delay=0.05)
    smsc.start()
    # libpq's PGAPPNAME (and the settings' DB_APPLICATION_NAME) name each process's connections
    worker = live.worker(PGAPPNAME="e2e-worker", DB_APPLICATION_NAME="e2e-worker")
    wait_for_worker(live, worker)
    campaign = _campaign(route, smsc)
    connector = live.connector("test-route", PGAPPNAME="e2e-connector", DB_APPLICATION_NAME="e2e-connector")

    def terminate(names, waiting_for_lock: bool = False) -> set:
        with connection.cursor() as cur:
            cur.execute("SELECT application_name FROM pg_stat_activity WHERE datname = current_database() "
                        "AND application_name = ANY(%s) AND (NOT %s OR wait_event_type = 'Lock') "
                        "AND pg_terminate_backend(pid)", [sorted(names), waiting_for_lock])
            return {name for (name,) in cur.fetchall()}

    # 1. each process loses its connections once (one may be between two connections when we look)
    both, hit = {"e2e-worker", "e2e-connector"}, set()
    assert wait_until(lambda: smsc.accepted() >= N // 4, timeout=DEADLINE), live.logs()
    assert wait_until(lambda: hit.update(terminate(both - hit)) or hit == both, timeout=DEADLINE, interval=0.02), \
        live.logs()

    # 2. the connector sends again; its writes to the parts wait for a lock we hold, and die there
    log = lambda: live.log_of(connector)  # noqa: E731
    lost, sent = log().count("could not save results on the way out"), smsc.accepted()
    assert wait_until(lambda: smsc.accepted() >= max(N // 2, sent + 20), timeout=DEADLINE), live.logs()
    db = connection.settings_dict
    with psycopg.connect(dbname=db["NAME"], user=db["USER"] or None, host=db["HOST"] or None,
                         port=db["PORT"] or None) as blocker:
        blocker.execute(f"LOCK TABLE {MessagePart._meta.db_table} IN SHARE MODE")  # reads and claims pass
        assert smsc.accepted() < N, "the faults should land mid-campaign"
        # the transaction under way, then the one storing the session's results on the way out
        assert wait_until(lambda: terminate({"e2e-connector"}, waiting_for_lock=True), timeout=DEADLINE), live.logs()

        def teardown_failed() -> bool:
            if log().count("could not save results on the way out") > lost:
                return True
            terminate({"e2e-connector"}, waiting_for_lock=True)
            return False

        assert wait_until(teardown_failed, timeout=DEADLINE, interval=0.02), live.logs()
        blocker.rollback()

    assert wait_until(lambda: _all_settled(campaign), timeout=DEADLINE), live.logs()
    assert _assert_outcome(campaign, smsc, live) == (0, 0)
    assert connector.poll() is None and worker.poll() is None, live.logs()
