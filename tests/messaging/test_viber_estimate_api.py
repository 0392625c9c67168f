"""POST /api/v1/messages/estimate/ with "channel": "viber": viber_estimate's figures (R-BILL-08,
R-VIB-04), and the SMS answer unchanged."""
# ruff: noqa: F811 (the `viber_client` fixture is imported, then named by the tests)
import pytest

from messaging.models import Message
from tests.messaging.viber_fixtures import KYIVSTAR, VODAFONE, consent, viber_client  # noqa: F401

pytestmark = pytest.mark.django_db
URL = "/api/v1/messages/estimate/"


def test_r_bill_08_viber_estimate_prices_in_eur_at_the_days_rate(api, viber_client):
    r = api.post(URL, {"channel": "viber", "sender": "ViberShop", "viber_type": "welcome",
                       "text": "Welcome! +380441234567", "recipients": [KYIVSTAR, {"phone": VODAFONE}]}, format="json")
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["channel"] == "viber" and body["count"] == 2 and body["type"] == "service"
    assert body["unit_price"]["amount"] == "0.90" and body["total_price"]["amount"] == "1.80"
    assert body["eur_price"] == "0.0200" and body["rate"] == "45.000000" and body["rate_date"]
    assert not Message.objects.exists()


def test_r_vib_04_viber_estimate_counts_the_recipients_it_would_refuse(api, viber_client):
    consent(viber_client, KYIVSTAR)
    r = api.post(URL, {"channel": "viber", "sender": "ViberShop", "text": "ViberShop sale! +380441234567",
                       "recipients": [KYIVSTAR, VODAFONE]}, format="json")
    body = r.json()
    assert r.status_code == 200 and body["count"] == 0
    assert body["refused_by_reason"] == {"welcome_required": 1, "no_consent": 1}


def test_r_vib_02_viber_estimate_lists_the_message_refusals(api, viber_client):
    r = api.post(URL, {"channel": "viber", "sender": "ViberShop", "viber_type": "welcome",
                       "text": "x" * 1001 + " +380441234567", "recipients": [KYIVSTAR]}, format="json")
    assert r.status_code == 200 and r.json()["refusals"][0]["code"] == "text_too_long"


def test_viber_estimate_needs_a_sender_and_viber_enabled(api):
    r = api.post(URL, {"channel": "viber", "text": "Hi", "recipients": [KYIVSTAR]}, format="json")
    assert r.status_code == 400 and r.json()["code"]
    r = api.post(URL, {"channel": "viber", "sender": "ViberShop", "text": "Hi", "recipients": [KYIVSTAR]},
                 format="json")
    assert r.status_code == 403


def test_sms_estimate_answer_unchanged(api):
    r = api.post(URL, {"text": "Hello", "recipients": [KYIVSTAR]}, format="json")
    assert r.status_code == 200 and "channel" not in r.json() and r.json()["count"] == 1
