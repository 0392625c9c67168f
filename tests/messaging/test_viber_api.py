"""POST /api/v1/messages/ with "channel": "viber", and the message JSON of both channels."""
# ruff: noqa: F811 (the `viber_client` fixture is imported, then named by the tests)
import pytest

from messaging.models import Message
from tests.messaging.viber_fixtures import KYIVSTAR, viber_client  # noqa: F401

pytestmark = pytest.mark.django_db
WELCOME = {"channel": "viber", "sender": "ViberShop", "recipients": [KYIVSTAR], "viber_type": "welcome",
           "text": "Welcome to ViberShop! +380441234567"}


@pytest.fixture
def vapi(api, viber_client):
    return api


def test_viber_send_answers_the_sms_shape_with_channel_and_viber(vapi):
    r = vapi.post("/api/v1/messages/", {**WELCOME, "fallback_sms": {"sender": "TestShop", "text": "Hi +380441234567"}},
                  format="json")
    assert r.status_code == 201, r.json()
    m = r.json()["messages"][0]
    assert m["channel"] == "viber" and m["status"] == "queued" and m["segments"] == 1 and m["encoding"] == "viber"
    assert m["price"]["amount"] == "0.90" and r.json()["total_price"]["amount"] == "0.90"
    v = m["viber"]
    assert v["type"] == "welcome" and v["eur_price"] == "0.0200" and v["rate"] == "45.000000"
    assert v["fallback"] == {"sender": "TestShop", "text": "Hi +380441234567", "message_id": None, "status": None,
                             "error_code": None}
    assert v["delivered_via"] is None and v["seen_at"] is None and v["button"] is None
    detail = vapi.get(f"/api/v1/messages/{m['id']}/").json()
    assert detail["viber"]["type"] == "welcome" and detail["channel"] == "viber"


def test_sms_messages_carry_their_channel_too(vapi):
    r = vapi.post("/api/v1/messages/", {"sender": "TestShop", "recipients": [KYIVSTAR], "text": "Hello"}, format="json")
    m = r.json()["messages"][0]
    assert m["channel"] == "sms" and "viber" not in m


def test_r_vib_02_api_refusal_is_400_json_with_every_reason(vapi):
    r = vapi.post("/api/v1/messages/", {**WELCOME, "text": "x" * 1001,
                                        "button": {"caption": "C" * 31, "url": "https://shop.example/"}},
                  format="json")
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "text_too_long"
    assert {x["code"] for x in body["refusals"]} >= {"text_too_long", "button_caption_too_long"}
    assert not Message.objects.exists()


def test_r_vib_04_api_refuses_the_new_recipient_only(vapi):
    r = vapi.post("/api/v1/messages/", {**WELCOME, "viber_type": "test", "text": "Test +380441234567"}, format="json")
    m = r.json()["messages"][0]
    assert r.status_code == 201 and m["status"] == "refused" and m["error_code"] == "welcome_required"
    assert m["price"]["amount"] == "0.00"


def test_viber_idempotency_key_sends_once(vapi):
    first = vapi.post("/api/v1/messages/", WELCOME, format="json", HTTP_IDEMPOTENCY_KEY="v-1")
    again = vapi.post("/api/v1/messages/", WELCOME, format="json", HTTP_IDEMPOTENCY_KEY="v-1")
    assert first.status_code == 201 and again.json() == first.json()
    assert Message.objects.filter(channel="viber").count() == 1


def test_r_vib_01_api_viber_not_enabled_is_403(api):
    r = api.post("/api/v1/messages/", WELCOME, format="json")
    assert r.status_code == 403 and r.json()["code"] in ("contract_required", "viber_not_enabled")
