"""GET /api/v1/inbound/: the client's SMS replies (filters, cursor, STOP marked), and the
`message.inbound` webhook event (channel sms) written when a reply is stored for a client with a webhook."""
import json

import pytest
from rest_framework.test import APIClient

from accounts.services import api_key_create
from messaging.models import WebhookEndpoint, WebhookEvent
from messaging.services import inbound_store
from messaging.services.webhooks import webhook_body
from tests.factories import SenderNameFactory, make_client

pytestmark = pytest.mark.django_db


def test_inbound_lists_the_clients_replies_newest_first_page_by_page(api, route):
    inbound_store(route_id=route.pk, messages=[("+380671112233", "TestShop", "hello"),
                                               ("+380671112244", "TestShop", "СТОП"),
                                               ("+380671112255", "TestShop", "thanks")])
    other = make_client(name="Other LLC")
    SenderNameFactory(client=other, name="OtherCo", approved=True)
    inbound_store(route_id=route.pk, messages=[("+380679999999", "OtherCo", "not yours")])
    seen, cursor = [], None
    while True:
        body = api.get("/api/v1/inbound/", {"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += body["inbound"]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert [m["text"] for m in seen] == ["thanks", "СТОП", "hello"]
    assert [m["stop"] for m in seen] == [False, True, False]
    assert seen[0]["sender"] == "TestShop" and seen[0]["phone"] == "+380671112255"
    only = api.get("/api/v1/inbound/", {"phone": "+380671112233"}).json()["inbound"]
    assert [m["text"] for m in only] == ["hello"]
    assert api.get("/api/v1/inbound/", {"cursor": "zz"}).status_code == 400
    assert api.get("/api/v1/inbound/", {"received_from": "nope"}).json()["code"] == "invalid"

    _key, raw = api_key_create(client=other, name="k")
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert [m["text"] for m in c.get("/api/v1/inbound/").json()["inbound"]] == ["not yours"]


def test_a_reply_to_a_client_with_a_webhook_is_an_inbound_event(client_account, route):
    WebhookEndpoint.objects.create(client=client_account, url="https://example.com/hook", secret="s" * 40)
    other = make_client(name="No Hook LLC")
    SenderNameFactory(client=other, name="NoHook", approved=True)
    stored = inbound_store(route_id=route.pk, messages=[("+380671112233", "TestShop", "Stop"),
                                                        ("+380671112244", "NoHook", "hi")])
    events = list(WebhookEvent.objects.filter(event="inbound"))
    assert len(events) == 1
    event = events[0]
    assert event.client_id == client_account.pk and event.url == "https://example.com/hook"
    assert event.payload["inbound_id"] == str(stored[0].pk) and event.payload["stop"] is True
    body = json.loads(webhook_body([(event.pk, event.public_id, event.payload)]))
    sent = body["events"][0]
    assert sent["type"] == "message.inbound" and sent["channel"] == "sms"
    assert sent["text"] == "Stop" and sent["sender"] == "TestShop" and sent["phone"] == "+380671112233"
