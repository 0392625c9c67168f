"""R-ACC-05 (with T 6.2): TOTP is optional for clients and required for staff, also on the admin's
own login page."""
import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _totp(user):
    from allauth.mfa.totp.internal.auth import (TOTP, format_hotp_value, generate_totp_secret, hotp_value,
                                                yield_hotp_counters_from_time)

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return lambda: format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def test_r_acc_05_staff_without_totp_cannot_open_the_admin_after_logging_in_there(client):
    staff = UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)
    r = client.get("/admin/login/?next=/admin/")
    assert r.status_code == 302 and r["Location"].startswith(reverse("account_login"))
    r = client.post(r["Location"], {"login": staff.email, "password": "pass-word-123"})
    assert r.status_code == 302 and r["Location"] == "/admin/"  # where the admin asked to go, but:
    for url in ("/admin/", "/admin/accounts/client/", "/admin/senders/sendername/"):
        r = client.get(url)
        assert r.status_code == 302 and r["Location"] == reverse("mfa_activate_totp"), url
    page = client.get(reverse("mfa_activate_totp")).content.decode()
    assert "authenticator" in page.lower()


def test_r_acc_05_staff_with_totp_must_give_the_code_before_the_admin(client):
    staff = UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)
    code = _totp(staff)
    r = client.post(reverse("account_login") + "?next=/admin/", {"login": staff.email, "password": "pass-word-123"})
    assert r["Location"] == reverse("mfa_authenticate")
    r = client.get("/admin/")
    assert r.status_code == 302 and "/login/" in r["Location"]  # not logged in until the code
    r = client.post(reverse("mfa_authenticate"), {"code": "000000" if code() != "000000" else "111111"})
    assert r.status_code == 200 and client.get("/admin/").status_code == 302
    r = client.post(reverse("mfa_authenticate"), {"code": code()})
    assert r.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_r_acc_05_admin_login_wrong_passwords_lock_it_temporarily(client):
    staff = UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)
    login_url = client.get("/admin/login/?next=/admin/")["Location"]
    for _ in range(3):
        client.post(login_url, {"login": staff.email, "password": "wrong"})
    r = client.post(login_url, {"login": staff.email, "password": "pass-word-123"})
    html = r.content.decode()
    assert r.status_code == 200 and "locked for a while" in html and "unlocks by itself" in html
    assert client.get("/admin/").status_code == 302
