"""R-ACC-06 against sends in flight: a block that lands while a campaign's rows are read, or while
its messages are being stored, never leaves queued messages (or a hold) behind for a blocked
account. The accept checks again under the client row's lock, where it stores the messages."""
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Client
from accounts.services import AccountBlocked
from billing.models import Wallet
from lifecycle.services import client_block
from messaging.models import Campaign, Message
from messaging.services import campaign_accept, campaign_create, message_send, messages_release_due
from messaging.services import campaigns as campaigns_module
from messaging.services import send as send_module
from messaging.status import Status

PHONES = [f"+38067{3000001 + i:07d}" for i in range(30)]


def _held(client) -> tuple:
    wallet = Wallet.objects.get(client=client)
    return wallet.held.amount, wallet.balance.amount


@pytest.mark.django_db
def test_r_acc_06_block_while_campaign_rows_are_read_refuses_the_campaign(client_account):
    campaign = campaign_create(client=client_account, sender="TestShop", text="Sale")

    def rows():
        for i, phone in enumerate(PHONES):
            if i == 10:  # staff block the account while the upload is still being read
                client_block(client=Client.objects.get(pk=client_account.pk), reason="Spam complaints",
                             notify=False)
            yield phone

    with pytest.raises(AccountBlocked) as exc:
        campaign_accept(campaign=campaign, rows=rows(), total_rows=len(PHONES))
    assert exc.value.code == "account_blocked"
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.FAILED and "blocked" in campaign.error_detail
    assert not Message.objects.filter(campaign=campaign).exists()
    assert _held(client_account) == (0, 100)


def _pause_before_hold(monkeypatch, module, entered: threading.Event):
    """The accept's transaction, its messages stored and its lock check passed, waits a moment
    before its hold: the block arrives exactly then."""
    real = module.hold_open

    def slow_hold(**kwargs):
        entered.set()
        time.sleep(0.8)
        return real(**kwargs)

    monkeypatch.setattr(module, "hold_open", slow_hold)


def _run(target, errors: list):
    def body():
        try:
            target()
        except Exception as exc:  # noqa: BLE001 (reported to the test)
            errors.append(exc)
        finally:
            connection.close()
    thread = threading.Thread(target=body)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_r_acc_06_block_racing_a_campaign_commit_cancels_what_it_stored(client_account, monkeypatch):
    campaign = campaign_create(client=client_account, sender="TestShop", text="Sale")
    entered, errors = threading.Event(), []
    _pause_before_hold(monkeypatch, campaigns_module, entered)
    accept = _run(lambda: campaign_accept(campaign=campaign, rows=PHONES, total_rows=len(PHONES)), errors)
    assert entered.wait(10)
    # The block waits for the accept's commit (the client row is locked), then cancels its messages.
    client_block(client=Client.objects.get(pk=client_account.pk), reason="Spam complaints", notify=False)
    accept.join(10)
    assert errors == []
    statuses = set(Message.objects.filter(campaign=campaign).values_list("status", "error_code"))
    assert statuses == {(Status.CANCELLED, "account_blocked")}
    assert _held(client_account) == (0, 100)


@pytest.mark.django_db(transaction=True)
def test_r_acc_06_block_racing_a_single_send_cancels_it(client_account, monkeypatch):
    entered, errors = threading.Event(), []
    _pause_before_hold(monkeypatch, send_module, entered)
    send = _run(lambda: message_send(client=client_account, sender="TestShop", recipients=PHONES[:2], text="Hi"),
                errors)
    assert entered.wait(10)
    client_block(client=Client.objects.get(pk=client_account.pk), reason="Spam complaints", notify=False)
    send.join(10)
    assert errors == []
    assert set(Message.objects.values_list("status", flat=True)) == {Status.CANCELLED}
    assert _held(client_account) == (0, 100)


@pytest.mark.django_db(transaction=True)
def test_r_acc_06_release_job_waiting_on_a_block_releases_nothing_of_the_blocked_account(client_account):
    """The per-minute release locks the owners' rows: a block that holds the row first wins."""
    at = timezone.now() + timedelta(hours=1)
    message_send(client=client_account, sender="TestShop", recipients=PHONES[:2], text="Later", send_at=at)
    from django.db import transaction

    released, errors = [], []
    with transaction.atomic():
        client_block(client=Client.objects.get(pk=client_account.pk), reason="Spam complaints", notify=False)
        job = _run(lambda: released.append(messages_release_due(now=at + timedelta(minutes=1))), errors)
        time.sleep(0.5)  # the job now waits for this transaction's lock on the client row
    job.join(10)
    assert errors == [] and released == [0]
    assert set(Message.objects.values_list("status", flat=True)) == {Status.SCHEDULED}
