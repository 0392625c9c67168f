"""POST /api/v1/messages/<id>/cancel/: a message not gone out yet becomes cancelled through the
status door, its share of the hold released (and its `cancelled` webhook event written) in the
same transaction; another client's id is a 404, a sent one a 409 `not_cancellable`."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_key_create
from billing.selectors import wallet_get
from messaging.models import Message, WebhookEndpoint, WebhookEvent
from messaging.status import Status
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def _send(api, phones, **extra):
    r = api.post("/api/v1/messages/", {"sender": "TestShop", "recipients": phones, "text": "Hello", **extra},
                 format="json")
    assert r.status_code == 201, r.content
    return r.json()["messages"]


def test_cancel_a_scheduled_message_releases_its_share_of_the_hold(api):
    later = (timezone.now() + timedelta(days=1)).isoformat()
    sent = _send(api, ["+380671111111", "+380672222222"], send_at=later)
    assert {m["status"] for m in sent} == {"scheduled"}
    WebhookEndpoint.objects.create(client=api.account, url="https://example.com/hook", secret="s" * 40)
    wallet = wallet_get(client=api.account)
    held_before = wallet.held.amount
    r = api.post(f"/api/v1/messages/{sent[0]['id']}/cancel/")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "cancelled" and r.json()["id"] == sent[0]["id"]
    wallet.refresh_from_db()
    assert wallet.held.amount == held_before - Decimal(sent[0]["price"]["amount"])
    assert wallet.balance.amount == Decimal("100")  # nothing charged
    other = Message.objects.get(public_id=sent[1]["id"])
    assert other.status == Status.SCHEDULED  # the rest of the send still goes
    assert WebhookEvent.objects.filter(message__public_id=sent[0]["id"], event="cancelled").count() == 1
    # a second cancel: already final
    again = api.post(f"/api/v1/messages/{sent[0]['id']}/cancel/")
    assert again.status_code == 409 and again.json()["code"] == "not_cancellable"


def test_cancel_a_queued_message(api):
    m = _send(api, ["+380671111111"])[0]
    Message.objects.filter(public_id=m["id"]).update(status=Status.QUEUED)
    assert api.post(f"/api/v1/messages/{m['id']}/cancel/").json()["status"] == "cancelled"
    wallet = wallet_get(client=api.account)
    assert wallet.held.amount == 0 and wallet.balance.amount == Decimal("100")


@pytest.mark.parametrize("status", [Status.SUBMITTING, Status.SUBMITTED, Status.DELIVERED])
def test_a_message_that_went_out_is_not_cancellable(api, status):
    m = _send(api, ["+380671111111"])[0]
    Message.objects.filter(public_id=m["id"]).update(status=status)
    r = api.post(f"/api/v1/messages/{m['id']}/cancel/")
    assert r.status_code == 409
    assert r.json()["code"] == "not_cancellable" and r.json()["status"] == status
    assert Message.objects.get(public_id=m["id"]).status == status


def test_another_clients_message_is_a_404(api):
    later = (timezone.now() + timedelta(days=1)).isoformat()
    m = _send(api, ["+380671111111"], send_at=later)[0]
    other = make_client(name="Other LLC", balance=10)
    _key, raw = api_key_create(client=other, name="k")
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    r = c.post(f"/api/v1/messages/{m['id']}/cancel/")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert c.post("/api/v1/messages/not-a-uuid/cancel/").status_code == 404
    assert Message.objects.get(public_id=m["id"]).status == Status.SCHEDULED
