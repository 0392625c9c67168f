"""Login lockout (R-ACC-03) and API keys: regenerate, last use, IP allow-list (R-ACC-04)."""
import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiKey, AuditEvent
from accounts.services import (api_key_authenticate, api_key_create, api_key_ips_set, api_key_regenerate,
                               api_key_revoke)
from smsportal.errors import ApplicationError
from tests.factories import UserFactory, make_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def login(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_r_acc_03_three_wrong_passwords_in_a_row_lock_the_login(client, client_account):
    email = client_account.users.first().email
    for _ in range(2):
        r = login(client, email, "wrong")
        assert r.status_code == 200 and "locked" not in r.content.decode()
    r = login(client, email, "wrong")
    html = r.content.decode()
    assert "locked for a while" in html and "unlocks by itself at" in html  # said at the third wrong password
    r = login(client, email, "pass-word-123")  # even the right password is refused while locked
    assert r.status_code == 200 and "locked for a while" in r.content.decode()
    assert client.get(reverse("dashboard")).status_code == 302


def test_r_acc_03_lock_is_temporary(client, client_account):
    email = client_account.users.first().email
    with time_machine.travel("2026-03-04 10:00 +0200", tick=False):
        for _ in range(3):
            login(client, email, "wrong")
        assert "unlocks by itself at 10:15" in login(client, email, "pass-word-123").content.decode()
    with time_machine.travel("2026-03-04 10:16 +0200", tick=False):
        r = login(client, email, "pass-word-123")
        assert r.status_code == 302


def test_r_acc_03_a_correct_password_resets_the_run(client, client_account):
    email = client_account.users.first().email
    login(client, email, "wrong")
    login(client, email, "wrong")
    assert login(client, email, "pass-word-123").status_code == 302
    client.post(reverse("account_logout"))
    login(client, email, "wrong")
    login(client, email, "wrong")
    assert login(client, email, "pass-word-123").status_code == 302  # not three in a row


def test_r_acc_03_admin_login_goes_through_the_same_lockout(client):
    staff = UserFactory(email="staff@example.com", is_staff=True)
    r = client.get("/admin/login/")
    assert r.status_code == 302 and r["Location"].startswith(reverse("account_login"))
    for _ in range(3):
        login(client, staff.email, "wrong")
    assert "locked for a while" in login(client, staff.email, "pass-word-123").content.decode()


def test_r_acc_03_lock_is_per_login(client, client_account):
    other = make_client(name="Other", email="other@example.com")
    for _ in range(3):
        login(client, client_account.users.first().email, "wrong")
    assert login(client, other.users.first().email, "pass-word-123").status_code == 302


# ---- API keys -------------------------------------------------------------------------------

def test_r_acc_04_regenerate_replaces_a_compromised_key():
    client = make_client()
    key, raw = api_key_create(client=client, name="shop", allowed_ips="203.0.113.0/24")
    new, new_raw = api_key_regenerate(client=client, key_id=key.pk)
    assert api_key_authenticate(raw) is None
    assert api_key_authenticate(new_raw).pk == new.pk
    assert new.name == "shop" and new.allowed_ips == "203.0.113.0/24" and new.prefix != key.prefix
    assert AuditEvent.objects.filter(code="accounts.api_key.regenerated", target=key.prefix).exists()
    with pytest.raises(ApplicationError):
        api_key_regenerate(client=client, key_id=key.pk)  # the revoked one cannot be regenerated again


def test_r_acc_04_several_named_keys_and_last_use():
    client = make_client(balance=1)
    k1, raw1 = api_key_create(client=client, name="shop")
    k2, _ = api_key_create(client=client, name="crm")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw1}")
    assert api.get("/api/v1/balance/").status_code == 200
    assert ApiKey.objects.get(pk=k1.pk).last_used_at is not None
    assert ApiKey.objects.get(pk=k2.pk).last_used_at is None
    api_key_revoke(client=client, key_id=k1.pk)
    assert api.get("/api/v1/balance/").status_code == 401


@pytest.mark.parametrize("allowed,ip,ok", [
    ("", "198.51.100.1", True), ("203.0.113.7", "203.0.113.7", True), ("203.0.113.7", "203.0.113.8", False),
    ("203.0.113.0/24\n198.51.100.9", "198.51.100.9", True), ("2001:db8::/32", "2001:db8::1", True),
    ("203.0.113.0/24", "2001:db8::1", False),
])
def test_r_acc_04_ip_allow_list(allowed, ip, ok):
    client = make_client(balance=1)
    key, raw = api_key_create(client=client, name="shop", allowed_ips=allowed)
    api = APIClient(REMOTE_ADDR=ip)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    r = api.get("/api/v1/balance/")
    if ok:
        assert r.status_code == 200
    else:
        assert r.status_code == 403 and r.json()["code"] == "ip_not_allowed" and ip in r.json()["detail"]
        assert ApiKey.objects.get(pk=key.pk).last_used_at is None


def test_r_acc_04_bad_ip_refused():
    client = make_client()
    with pytest.raises(ApplicationError) as exc:
        api_key_create(client=client, name="x", allowed_ips="300.1.1.1")
    assert exc.value.code == "invalid_ip"
    key, _ = api_key_create(client=client, name="x")
    assert api_key_ips_set(client=client, key_id=key.pk, allowed_ips="10.0.0.1, 10.0.1.0/24").allowed_ips == \
        "10.0.0.1/32\n10.0.1.0/24"


def test_r_acc_04_website_regenerate_and_ips(web):
    key, raw = api_key_create(client=web.account, name="backend")
    r = web.post(reverse("api_key_regenerate", args=[key.prefix]), follow=True)
    html = r.content.decode()
    assert "replaced" in html and "won’t be shown again" in html
    assert api_key_authenticate(raw) is None
    new = ApiKey.objects.get(client=web.account, revoked_at__isnull=True)
    r = web.post(reverse("api_key_ips", args=[new.prefix]), {"allowed_ips": "203.0.113.5"}, follow=True)
    assert "Allowed addresses" in r.content.decode()
    new.refresh_from_db()
    assert new.allowed_ips == "203.0.113.5/32"
    r = web.post(reverse("api_key_list"), {"name": "x", "allowed_ips": "nope"})
    assert r.status_code == 400 and "not an IP address" in r.content.decode()


def test_viewer_cannot_manage_api_keys(client, client_account):
    viewer = UserFactory(client=client_account, role="viewer")
    client.force_login(viewer)
    assert client.get(reverse("api_key_list")).status_code == 403
