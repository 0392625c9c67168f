"""Crash safety: the SMPP connector as a real process, SIGKILLed in the middle of a few thousand
parts and started again. Every part reaches the SMSC (the in-process simulator) at most once;
all but the in-flight window exactly once; the window is reported in doubt and settled by the
policy in messaging.smpp.connector: a matching receipt settles an in-doubt part, and what no
receipt settles expires after the 7-day window, charged. The ledger still sums (autouse fixture).
"""
import signal
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from messaging.models import Message, MessagePart, Route
from messaging.services import message_send, messages_expire_stale, messages_release_due, receipts_apply
from messaging.services.dispatch import IN_DOUBT, part_payloads
from messaging.smpp.connector import CLAIM_WINDOWS
from messaging.smpp.simulator import SimulatorConfig, SmscSimulator
from messaging.status import Status
from tests.e2e.processes import running, wait_until
from tests.factories import SenderNameFactory, make_client

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHORT = "Знижка 20% на все до неділі! Промокод SPRING"  # UCS-2, one part
LONG = ("Your order 1042 is on its way. The courier will call you tomorrow between 10:00 and 14:00. "
        "Reply STOP to opt out of delivery updates. Thank you for shopping with us!")  # GSM-7, two parts


def _queue(client, start: int, n: int, text: str) -> list[int]:
    recipients = [f"+38067{start + i:07d}" for i in range(n)]
    return [m.pk for m in message_send(client=client, sender="CrashShop", recipients=recipients, text=text).messages]


def test_r_msg_04_sigkill_mid_campaign_every_part_sent_at_most_once_and_in_doubt_settled(tariff, route):
    sim = SmscSimulator(SimulatorConfig(port=0, receipt_delay=0.0, redeliver_unacked=True)).start()
    try:
        Route.objects.filter(pk=route.pk).update(port=sim.port, tps_limit=600, window_size=40)
        client = make_client(name="Crash Test LLC", balance=10_000, round_the_clock=True)
        SenderNameFactory(client=client, name="CrashShop", approved=True)
        ids = _queue(client, 1000001, 1000, SHORT) + _queue(client, 2000001, 1000, SHORT) \
            + _queue(client, 3000001, 1000, LONG)
        assert messages_release_due(now=timezone.now() + timedelta(seconds=1)) == 3000  # bulk: queued now
        total_parts = 1000 + 1000 + 2 * 1000
        charged = client.wallet.__class__.objects.get(pk=client.wallet.pk).available.amount  # held at accept

        with running() as procs:
            first = procs.connector("test-route")
            assert wait_until(lambda: sim.stats["submits"] >= 1500 or first.poll() is not None, timeout=60), \
                procs.logs()
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            sent_before_kill = sim.stats["submits"]
            assert 0 < sent_before_kill < total_parts, "the kill should land mid-way"
            stranded = set(MessagePart.objects.filter(status=Status.SUBMITTING, smsc_message_id__isnull=True)
                           .values_list("id", flat=True))
            assert stranded, "something was in flight when it died"

            second = procs.connector("test-route")

            def finished():
                receipts_apply()
                open_messages = Message.objects.filter(pk__in=ids, status__in=[Status.QUEUED, Status.SUBMITTING])
                waiting = MessagePart.objects.filter(message_id__in=ids).exclude(
                    status__in=[Status.DELIVERED, Status.UNDELIVERED]).exclude(error_code=IN_DOUBT)
                return not waiting.exists() and not open_messages.exclude(parts__error_code=IN_DOUBT).exists()

            assert wait_until(finished, timeout=120, interval=0.5), procs.logs()
            assert wait_until(lambda: "in doubt" in procs.log_of(second), timeout=10), procs.logs()
            second_log = procs.log_of(second)

        # 1. nothing reached the SMSC twice; every part the SMSC took is one of ours
        per_part = Counter((r.destination, bytes(r.short_message)) for r in sim.messages.values())
        assert set(per_part.values()) == {1}, [k for k, v in per_part.items() if v > 1][:5]
        assert len(per_part) == sim.stats["submits"] <= total_parts

        # 2. the in-flight window was reported in doubt (and only parts that were in flight)
        in_doubt = set(MessagePart.objects.filter(error_code=IN_DOUBT).values_list("id", flat=True))
        assert in_doubt and in_doubt <= stranded
        claim = int(40 * CLAIM_WINDOWS)
        assert len(stranded) <= 40 + 1.5 * claim, "no more than the window and 1.5 claims can be in doubt"
        assert f"{len(in_doubt)} part(s) in doubt" in second_log

        # 3. every other part was sent exactly once and delivered
        settled = MessagePart.objects.filter(message_id__in=ids).exclude(error_code=IN_DOUBT)
        assert settled.count() + len(in_doubt) == total_parts
        assert set(settled.values_list("status", flat=True)) == {Status.DELIVERED}

        # 4. the policy: an in-doubt part the SMSC took is settled by its receipt ...
        receipts_apply(now=timezone.now() + timedelta(minutes=2))
        took = {(r.destination, bytes(r.short_message)) for r in sim.messages.values()}
        by_part = {}
        for part in MessagePart.objects.filter(pk__in=in_doubt).select_related("message"):
            payload = part_payloads(part.message.text, part.message_id % 256)[part.seq - 1]
            by_part[part.pk] = (part, (part.message.recipient.lstrip("+"), payload.short_message) in took)
        for part, reached in by_part.values():
            part.refresh_from_db()
            if reached:
                assert part.status == Status.DELIVERED and part.smsc_message_id, part
            else:
                assert part.status == Status.SUBMITTING and part.error_code == IN_DOUBT, part
        # ... and one no receipt settles expires with the 7-day window, still charged
        messages_expire_stale(now=timezone.now() + timedelta(days=7, minutes=1))
        never = [p for p, reached in by_part.values() if not reached]
        for part in never:
            part.refresh_from_db()
            assert part.status == Status.EXPIRED and part.error_code == IN_DOUBT
            assert Message.objects.get(pk=part.message_id).status == Status.EXPIRED
        assert not Message.objects.filter(pk__in=ids, status__in=[Status.QUEUED, Status.SUBMITTING,
                                                                  Status.SUBMITTED]).exists()
        client.wallet.refresh_from_db()
        # everything captured (in doubt too: it may have been delivered), nothing released
        assert client.wallet.balance.amount == charged and client.wallet.held.amount == 0
        assert charged == Decimal("10000") - Decimal("0.85") * total_parts
    finally:
        sim.stop()
