"""The send API: contract, errors, one hold per send, tenant isolation."""
from decimal import Decimal

import pytest

from billing.models import LedgerEntry
from messaging.models import Message
from messaging.status import Status
from tests.factories import SenderNameFactory, make_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/messages/"


def send(api, **body):
    payload = {"sender": "TestShop", "recipients": ["+380671234567"], "text": "Hello"} | body
    return api.post(URL, payload, format="json")


def test_send_single_returns_contract_and_holds_once(api):
    r = send(api)
    assert r.status_code == 201, r.content
    body = r.json()
    [m] = body["messages"]
    assert m["recipient"] == "+380671234567"
    assert m["status"] == "queued"
    assert m["segments"] == 1 and m["encoding"] == "gsm7"
    assert m["price"] == {"amount": "0.85", "currency": "UAH"}
    assert body["total_price"] == {"amount": "0.85", "currency": "UAH"}
    api.account.wallet.refresh_from_db()
    wallet = api.account.wallet
    # Reserved at accept, spent when it reaches the operator (R-BILL-14).
    assert (wallet.balance.amount, wallet.held.amount, wallet.available.amount) == (100, Decimal("0.85"),
                                                                                   Decimal("99.15"))
    assert LedgerEntry.objects.filter(wallet=wallet, kind="hold").count() == 1
    assert not LedgerEntry.objects.filter(wallet=wallet, kind="charge").exists()


@pytest.mark.parametrize(("text", "parts", "encoding"), [
    ("A" * 160, 1, "gsm7"), ("A" * 161, 2, "gsm7"), ("A" * 305, 2, "gsm7"), ("A" * 306, 3, "gsm7"),
    ("Я" * 70, 1, "ucs2"), ("Я" * 71, 2, "ucs2"), ("Я" * 133, 2, "ucs2"), ("Я" * 134, 3, "ucs2"),
])
def test_r_msg_02_api_reports_parts_and_prices_them(api, text, parts, encoding):
    r = send(api, text=text)
    assert r.status_code == 201
    m = r.json()["messages"][0]
    assert (m["segments"], m["encoding"]) == (parts, encoding)
    assert Decimal(m["price"]["amount"]) == Decimal("0.85") * parts


def test_local_forms_normalized_and_duplicates_dropped(api):
    r = send(api, recipients=["0671234567", "380671234567", "+38 (067) 123-45-67", "050 123 45 67"])
    assert r.status_code == 201
    assert [m["recipient"] for m in r.json()["messages"]] == ["+380671234567", "+380501234567"]
    assert r.json()["total_price"]["amount"] == "1.70"


def test_bad_phone_is_400_with_code_and_nothing_stored(api):
    r = send(api, recipients=["+380671234567", "not a phone"])
    assert r.status_code == 400
    assert r.json()["code"] == "invalid_recipient"
    assert "not a phone" in r.json()["detail"]
    assert Message.objects.count() == 0
    assert not LedgerEntry.objects.filter(kind__in=["charge", "hold"]).exists()


@pytest.mark.parametrize(("body", "code"), [
    ({"text": ""}, "invalid"),
    ({"text": "   "}, "invalid_text"),
    ({"recipients": []}, "invalid"),
    ({"recipients": "+380671234567"}, "invalid"),
    ({"sender": "Unknown"}, "sender_not_approved"),
    ({"text": "A" * 1522}, "text_too_long"),
])
def test_invalid_input_gets_json_error(api, body, code):
    r = send(api, **body)
    assert r.status_code == 400, r.content
    assert r.json()["code"] == code
    assert r.json()["detail"]
    assert Message.objects.count() == 0


def test_non_json_body_is_a_clear_error(api):
    r = api.post(URL, "sender=x", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 415
    assert r.json()["code"] == "unsupported_media_type"
    r = api.post(URL, "{broken", content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "parse_error"


def test_r_bill_14_insufficient_funds_is_402_and_nothing_stored(api):
    recipients = [f"+38067{i:07d}" for i in range(1000, 1010)]
    r = send(api, recipients=recipients, text="Я" * 660)  # 10 parts × 10 recipients × 0.85 = 85 UAH
    assert r.status_code == 201
    r = send(api, recipients=recipients, text="Я" * 660)  # 85 more: only 15 left
    assert r.status_code == 402
    assert r.json()["code"] == "insufficient_funds"
    assert Message.objects.count() == 10
    api.account.wallet.refresh_from_db()
    assert api.account.wallet.available.amount == Decimal("15.00")


def test_sender_of_another_client_cannot_be_used(api):
    other = make_client(name="Other LLC", balance=10)
    SenderNameFactory(client=other, name="OtherShop", approved=True)
    r = send(api, sender="OtherShop")
    assert r.status_code == 400 and r.json()["code"] == "sender_not_approved"


def test_pending_sender_cannot_send(api):
    SenderNameFactory(client=api.account, name="NewName")
    r = send(api, sender="NewName")
    assert r.status_code == 400 and r.json()["code"] == "sender_not_approved"


def test_idempotency_key_sends_and_holds_once(api):
    r1 = api.post(URL, {"sender": "TestShop", "recipients": ["+380671234567"], "text": "Hi"}, format="json",
                  HTTP_IDEMPOTENCY_KEY="order-42")
    r2 = api.post(URL, {"sender": "TestShop", "recipients": ["+380671234567"], "text": "Hi"}, format="json",
                  HTTP_IDEMPOTENCY_KEY="order-42")
    assert (r1.status_code, r2.status_code) == (201, 201)  # the repeat gets the first answer
    assert r1.json()["messages"][0]["id"] == r2.json()["messages"][0]["id"]
    assert Message.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="hold").count() == 1


def test_message_detail_and_tenant_isolation(api):
    mid = send(api).json()["messages"][0]["id"]
    r = api.get(f"{URL}{mid}/")
    assert r.status_code == 200 and r.json()["id"] == mid and r.json()["status"] == "queued"

    other = make_client(name="Other LLC", balance=10)
    from accounts.services import api_key_create
    from rest_framework.test import APIClient

    _k, raw = api_key_create(client=other, name="x")
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    r = stranger.get(f"{URL}{mid}/")
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_unknown_and_malformed_message_ids_are_json_404(api):
    for mid in ["00000000-0000-0000-0000-000000000000", "not-a-uuid"]:
        r = api.get(f"{URL}{mid}/")
        assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = api.get("/api/v1/nothing-here/")
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_bulk_send_is_scheduled_for_the_minute_job(api, settings):
    settings.SMSPORTAL_BULK_THRESHOLD = 2
    r = send(api, recipients=["+380671234561", "+380671234562", "+380671234563"])
    assert r.status_code == 201
    assert {m["status"] for m in r.json()["messages"]} == {Status.SCHEDULED}
