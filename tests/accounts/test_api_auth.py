"""Bearer API keys (R-ACC-04 basics): 401 without or with a bad key, revoked keys stop working."""
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey
from accounts.services import api_key_create, api_key_revoke
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def test_no_key_is_401_json():
    r = APIClient().get("/api/v1/balance/")
    assert r.status_code == 401
    assert r.json()["code"] == "not_authenticated"
    assert r["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer nope", "Bearer sp_deadbeef_xxx", "Bearer a b", "Token sp_x"])
def test_bad_key_is_401_json(header):
    r = APIClient().get("/api/v1/balance/", HTTP_AUTHORIZATION=header)
    assert r.status_code == 401
    assert r.json()["code"] in {"authentication_failed", "not_authenticated"}


def test_r_acc_04_key_stored_hashed_shown_once_and_revocable():
    client = make_client(balance=5)
    key, raw = api_key_create(client=client, name="shop backend")
    stored = ApiKey.objects.get(pk=key.pk)
    assert raw not in (stored.key_hash, stored.prefix) and raw.startswith(f"sp_{stored.prefix}_")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    r = api.get("/api/v1/balance/")
    assert r.status_code == 200
    assert r.json()["balance"] == {"amount": "5.00", "currency": "UAH"}
    assert ApiKey.objects.get(pk=key.pk).last_used_at is not None
    api_key_revoke(client=client, key_id=key.pk)
    assert api.get("/api/v1/balance/").status_code == 401


def test_blocked_client_cannot_send_403(api):
    client = api.account
    client.status = client.Status.BLOCKED
    client.status_reason = "spam complaints"
    client.save()
    r = api.post("/api/v1/messages/", {"sender": "TestShop", "recipients": ["+380671234567"], "text": "x"},
                 format="json")
    assert r.status_code == 403
    assert r.json()["code"] == "account_blocked"
    assert "spam complaints" in r.json()["detail"]


def test_r_acc_07_dormant_clients_blocked_after_three_years(tariff):
    import time_machine

    from accounts.models import Client
    from lifecycle.services import clients_block_dormant

    with time_machine.travel("2022-01-10 12:00 +0200"):
        sleeping = make_client(name="Sleepy", balance=10)
        busy = make_client(name="Busy", balance=10)
    with time_machine.travel("2024-06-01 12:00 +0300"):
        from billing.services import wallet_charge
        from django.db import transaction

        with transaction.atomic():
            wallet_charge(client=busy, amount=1, key="spend", description="spend")
    with time_machine.travel("2025-01-11 12:00 +0200"):
        assert clients_block_dormant() == 1
    assert Client.objects.get(pk=sleeping.pk).status == Client.Status.DORMANT
    assert Client.objects.get(pk=busy.pk).status == Client.Status.ACTIVE
    assert timezone.now().year >= 2026
