"""R-MSG-05: the client sees the status of every message of a campaign through the API, page by
page; R-MSG-06: the estimate warns about long messages and sends abroad."""
import pytest

from messaging.models import Message
from messaging.status import Status
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def test_r_msg_05_every_message_of_a_campaign_with_its_status_page_by_page(api, monkeypatch):
    from billing.services import wallet_topup
    from messaging.api import campaigns as module

    wallet_topup(client=api.account, amount=100, key="more")
    monkeypatch.setattr(module, "CAMPAIGN_MESSAGES_PAGE", 4)
    r = api.post("/api/v1/campaigns/", {"sender": "TestShop", "text": "Hi",
                                        "recipients": [f"+38067{n:07d}" for n in range(1, 11)]}, format="json")
    cid = r.json()["id"]
    Message.objects.filter(recipient="+380670000003").update(status=Status.DELIVERED)
    seen, after = [], None
    while True:
        page = api.get(f"/api/v1/campaigns/{cid}/messages/", {"after": after} if after else {}).json()
        seen += page["messages"]
        after = page["next_after"]
        if after is None:
            break
    assert len(seen) == 10 and len({m["id"] for m in seen}) == 10
    assert {m["recipient"]: m["status"] for m in seen}["+380670000003"] == "delivered"
    delivered = api.get(f"/api/v1/campaigns/{cid}/messages/", {"status": "delivered"}).json()
    assert [m["recipient"] for m in delivered["messages"]] == ["+380670000003"]
    assert api.get(f"/api/v1/campaigns/{cid}/messages/", {"status": "nope"}).status_code == 400
    assert api.get(f"/api/v1/campaigns/{cid}/messages/", {"after": "x"}).status_code == 400


def test_r_msg_05_another_clients_campaign_messages_are_out_of_reach(api):
    from accounts.services import api_key_create
    from rest_framework.test import APIClient

    cid = api.post("/api/v1/campaigns/", {"sender": "TestShop", "text": "Hi", "recipients": ["0671234567"]},
                   format="json").json()["id"]
    _k, raw = api_key_create(client=make_client(name="Other"), name="x")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert other.get(f"/api/v1/campaigns/{cid}/messages/").status_code == 404


def test_r_msg_06_estimate_warns_beyond_three_parts_and_abroad(api):
    r = api.post("/api/v1/messages/estimate/", {"text": "x" * 459, "recipients": ["0671234567"]}, format="json")
    assert [w["code"] for w in r.json()["warnings"]] == ["long_message"]  # 459 GSM-7 chars: 4 parts
    r = api.post("/api/v1/messages/estimate/", {"text": "x" * 457, "recipients": ["+48512345678"]}, format="json")
    assert [w["code"] for w in r.json()["warnings"]] == ["abroad"]  # 457: 3 parts
    r = api.post("/api/v1/messages/estimate/", {"text": "Hi", "recipients": ["0671234567"]}, format="json")
    assert r.json()["warnings"] == []
