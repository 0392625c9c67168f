"""The stop list is checked again when a message leaves for its connector (R-CMP-05): a recipient
who replies STOP (or whom staff or the client block) after a send was accepted gets nothing that
has not gone out yet. A scheduled send, a bulk send waiting for the minute job, a scheduled
campaign and a queued message not claimed yet all end REFUSED `opted_out`, their share of the
hold released and their `refused` webhook event written."""
import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import LedgerEntry, Wallet
from compliance.services import opt_out_record
from messaging.models import Message, MessagePart, WebhookEvent
from messaging.services import connector_flush, message_send, messages_release_due, parts_claim
from messaging.services.webhooks import webhook_endpoint_set
from messaging.status import Status

pytestmark = pytest.mark.django_db
PRICE = Decimal("0.85")
STOPPED = "+380671234567"
OTHER = "+380501234567"


def _held(client) -> tuple[Decimal, Decimal]:
    wallet = Wallet.objects.get(client=client)
    return wallet.balance.amount, wallet.held.amount


def _assert_refused(client, message_id):
    m = Message.objects.get(pk=message_id)
    assert (m.status, m.error_code) == (Status.REFUSED, "opted_out") and m.done_at is not None
    assert not MessagePart.objects.filter(message_id=message_id).exists()  # never submitted
    [event] = WebhookEvent.objects.filter(client=client, payload__recipient=m.recipient)
    assert (event.event, event.payload["status"], event.payload["error_code"]) == ("refused", "refused", "opted_out")


def _send(client, recipients, **kw):
    return {m.recipient: m.pk for m in message_send(client=client, sender="TestShop", text="Hello",
                                                    recipients=recipients, **kw).messages}


def test_r_cmp_05_scheduled_send_to_a_number_that_opts_out_before_its_time_is_refused(client_account):
    webhook_endpoint_set(client=client_account, url="http://127.0.0.1:9/hooks")
    later = timezone.now() + datetime.timedelta(hours=1)
    ids = _send(client_account, [STOPPED], send_at=later)
    assert _held(client_account) == (100, PRICE)
    opt_out_record(client=client_account, phone=STOPPED)  # the reply STOP arrives after accept

    assert messages_release_due(now=later + datetime.timedelta(seconds=1)) == 0
    _assert_refused(client_account, ids[STOPPED])
    assert _held(client_account) == (100, 0)  # its hold released, nothing charged
    [release] = LedgerEntry.objects.filter(kind="release")
    assert release.held_delta.amount == -PRICE
    assert not LedgerEntry.objects.filter(kind__in=["capture", "charge"]).exists()


def test_r_cmp_05_bulk_send_waiting_for_the_minute_job_refuses_only_the_opted_out(client_account, settings):
    webhook_endpoint_set(client=client_account, url="http://127.0.0.1:9/hooks")
    settings.SMSPORTAL_BULK_THRESHOLD = 1
    ids = _send(client_account, [STOPPED, OTHER])
    assert {Message.objects.get(pk=i).status for i in ids.values()} == {Status.SCHEDULED}  # bulk: the minute job
    opt_out_record(client=client_account, phone="0671234567", source="staff")

    assert messages_release_due() == 1
    _assert_refused(client_account, ids[STOPPED])
    assert Message.objects.get(pk=ids[OTHER]).status == Status.QUEUED
    assert _held(client_account) == (100, PRICE)  # the other's share still held
    assert not WebhookEvent.objects.filter(payload__recipient=OTHER).exists()


def test_r_cmp_05_scheduled_campaign_refuses_the_opted_out_recipient_and_releases_the_others(api):
    webhook_endpoint_set(client=api.account, url="http://127.0.0.1:9/hooks")
    at = timezone.now() + datetime.timedelta(hours=1)
    r = api.post("/api/v1/campaigns/", {"sender": "TestShop", "text": "Sale -20% today", "send_at": at.isoformat(),
                                        "recipients": ["0671234567", "0501234567", "0931234567"]}, format="json")
    assert r.status_code == 201 and r.json()["state"] == "scheduled"
    opt_out_record(client=api.account, phone=STOPPED)

    assert messages_release_due(now=at + datetime.timedelta(seconds=30)) == 2
    stopped = Message.objects.get(recipient=STOPPED)
    _assert_refused(api.account, stopped.pk)
    assert set(Message.objects.exclude(pk=stopped.pk).values_list("status", flat=True)) == {Status.QUEUED}
    assert _held(api.account) == (100, 2 * PRICE)
    release = LedgerEntry.objects.get(kind="release")
    assert release.held_delta.amount == -PRICE and release.related == LedgerEntry.objects.get(kind="hold")


def test_r_cmp_05_queued_message_whose_recipient_opts_out_before_the_claim_is_never_submitted(client_account,
                                                                                              route):
    webhook_endpoint_set(client=client_account, url="http://127.0.0.1:9/hooks")
    ids = _send(client_account, [STOPPED, OTHER])
    assert {Message.objects.get(pk=i).status for i in ids.values()} == {Status.QUEUED}
    opt_out_record(client=client_account, phone=STOPPED, source="client")

    parts = parts_claim(route_id=route.pk, limit=10)
    assert [p.recipient for p in parts] == [OTHER]
    _assert_refused(client_account, ids[STOPPED])
    assert Message.objects.get(pk=ids[OTHER]).status == Status.SUBMITTING
    assert _held(client_account) == (100, PRICE)

    connector_flush(route_id=route.pk, submitted=[(parts[0].part_id, ids[OTHER], "s1")], complete=[ids[OTHER]])
    assert _held(client_account) == (100 - PRICE, 0)


def test_r_cmp_05_the_connectors_pipelined_claim_refuses_the_opted_out_too(client_account, route):
    webhook_endpoint_set(client=client_account, url="http://127.0.0.1:9/hooks")
    ids = _send(client_account, [STOPPED, OTHER])
    opt_out_record(client=client_account, phone=STOPPED)

    parts = connector_flush(route_id=route.pk, claim=10)  # the claim a bind makes with its flush
    assert [p.recipient for p in parts] == [OTHER]
    _assert_refused(client_account, ids[STOPPED])
    assert _held(client_account) == (100, PRICE)
    assert connector_flush(route_id=route.pk, claim=10) == []  # nothing left behind in the queue
