"""R-ACC-06 as the blocked client lives it: logs in, is shown why on every page, cannot send from
the website or the API, explains within the window, and staff unblock."""
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.services import client_unblock
from lifecycle.services import client_block
from messaging.models import Message

pytestmark = pytest.mark.django_db
KYIV = ZoneInfo("Europe/Kyiv")


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_r_acc_06_blocked_client_logs_in_to_the_reason_and_sees_it_on_every_page(client, client_account):
    with time_machine.travel(datetime(2026, 3, 4, 14, 0, tzinfo=KYIV), tick=False):
        client_block(client=client_account, reason="Complaints about spam", notify=False)
        r = client.post(reverse("account_login"), {"login": client_account.users.get().email,
                                                   "password": "pass-word-123"})
        assert r.status_code == 302 and r["Location"] == reverse("account_block")
        page = client.get(reverse("account_block")).content.decode()
        assert "Complaints about spam" in page and "06.03.2026 23:59" in page and "<textarea" in page
        for name in ("dashboard", "message_list", "message_send", "sender_list", "billing_overview"):
            html = client.get(reverse(name)).content.decode()
            assert "cannot send" in html and "Complaints about spam" in html, name
            assert "06.03.2026 23:59" in html, name  # the deadline for the explanation


def test_r_acc_06_blocked_client_cannot_send_from_the_website(web):
    client_block(client=web.account, reason="Phishing links", notify=False)
    r = web.post(reverse("message_send"), {"sender": "TestShop", "recipients": "+380671234567", "text": "Hello",
                                           "token": str(uuid.uuid4())})
    assert r.status_code == 400 and "blocked and cannot send" in r.content.decode()
    r = web.post(reverse("sender_list"), {"channel": "sms", "name": "Kvitka"})
    assert r.status_code == 400 and "blocked" in r.content.decode()
    assert not Message.objects.exists()


def test_r_acc_06_blocked_client_cannot_send_by_api(api):
    client_block(client=api.account, reason="Phishing links", notify=False)
    for url, body in (("/api/v1/messages/", {"sender": "TestShop", "recipients": ["+380671234567"], "text": "x"}),
                      ("/api/v1/campaigns/", {"sender": "TestShop", "text": "x", "recipients": ["+380671234567"]}),
                      ("/api/v1/senders/", {"name": "Kvitka"})):
        r = api.post(url, body, format="json")
        assert r.status_code == 403 and r.json()["code"] == "account_blocked", url
        assert "Phishing links" in r.json()["detail"]
    assert api.get("/api/v1/balance/").status_code == 200  # reading still works


def test_r_acc_06_after_the_window_the_form_is_gone_and_staff_unblock(client, client_account):
    with time_machine.travel(datetime(2026, 3, 4, 14, 0, tzinfo=KYIV), tick=False):
        client_block(client=client_account, reason="Complaint", notify=False)
    client.force_login(client_account.users.get())
    with time_machine.travel(datetime(2026, 3, 7, 9, 0, tzinfo=KYIV), tick=False):
        page = client.get(reverse("account_block")).content.decode()
        assert "<textarea" not in page and "ended 06.03.2026 23:59" in page
        r = client.post(reverse("account_block"), {"text": "We were away, sorry about it."})
        assert r.status_code == 400 and "ended" in r.content.decode()
    client_unblock(client=client_account, note="Checked the list")
    html = client.get(reverse("dashboard")).content.decode()
    assert "cannot send" not in html
    assert AuditEvent.objects.filter(code="accounts.client.unblocked").exists()


def test_r_acc_06_scheduled_messages_of_a_blocked_account_wait_until_unblocked(api):
    from datetime import timedelta

    from django.utils import timezone

    from messaging.services import messages_release_due

    at = timezone.now() + timedelta(hours=2)
    r = api.post("/api/v1/messages/", {"sender": "TestShop", "recipients": ["+380671234567"], "text": "Tomorrow",
                                       "send_at": at.isoformat(), "ttl": 86400}, format="json")
    assert r.status_code == 201, r.content
    message = Message.objects.get(client=api.account)
    assert message.status == "scheduled"
    client_block(client=api.account, reason="Complaints", notify=False)
    assert messages_release_due(now=at + timedelta(minutes=1)) == 0
    message.refresh_from_db()
    assert message.status == "scheduled"
    client_unblock(client=api.account, note="Explained")
    assert messages_release_due(now=at + timedelta(minutes=2)) == 1
    message.refresh_from_db()
    assert message.status == "queued"


def test_r_acc_06_a_block_stops_what_waits_for_the_operator_and_returns_its_money(api):
    available = api.account.wallet.available
    r = api.post("/api/v1/messages/", {"sender": "TestShop", "recipients": ["+380671234567"], "text": "Now"},
                 format="json")
    assert r.status_code == 201
    message = Message.objects.get(client=api.account)
    assert message.status == "queued"  # no connector runs in this test: it waits for one
    client_block(client=api.account, reason="Phishing links", notify=False)
    message.refresh_from_db()
    assert message.status == "cancelled" and message.error_code == "account_blocked"
    api.account.wallet.refresh_from_db()
    assert api.account.wallet.available == available
    event = AuditEvent.objects.get(code="accounts.client.blocked")
    assert event.details["cancelled_messages"] == 1
