"""R-ACC-05: a password reset by the email link also goes through the primary phone: opening the
link sends a code by SMS, and the new password is set only with it."""
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from accounts.models import AuditEvent
from tests.accounts.test_signup import _verified_owner, last_code
from tests.factories import make_client

pytestmark = pytest.mark.django_db
NEW = "new-Pass-2027!"


@pytest.fixture(autouse=True)
def fresh_cache(route):
    cache.clear()
    yield
    cache.clear()


def _open_link(client, email):
    mail.outbox.clear()
    r = client.post(reverse("account_reset_password"), {"email": email})
    assert r.status_code == 302
    link = re.search(r"https?://[^/\s]+(/\S+)", mail.outbox[-1].body).group(1)
    r = client.get(link)
    if r.status_code == 302:
        r = client.get(r["Location"])
    return r


def test_r_acc_05_email_link_needs_the_code_sent_to_the_primary_phone(client):
    account = _verified_owner()
    user = account.users.get()
    page = _open_link(client, user.email)
    assert page.status_code == 200 and "+38067…33" in page.content.decode()
    url = page.wsgi_request.path
    code = last_code()
    r = client.post(url, {"password1": NEW, "password2": NEW, "phone_code": "000000" if code != "000000" else "111111"})
    assert r.status_code == 200 and "Wrong code" in r.content.decode()
    user.refresh_from_db()
    assert not user.check_password(NEW)
    r = client.post(url, {"password1": NEW, "password2": NEW})  # no code at all
    assert r.status_code == 200 and not user.check_password(NEW)
    r = client.post(url, {"password1": NEW, "password2": NEW, "phone_code": code})
    assert r.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert AuditEvent.objects.filter(code="accounts.password_reset.email_code_used").exists()


def test_r_acc_05_without_a_primary_phone_the_email_link_cannot_reset(client):
    account = make_client(name="No Phone LLC")
    user = account.users.get()
    user.phone, user.phone_verified = "", False
    user.save()
    page = _open_link(client, user.email)
    assert "no verified phone" in page.content.decode()
    r = client.post(page.wsgi_request.path, {"password1": NEW, "password2": NEW, "phone_code": "123456"})
    assert r.status_code == 200
    user.refresh_from_db()
    assert not user.check_password(NEW)
