"""The message status machine and its one transition service."""
import pytest

from billing.models import LedgerEntry
from messaging.models import Message
from messaging.services import message_send, messages_release_due, messages_transition
from messaging.status import FINAL, TRANSITIONS, Status, can_transition, check_transition, InvalidTransition

pytestmark = pytest.mark.django_db


def test_final_states_have_no_way_out_except_late_receipts():
    for state in FINAL:
        allowed = TRANSITIONS.get(state, frozenset())
        if state == Status.EXPIRED:
            assert allowed == {Status.DELIVERED, Status.UNDELIVERED}
        else:
            assert not allowed, state


def test_happy_path_is_allowed_and_backwards_is_not():
    path = [Status.SCHEDULED, Status.QUEUED, Status.SUBMITTING, Status.SUBMITTED, Status.DELIVERED]
    for a, b in zip(path, path[1:]):
        check_transition(a, b)
    assert not can_transition(Status.DELIVERED, Status.SUBMITTED)
    assert not can_transition(Status.SUBMITTED, Status.QUEUED)
    with pytest.raises(InvalidTransition):
        check_transition(Status.DELIVERED, Status.UNDELIVERED)


def _one(client_account, **kw):
    return message_send(client=client_account, sender="TestShop", recipients=["+380671234567"], text="Hi", **kw).messages[0]


def test_transition_skips_messages_in_the_wrong_state(client_account):
    m = _one(client_account)
    assert messages_transition(ids=[m.pk], new=Status.DELIVERED) == []  # queued → delivered is not a move
    assert Message.objects.get(pk=m.pk).status == Status.QUEUED
    assert messages_transition(ids=[m.pk], new=Status.SUBMITTING) == [m.pk]
    assert messages_transition(ids=[m.pk], new=Status.SUBMITTED) == [m.pk]
    assert Message.objects.get(pk=m.pk).submitted_at is not None
    assert messages_transition(ids=[m.pk], new=Status.DELIVERED) == [m.pk]
    m.refresh_from_db()
    assert m.status == Status.DELIVERED and m.done_at is not None
    assert messages_transition(ids=[m.pk], new=Status.UNDELIVERED) == []


def test_failed_message_is_released_once(client_account):
    m = _one(client_account)
    messages_transition(ids=[m.pk], new=Status.SUBMITTING)
    messages_transition(ids=[m.pk], new=Status.FAILED, error_code="smpp_0x0b")
    messages_transition(ids=[m.pk], new=Status.FAILED)
    client_account.wallet.refresh_from_db()
    assert (client_account.wallet.balance.amount, client_account.wallet.held.amount) == (100, 0)
    assert LedgerEntry.objects.filter(kind="release").count() == 1
    assert not LedgerEntry.objects.filter(kind__in=["capture", "refund"]).exists()


def test_r_msg_03_scheduled_messages_released_when_due(client_account):
    import datetime

    from django.utils import timezone

    later = timezone.now() + datetime.timedelta(minutes=5)
    m = _one(client_account, send_at=later)
    assert m.status == Status.SCHEDULED
    assert messages_release_due() == 0
    assert messages_release_due(now=later + datetime.timedelta(seconds=1)) == 1
    assert Message.objects.get(pk=m.pk).status == Status.QUEUED


def test_system_message_is_free_and_queued_at_once(client_account):
    from messaging.services import system_message_send

    m = system_message_send(recipient="0671234567", text="Your smsportal code: 123456")
    assert m.status == Status.QUEUED and m.price.amount == 0 and m.client.is_system
    assert m.sender == "smsportal" and m.recipient == "+380671234567"
    assert LedgerEntry.objects.filter(kind="charge").count() == 0
