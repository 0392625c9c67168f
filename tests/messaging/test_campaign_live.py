"""The campaign page stays live until every message is final: a campaign is "Done" as soon as
nothing is left to submit, but its submitted messages still wait for delivery receipts, and the
counts keep moving until the last one arrives."""
import threading

import pytest
from django.db import connection
from django.urls import reverse

from messaging.models import Campaign, Message
from messaging.services import campaign_accept, campaign_create
from messaging.status import Status

pytestmark = pytest.mark.django_db


def done_campaign_waiting_for_receipts(client):
    campaign = campaign_create(client=client, sender="TestShop", text="Hi", name="Live test")
    campaign = campaign_accept(campaign=campaign, rows=["0671234567", "0501234567"])
    Message.objects.filter(campaign=campaign).update(status=Status.SUBMITTED)  # handed to the operators
    return campaign


def test_done_campaign_with_submitted_messages_is_not_finished(web):
    campaign = done_campaign_waiting_for_receipts(web.account)
    data = web.get(reverse("campaign_progress", args=[campaign.public_id])).json()
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DONE  # nothing left to submit
    assert data["state"] == "done" and data["open"] == 2 and data["finished"] is False
    html = web.get(reverse("campaign_detail", args=[campaign.public_id])).content.decode()
    assert "data-live" in html and "live-dot" in html
    assert "Waiting for delivery reports: <span data-open>2</span>" in html


def test_campaign_finishes_when_the_last_receipt_arrives(web):
    campaign = done_campaign_waiting_for_receipts(web.account)
    first, second = Message.objects.filter(campaign=campaign).order_by("pk")
    Message.objects.filter(pk=first.pk).update(status=Status.DELIVERED)
    data = web.get(reverse("campaign_progress", args=[campaign.public_id])).json()
    assert data["open"] == 1 and data["finished"] is False and data["counts"]["delivered"] == 1
    Message.objects.filter(pk=second.pk).update(status=Status.UNDELIVERED)
    data = web.get(reverse("campaign_progress", args=[campaign.public_id])).json()
    assert data["open"] == 0 and data["finished"] is True
    assert data["counts"]["delivered"] == 1 and data["counts"]["undelivered"] == 1
    html = web.get(reverse("campaign_detail", args=[campaign.public_id])).content.decode()
    assert "data-live" not in html


def test_cancelled_campaign_with_submitted_messages_stays_live(web):
    campaign = done_campaign_waiting_for_receipts(web.account)
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.CANCELLED)
    data = web.get(reverse("campaign_progress", args=[campaign.public_id])).json()
    assert data["state"] == "cancelled" and data["finished"] is False


def _in_thread(func):
    """The ORM outside Playwright's event loop (it refuses to run inside it)."""
    def run():
        try:
            func()
        finally:
            connection.close()
    t = threading.Thread(target=run)
    t.start()
    t.join(timeout=30)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_page_keeps_polling_after_done_until_every_message_is_final(client_account, live_server):
    from tests.browser import logged_in_page, sync_api

    campaign = done_campaign_waiting_for_receipts(client_account)
    user = client_account.users.first()
    with logged_in_page(live_server, user) as (page, errors):
        page.goto(f"{live_server.url}/campaigns/{campaign.public_id}/")
        sync_api.expect(page.locator(".live-dot")).to_be_visible()
        sync_api.expect(page.locator('dd[data-count="delivered"]')).to_have_text("0")
        sync_api.expect(page.locator("#awaiting-receipts [data-open]")).to_have_text("2")
        # the receipts arrive while the page is open
        _in_thread(lambda: Message.objects.filter(campaign_id=campaign.pk).update(status=Status.DELIVERED))
        sync_api.expect(page.locator('dd[data-count="delivered"]')).to_have_text("2", timeout=15000)
        sync_api.expect(page.locator(".live-dot")).to_be_hidden(timeout=15000)
        sync_api.expect(page.locator("#awaiting-receipts")).to_be_hidden()
        assert errors == []
