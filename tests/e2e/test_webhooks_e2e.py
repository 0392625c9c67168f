"""End to end, no eager mode: API send → connector → SMSC simulator → receipt → Celery worker →
outbox → signed POST of a `delivered` event to a local HTTP receiver (the client's server)."""
import time

import pytest

from messaging.models import Route, WebhookEvent
from messaging.services.webhooks import sign, signature_valid, webhook_endpoint_set
from tests.e2e.conftest import wait_for_worker
from tests.e2e.processes import free_port, wait_until
from tests.webhook_receiver import webhook_receiver

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_api_send_ends_in_a_signed_delivered_webhook(live, api, route):
    port = free_port()
    Route.objects.filter(pk=route.pk).update(port=port)
    with webhook_receiver() as rx:
        _endpoint, secret = webhook_endpoint_set(client=api.account, url=rx.url("/smsportal/status"))
        live.simulator(port, receipt_delay=0.2)
        worker = live.worker(SMSPORTAL_WEBHOOK_ALLOW_PRIVATE="true")
        wait_for_worker(live, worker)
        live.connector("test-route")

        r = api.post("/api/v1/messages/", {"sender": "TestShop", "recipients": ["+380671234567"],
                                           "text": "Your order 42 is ready"}, format="json")
        assert r.status_code == 201, r.content
        message_id = r.json()["messages"][0]["id"]

        assert wait_until(lambda: rx.events(), timeout=40), live.logs()
        time.sleep(0.5)  # nothing else should follow (no submitted events were asked for)

    assert len(rx.requests) == 1
    req = rx.requests[0]
    ts, sig = req["headers"]["X-Smsportal-Timestamp"], req["headers"]["X-Smsportal-Signature"]
    assert req["path"] == "/smsportal/status" and req["headers"]["Content-Type"] == "application/json"
    assert sig == sign(secret, ts, req["body"]) and signature_valid(secret, ts, req["body"], sig)
    [event] = req["json"]["events"]
    assert event["type"] == "message.status" and event["status"] == "delivered"
    assert event["message_id"] == message_id and event["recipient"] == "+380671234567"
    assert event["segments"] == 1 and event["price"]["currency"] == "UAH" and event["done_at"]
    assert api.get(f"/api/v1/messages/{message_id}/").json()["status"] == "delivered"
    assert wait_until(lambda: WebhookEvent.objects.filter(state="delivered").count() == 1, timeout=5)
    stored = WebhookEvent.objects.get()
    assert str(stored.public_id) == event["id"] and stored.last_http_status == 200 and stored.attempts == 1
