"""Per-API-key rate limits: the default SMSPORTAL_API_RATE, a key's own limit set by staff, and
the 429 `rate_limited` answer with Retry-After, counted per key in the shared cache."""
import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.models import ApiKey
from accounts.services import api_key_create, api_key_rate_set

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _client(raw):
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return c


@override_settings(SMSPORTAL_API_RATE="3/m")
def test_over_the_default_rate_is_a_429_with_retry_after(api):
    for _ in range(3):
        assert api.get("/api/v1/balance/").status_code == 200
    r = api.get("/api/v1/balance/")
    assert r.status_code == 429
    assert r.json()["code"] == "rate_limited" and r.json()["detail"]
    assert 1 <= int(r["Retry-After"]) <= 60
    # another key of the same client has its own count
    _key, raw = api_key_create(client=api.account, name="second")
    assert _client(raw).get("/api/v1/balance/").status_code == 200


@override_settings(SMSPORTAL_API_RATE="2/m")
def test_a_keys_own_limit_set_by_staff_wins(api, client_account):
    key, raw = api_key_create(client=client_account, name="big")
    api_key_rate_set(key_id=key.pk, rate_limit="5/m")
    c = _client(raw)
    assert [c.get("/api/v1/balance/").status_code for _ in range(6)] == [200] * 5 + [429]
    assert [api.get("/api/v1/balance/").status_code for _ in range(3)] == [200, 200, 429]


@override_settings(SMSPORTAL_API_RATE="")
def test_an_empty_default_is_no_limit(api):
    assert {api.get("/api/v1/balance/").status_code for _ in range(30)} == {200}


def test_a_bad_rate_is_refused_by_the_service(client_account):
    key, _raw = api_key_create(client=client_account, name="k")
    with pytest.raises(ValidationError):
        api_key_rate_set(key_id=key.pk, rate_limit="lots")
    assert ApiKey.objects.get(pk=key.pk).rate_limit == ""


def test_staff_set_a_keys_limit_in_admin(admin_client, client_account):
    key, _raw = api_key_create(client=client_account, name="k")
    url = f"/admin/accounts/apikey/{key.pk}/change/"
    assert admin_client.get(url).status_code == 200
    r = admin_client.post(url, {"rate_limit": "100/s"})
    assert r.status_code == 302, r.content[:2000]
    assert ApiKey.objects.get(pk=key.pk).rate_limit == "100/s"
    bad = admin_client.post(url, {"rate_limit": "fast"})
    assert bad.status_code == 200 and ApiKey.objects.get(pk=key.pk).rate_limit == "100/s"


def test_rate_limits_are_documented_in_the_schema(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    assert "rate_limited" in schema["info"]["description"] and "Retry-After" in schema["info"]["description"]
