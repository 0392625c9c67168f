"""R-BILL-14 safety net: a hold that still reserves money after every message it paid for is final
(or it paid for none) gives the rest back, audited, once; holds of sends still in flight stay."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.models import AuditEvent
from billing.models import LedgerEntry, Wallet
from billing.services import wallet_hold
from messaging.models import Campaign, Message
from messaging.services import campaign_accept, campaign_create, message_send
from messaging.services.money import holds_release_stale
from messaging.status import Status

pytestmark = pytest.mark.django_db
LATER = timedelta(hours=2)


def _held(client) -> Decimal:
    return Wallet.objects.get(client=client).held.amount


def _campaign(client, n=3, start=4000001) -> Campaign:
    campaign = campaign_create(client=client, sender="TestShop", text="Sale")
    return campaign_accept(campaign=campaign, rows=[f"+38067{start + i:07d}" for i in range(n)])


def test_r_bill_14_rest_of_a_finished_campaigns_hold_is_released_once_and_audited(client_account):
    campaign = _campaign(client_account)
    reserved = _held(client_account)
    assert reserved > 0
    # Every message ended without its share being settled (the leak the job exists for).
    Message.objects.filter(campaign=campaign).update(status=Status.UNDELIVERED, done_at=timezone.now())
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.DONE)

    assert holds_release_stale(now=timezone.now() + LATER) == reserved
    assert _held(client_account) == 0
    [entry] = LedgerEntry.objects.filter(kind="release", idempotency_key=f"release-rest:campaign:{campaign.public_id}")
    assert entry.held_delta.amount == -reserved and entry.related.idempotency_key == f"campaign:{campaign.public_id}"
    [event] = AuditEvent.objects.filter(code="billing.hold.released_stale")
    assert event.client_id == client_account.pk and event.target == f"campaign:{campaign.public_id}"
    assert Decimal(event.details["amount"]) == reserved

    assert holds_release_stale(now=timezone.now() + LATER) == 0  # idempotent
    assert AuditEvent.objects.filter(code="billing.hold.released_stale").count() == 1


def test_r_bill_14_holds_of_sends_still_in_flight_or_young_are_left_alone(client_account):
    campaign = _campaign(client_account)
    sent = message_send(client=client_account, sender="TestShop", recipients=["+380501234567"], text="Hi")
    reserved = _held(client_account)
    Message.objects.filter(campaign=campaign).exclude(
        pk=Message.objects.filter(campaign=campaign).order_by("pk").values("pk")[:1]).update(status=Status.DELIVERED)
    Message.objects.filter(pk=sent.messages[0].pk).update(status=Status.SUBMITTING)
    assert holds_release_stale(now=timezone.now() + LATER) == 0  # one queued, one submitting: both wait
    Message.objects.filter(client=client_account).update(status=Status.FAILED)
    assert holds_release_stale(now=timezone.now()) == 0  # younger than an hour
    assert _held(client_account) == reserved
    assert holds_release_stale(now=timezone.now() + LATER) == reserved
    assert _held(client_account) == 0


def test_r_bill_14_holds_that_are_not_a_sends_are_not_messagings_to_release(client_account):
    wallet_hold(client=client_account, amount=Decimal("5"), key="viber-sender:fee", description="Fee")
    assert holds_release_stale(now=timezone.now() + LATER) == 0
    assert _held(client_account) == 5


def test_r_bill_14_a_send_hold_with_no_message_left_is_released(client_account):
    sent = message_send(client=client_account, sender="TestShop", recipients=["+380501234567"], text="Hi")
    Message.objects.filter(pk=sent.messages[0].pk).update(status=Status.CANCELLED)
    assert holds_release_stale(now=timezone.now() + LATER) == sent.total_price.amount
    assert _held(client_account) == 0


def test_stale_hold_job_is_declared_for_beat():
    job = PeriodicTask.objects.get(task="messaging.holds_release_stale")
    assert job.enabled and job.interval.every == 900


def test_r_bill_14_the_job_reads_all_open_holds_in_a_fixed_number_of_queries(client_account,
                                                                               django_assert_max_num_queries):
    """Scheduled sends and a campaign keep their holds open for hours: checking them costs the
    same few queries for 3 holds as for 30 (it used to be two per hold, every 15 minutes)."""
    def add(n, start):
        for i in range(n):
            message_send(client=client_account, sender="TestShop", recipients=[f"+38050{start + i:07d}"], text="Hi",
                         send_at=timezone.now() + timedelta(days=1))
            _campaign(client_account, n=1, start=start + i)  # other recipients each: 10 a day (R-CMP-03)

    add(3, 1000000)
    with django_assert_max_num_queries(10) as few:
        assert holds_release_stale(now=timezone.now() + LATER) == 0
    add(27, 2000000)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert holds_release_stale(now=timezone.now() + LATER) == 0
    reserved = _held(client_account)
    Message.objects.filter(client=client_account).update(status=Status.CANCELLED)
    assert holds_release_stale(now=timezone.now() + LATER) == reserved  # all 60 holds at once
    assert _held(client_account) == 0
    assert LedgerEntry.objects.filter(kind="release", idempotency_key__startswith="release-rest:").count() == 60
