"""R-ACC-05: the primary phone changes only with a code sent to the current primary phone."""
import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.models import AuditEvent
from tests.accounts.test_signup import last_code

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache(route):
    cache.clear()
    yield
    cache.clear()


def test_r_acc_05_phone_change_needs_a_code_sent_to_the_current_phone(web):
    owner = web.account.users.get()
    owner.phone, owner.phone_verified = "+380671112233", True
    owner.save()
    r = web.get(reverse("account_change_phone"))
    assert r.status_code == 302 and r["Location"] == reverse("account_change_phone_confirm")
    page = web.get(r["Location"]).content.decode()
    assert "+38067…33" in page
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    r = web.post(reverse("account_change_phone_confirm"), {"code": wrong})
    assert r.status_code == 400 and "Wrong code" in r.content.decode()
    assert web.get(reverse("account_change_phone")).status_code == 302  # still locked
    r = web.post(reverse("account_change_phone_confirm"), {"code": code})
    assert r.status_code == 302 and r["Location"] == reverse("account_change_phone")
    assert web.get(reverse("account_change_phone")).status_code == 200
    assert AuditEvent.objects.filter(code="accounts.phone_change.confirmed").exists()
    # the code is used once
    r = web.post(reverse("account_change_phone_confirm"), {"code": code})
    assert r.status_code == 400


def test_r_acc_05_a_login_without_a_verified_phone_sets_one_directly(web):
    owner = web.account.users.get()
    owner.phone, owner.phone_verified = "", False
    owner.save()
    assert web.get(reverse("account_change_phone")).status_code == 200
