"""Spot checks (R-CMP-08): staff see a random sample of each client's recent texts and, in one
click, stop a text (its messages not gone yet cancelled and refunded), cancel its campaign or block
the account; every action audited, staff with the client permissions only, POST only."""
import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.models import AuditEvent, Client, User
from billing.models import Wallet
from messaging.models import Campaign, Message
from messaging.services import campaign_accept, campaign_create, message_send
from messaging.services.review import spot_check_sample
from messaging.status import Status

pytestmark = pytest.mark.django_db
URL = "/admin/accounts/client/spot-checks/"
PRICE = Decimal("0.85")
A, B = "+380671234567", "+380501234567"


@pytest.fixture
def staff(client):
    user = User.objects.create_superuser("checker@example.com", "pw-12345-staff")
    client.force_login(user)
    client.user = user
    return client


def _wallet(client) -> tuple[Decimal, Decimal]:
    wallet = Wallet.objects.get(client=client)
    return wallet.balance.amount, wallet.held.amount


def _send(client, text, recipients, **kw) -> list[int]:
    return [m.pk for m in message_send(client=client, sender="TestShop", recipients=recipients, text=text,
                                       **kw).messages]


def test_r_cmp_08_sample_has_distinct_recent_texts_per_client(client_account):
    for i in range(8):
        _send(client_account, f"Your order {i} is ready", [A, B])
    sample = spot_check_sample(per_client=5)
    assert len(sample) == 5
    assert len({item.message.text for item in sample}) == 5
    assert {item.count for item in sample} == {2}
    # Older than the period: not sampled.
    assert spot_check_sample(now=timezone.now() + datetime.timedelta(days=8)) == []


def test_r_cmp_08_spot_check_page_renders_for_staff(staff, client_account):
    _send(client_account, "Кредит готівкою під 0% на 30 днів", [A])
    r = staff.get(URL)
    assert r.status_code == 200
    html = r.content.decode()
    assert "<mark>Кредит</mark>" in html and "Acme LLC" in html and "Block account" in html


def test_r_cmp_08_spot_checks_are_refused_for_non_staff(client, client_account):
    _send(client_account, "Hello", [A])
    client.force_login(client_account.users.first())
    r = client.get(URL)
    assert r.status_code == 302 and "/admin/login/" in r["Location"]
    clerk = User.objects.create_user("clerk@example.com", "pw-12345-clerk", is_staff=True)
    client.force_login(clerk)
    assert client.get(URL).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_client", content_type__app_label="accounts"))
    client.force_login(User.objects.get(pk=clerk.pk))
    assert client.get(URL).status_code == 200
    message_id = Message.objects.get().pk
    assert client.post(URL, {"action": "block_account", "message": message_id, "reason": "x"}).status_code == 403
    assert Client.objects.get(pk=client_account.pk).status == Client.Status.ACTIVE


def test_r_cmp_08_spot_check_cancel_message(staff, client_account):
    later = timezone.now() + datetime.timedelta(hours=2)
    ids = _send(client_account, "Dubious text", [A, B], send_at=later)
    other = _send(client_account, "Another text", [A], send_at=later)
    assert _wallet(client_account) == (100, 3 * PRICE)
    r = staff.post(URL, {"action": "block_message", "message": ids[0], f"reason_{ids[0]}": "Misleading offer."})
    assert r.status_code == 302
    for m in Message.objects.filter(pk__in=ids):
        assert (m.status, m.error_code) == (Status.CANCELLED, "blocked_by_staff")
        assert "Misleading offer." in m.error_detail
    assert Message.objects.get(pk=other[0]).status == Status.SCHEDULED
    assert _wallet(client_account) == (100, PRICE)  # the blocked messages' reservation released
    event = AuditEvent.objects.get(code="messaging.message.blocked")
    assert (event.actor, event.client, event.details["cancelled"]) == (staff.user, client_account, 2)


def test_r_cmp_08_blocking_a_text_that_went_out_says_so(staff, client_account):
    ids = _send(client_account, "Already sent", [A])
    Message.objects.filter(pk=ids[0]).update(status=Status.DELIVERED)  # set-up: it went out
    r = staff.post(URL, {"action": "block_message", "message": ids[0]}, follow=True)
    assert "has all gone out" in r.content.decode()
    assert Message.objects.get(pk=ids[0]).status == Status.DELIVERED


def test_r_cmp_08_spot_check_cancel_campaign(staff, client_account):
    campaign = campaign_create(client=client_account, sender="TestShop", text="Sale today",
                               send_at=timezone.now() + datetime.timedelta(hours=2))
    campaign = campaign_accept(campaign=campaign, rows=[A, B])
    message_id = Message.objects.filter(campaign=campaign).first().pk
    r = staff.post(URL, {"action": "cancel_campaign", "message": message_id})
    assert r.status_code == 302
    assert Campaign.objects.get(pk=campaign.pk).state == Campaign.State.CANCELLED
    assert set(Message.objects.filter(campaign=campaign).values_list("status", flat=True)) == {Status.CANCELLED}
    assert _wallet(client_account) == (100, 0)
    assert AuditEvent.objects.filter(code="messaging.campaign.cancelled", actor=staff.user).exists()


def test_r_cmp_08_spot_check_block_account(staff, client_account):
    ids = _send(client_account, "Spam spam", [A])
    r = staff.post(URL, {"action": "block_account", "message": ids[0], f"reason_{ids[0]}": ""}, follow=True)
    assert "Give the reason" in r.content.decode()
    assert Client.objects.get(pk=client_account.pk).status == Client.Status.ACTIVE

    r = staff.post(URL, {"action": "block_account", "message": ids[0],
                         f"reason_{ids[0]}": "Unsolicited advertising found in a spot check."})
    assert r.status_code == 302
    blocked = Client.objects.get(pk=client_account.pk)
    assert blocked.status == Client.Status.BLOCKED
    event = AuditEvent.objects.get(code="accounts.client.blocked")
    assert event.actor == staff.user and event.details["reason"] == "Unsolicited advertising found in a spot check."
    assert Message.objects.get(pk=ids[0]).status == Status.CANCELLED  # what waited for the operator


def test_spot_check_bad_input_is_a_message_not_an_error(staff, client_account):
    assert staff.post(URL, {"action": "block_message", "message": "abc"}).status_code == 302
    assert staff.post(URL, {"action": "explode", "message": "1"}).status_code == 302
    assert staff.get(URL + "?days=abc&n=-5&client=x").status_code == 200
