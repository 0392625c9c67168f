"""Billing API: balance, transactions, invoices, prices (R-BILL-01, R-BILL-02, R-BILL-04, R-BILL-07)."""
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from billing.services import wallet_charge, wallet_hold, wallet_overdraft_set, wallet_penalty, wallet_topup
from tests.billing.factories import kyiv, stepped_tariff
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def test_r_bill_01_balance_keeps_its_shape_and_adds_held_bonus_overdraft_available(api):
    body = api.get("/api/v1/balance/").json()
    assert body["balance"] == {"amount": "100.00", "currency": "UAH"}  # integrators rely on this exact shape
    assert body["held"] == {"amount": "0.00", "currency": "UAH"}
    assert body["bonus"] == {"amount": "0.00", "currency": "UAH"}
    assert body["available"] == {"amount": "100.00", "currency": "UAH"}
    assert body["overdraft"] == {"limit": {"amount": "0.00", "currency": "UAH"},
                                 "used": {"amount": "0.00", "currency": "UAH"}, "due": None, "overdue": False}
    assert body["grace_period"] is None
    wallet_hold(client=api.account, amount=Decimal("30.5"), key="h", description="campaign")
    wallet_overdraft_set(client=api.account, limit=Decimal("50"), reason="approved")
    wallet_penalty(client=api.account, reason="spam", key="p", amount=Decimal("120"))
    body = api.get("/api/v1/balance/").json()
    assert body["balance"]["amount"] == "-20.00" and body["held"]["amount"] == "30.50"
    assert body["available"]["amount"] == "-0.50"
    assert body["overdraft"]["used"]["amount"] == "20.00" and body["overdraft"]["due"] is not None


def test_r_bill_04_balance_shows_the_active_grace_period(api):
    stepped_tariff(valid_from=timezone.now() - timedelta(days=1))
    wallet_topup(client=api.account, amount=Decimal("5000"), key="big")
    grace = api.get("/api/v1/balance/").json()["grace_period"]
    assert grace["step"] == 3 and grace["price_per_segment"] == {"amount": "0.80", "currency": "UAH"}
    assert grace["regular_price_per_segment"]["amount"] == "1.00"
    assert grace["valid_through"] == (timezone.localdate() + timedelta(days=30)).isoformat()


def test_r_bill_01_transactions_are_paged_and_filterable(api):
    client = api.account
    with time_machine.travel(kyiv("2026-03-01 12:00"), tick=False):
        wallet_topup(client=client, amount=Decimal("10"), key="march")
    for i in range(3):
        with transaction.atomic():
            wallet_charge(client=client, amount=Decimal("0.85"), key=f"c{i}", description=f"SMS {i}")
    r = api.get("/api/v1/transactions/", {"page_size": 2})
    body = r.json()
    assert r.status_code == 200 and body["count"] == 5 and body["pages"] == 3 and len(body["results"]) == 2
    assert body["next"].endswith("page=2") and body["previous"] is None
    first = body["results"][0]
    assert first["kind"] == "charge" and first["amount"] == {"amount": "-0.85", "currency": "UAH"}
    assert set(first) == {"id", "created_at", "kind", "amount", "bonus_part", "held_change", "balance_after",
                          "description"}
    assert api.get("/api/v1/transactions/", {"kind": "topup"}).json()["count"] == 2
    assert api.get("/api/v1/transactions/", {"kind": "topup,charge"}).json()["count"] == 5
    march = api.get("/api/v1/transactions/", {"date_from": "2026-03-01", "date_to": "2026-03-01"}).json()
    assert march["count"] == 1 and march["results"][0]["amount"]["amount"] == "10.00"
    for bad in [{"kind": "gift"}, {"date_from": "yesterday"}, {"page_size": 500},
                {"date_from": "2026-03-02", "date_to": "2026-03-01"}]:
        r = api.get("/api/v1/transactions/", bad)
        assert r.status_code == 400 and r.json()["code"] == "invalid", bad
    r = api.get("/api/v1/transactions/", {"page": 9})
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_transactions_are_isolated_per_client(api):
    other = make_client(name="Other", balance=77)
    ids = {e["id"] for e in api.get("/api/v1/transactions/").json()["results"]}
    assert not ids & {str(e.public_id) for e in other.wallet.entries.all()}


def test_r_bill_02_invoices_api_create_list_get(api):
    r = api.post("/api/v1/invoices/", {"amount": 1500}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["number"].startswith("SP-") and body["amount"] == {"amount": "1500.00", "currency": "UAH"}
    assert body["status"] == "issued" and body["url"].startswith("http://testserver/billing/invoices/")
    assert api.get("/api/v1/invoices/").json()["invoices"][0]["number"] == body["number"]
    assert api.get(f"/api/v1/invoices/{body['number']}/").json()["id"] == body["id"]
    r = api.get("/api/v1/invoices/SP-2000-000001/")
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_r_bill_03_invoice_api_refuses_kopecks_as_json(api):
    r = api.post("/api/v1/invoices/", {"amount": "10.50"}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "invalid_amount"
    r = api.post("/api/v1/invoices/", {"amount": 0}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "invalid"
    r = api.post("/api/v1/invoices/", {}, format="json")
    assert r.status_code == 400 and "amount" in r.json()["detail"]


def test_r_bill_07_prices_api_lists_the_clients_prices(api):
    stepped_tariff(valid_from=timezone.now() - timedelta(days=1))
    body = api.get("/api/v1/prices/").json()
    assert body["price_list"]["name"] == "Test prices" and body["upcoming"] is None
    ua = [row for row in body["sms"] if row["country"] == "UA"]
    assert ua == [{"country": "UA", "operator": None, "message_type": None, "sender_class": None,
                   "regular": {"amount": "1.00", "currency": "UAH"}, "price": {"amount": "1.00", "currency": "UAH"},
                   "step": 1}]
    assert [s["step"] for s in body["steps"]] == [1, 2, 3]
    assert body["steps"][0]["to"] == {"amount": "999.00", "currency": "UAH"} and body["steps"][2]["to"] is None
    wallet_topup(client=api.account, amount=Decimal("1000"), key="step2")
    body = api.get("/api/v1/prices/").json()
    ua = [row for row in body["sms"] if row["country"] == "UA"][0]
    assert ua["price"]["amount"] == "0.90" and ua["step"] == 2 and body["grace_period"]["step"] == 2
    assert body["viber_rate"] is None


def test_billing_endpoints_need_a_key_and_answer_json():
    from rest_framework.test import APIClient

    for url in ["/api/v1/balance/", "/api/v1/transactions/", "/api/v1/invoices/", "/api/v1/prices/"]:
        r = APIClient().get(url)
        assert r.status_code == 401 and set(r.json()) == {"code", "detail"}, url


def test_schema_describes_billing_endpoints(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    assert {"/api/v1/balance/", "/api/v1/transactions/", "/api/v1/invoices/", "/api/v1/prices/",
            "/api/v1/payments/callback/"} <= set(schema["paths"])
    assert not schema["paths"]["/api/v1/payments/callback/"]["post"].get("security")  # signed, no API key
    assert schema["paths"]["/api/v1/balance/"]["get"]["security"] == [{"ApiKey": []}]
