"""Sign-up and phone flows as a visitor goes through them (R-ACC-01, 02, 05): every wrong turn is a
clear message, never a dead end or a 500."""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from accounts.models import AccountsSettings, AuditEvent, User
from messaging.models import Message
from tests.factories import make_client

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-Pass-2026"
KYIV = ZoneInfo("Europe/Kyiv")


@pytest.fixture(autouse=True)
def fresh_cache(route):
    cache.clear()
    yield
    cache.clear()


def signup(client, *, email="owner@kvitka.example", phone="067 111 22 33", tax_code="14360570", company="Kvitka LLC"):
    return client.post(reverse("account_signup"), {
        "company": company, "tax_code": tax_code, "email": email, "phone": phone,
        "password1": PASSWORD, "password2": PASSWORD, "accept_offer": "on"})


def code_sent_to(phone) -> str:
    text = Message.objects.filter(recipient=phone).latest("created_at").text
    return re.search(r"\b(\d{6})\b", text).group(1)


def existing(phone="+380501112233", tax_code="21673832", email="first@example.com"):
    account = make_client(name="First LLC", email=email)
    owner = account.users.get()
    owner.phone, owner.phone_verified = phone, True
    owner.save()
    account.tax_code = tax_code
    account.save(update_fields=["tax_code"])
    return account


def test_r_acc_02_duplicate_email_is_a_clear_error_not_a_code_that_never_comes(client):
    existing()
    r = signup(client, email="first@example.com")
    assert r.status_code == 200
    assert "An account with this email already exists" in " ".join(r.context["form"].errors["email"])
    assert not Message.objects.exists()  # no SMS and no "code sent" page
    assert User.objects.filter(email="first@example.com").count() == 1


def test_r_acc_02_verifying_another_accounts_phone_sends_no_code_and_tells_its_owner(client):
    existing()
    assert signup(client).status_code == 302
    r = client.post(reverse("account_verify_phone"), {"action": "change", "phone": "050 111 22 33"})
    assert r.status_code in (200, 302)
    texts = list(Message.objects.filter(recipient="+380501112233").values_list("text", flat=True))
    assert len(texts) == 1 and "already belongs to an account" in texts[0] and not re.search(r"\d{6}", texts[0])
    user = User.objects.get(email="owner@kvitka.example")
    assert user.phone == "+380671112233" and not user.phone_verified


def test_r_acc_02_phone_changed_to_a_shared_one_is_flagged_when_staff_allow_it(client):
    existing()
    AccountsSettings.objects.create(duplicate_signups="flag")
    signup(client)
    assert not User.objects.get(email="owner@kvitka.example").client.review_flag
    client.post(reverse("account_verify_phone"), {"action": "change", "phone": "050 111 22 33"})
    client.post(reverse("account_verify_phone"), {"code": code_sent_to("+380501112233")})
    user = User.objects.get(email="owner@kvitka.example")
    assert user.phone == "+380501112233" and user.phone_verified
    assert "+380501112233 is the primary phone of another account" in user.client.review_flag
    assert AuditEvent.objects.filter(code="accounts.client.flagged_duplicate", client=user.client).exists()


def test_r_acc_01_a_visitor_signs_up_verifies_the_phone_and_the_email(client, mailoutbox):
    r = signup(client)
    assert r["Location"] == reverse("account_verify_phone")
    page = client.get(r["Location"]).content.decode()
    assert "We’ve sent a 6-digit code by SMS to" in page and "+380671112233" in page
    sms = Message.objects.get(recipient="+380671112233")
    assert sms.client.is_system and sms.price.amount == 0 and sms.sender == "smsportal" and sms.route_id
    r = client.post(reverse("account_verify_phone"), {"code": "12"})
    assert r.status_code == 200 and "Incorrect code" in r.content.decode()
    r = client.post(reverse("account_verify_phone"), {"code": code_sent_to("+380671112233")})
    assert r["Location"] == reverse("account_email_verification_sent")
    link = re.search(r"http://testserver(/accounts/confirm-email/[^\s]+/)", mailoutbox[-1].body).group(1)
    assert client.get(link).status_code == 200
    r = client.post(link)
    assert r.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


def confirm_current_phone(client, phone="+380671112233"):
    """R-ACC-05: the phone change first asks for a code sent to the current primary phone."""
    r = client.get(reverse("account_change_phone"))
    assert r.status_code == 302 and r["Location"] == reverse("account_change_phone_confirm")
    assert client.get(r["Location"]).status_code == 200
    r = client.post(reverse("account_change_phone_confirm"), {"code": code_sent_to(phone)})
    assert r.status_code == 302 and r["Location"] == reverse("account_change_phone")


def test_r_acc_05_changing_the_primary_phone_asks_for_the_password_again(client, client_account):
    owner = client_account.users.get()
    owner.phone, owner.phone_verified = "+380671112233", True
    owner.save()
    start = datetime(2026, 3, 4, 10, 0, tzinfo=KYIV)
    with time_machine.travel(start, tick=False):
        client.post(reverse("account_login"), {"login": owner.email, "password": "pass-word-123"})
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        confirm_current_phone(client)
        assert client.get(reverse("account_change_phone")).status_code == 200
        r = client.post(reverse("account_change_phone"), {"phone": "050 999 88 77"})
        assert r.status_code == 302 and r["Location"].startswith(reverse("account_reauthenticate"))
        assert not Message.objects.filter(recipient="+380509998877").exists()
        r = client.post(reverse("account_reauthenticate"), {"password": "pass-word-123"})
        assert r.status_code == 302
        r = client.post(reverse("account_change_phone"), {"phone": "050 999 88 77"})
        assert r.status_code == 302 and Message.objects.filter(recipient="+380509998877").exists()
    owner.refresh_from_db()
    assert owner.phone_verified  # the old phone stays primary until the new one is verified


def test_r_acc_05_reset_code_limit_does_not_tell_whether_a_phone_has_an_account(client):
    existing()
    answers = {}
    for phone in ("+380501112233", "+380509990000"):  # with an account, without one
        for _ in range(3):
            assert client.post(reverse("account_reset_password_phone"), {"phone": phone}).status_code == 302
        r = client.post(reverse("account_reset_password_phone"), {"phone": phone})
        answers[phone] = (r.status_code, "Too many codes" in r.content.decode())
    assert answers["+380501112233"] == answers["+380509990000"] == (400, True)
    assert Message.objects.filter(recipient="+380501112233").count() == 3
    assert not Message.objects.filter(recipient="+380509990000").exists()


def test_r_acc_05_password_change_and_reset_are_told_to_the_primary_phone(client, client_account, mailoutbox,
                                                                          django_capture_on_commit_callbacks):
    owner = client_account.users.get()
    owner.phone, owner.phone_verified = "+380671112233", True
    owner.save()
    client.force_login(owner)
    r = client.post(reverse("account_change_password"), {"oldpassword": "pass-word-123", "password1": "new-Pass-2027!",
                                                         "password2": "new-Pass-2027!"})
    assert r.status_code == 302
    texts = list(Message.objects.filter(recipient="+380671112233").values_list("text", flat=True))
    assert len(texts) == 1 and "password of your login was changed" in texts[0]
    client.post(reverse("account_logout"))
    client.post(reverse("account_reset_password_phone"), {"phone": "+380671112233"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password_phone_code"), {
            "code": code_sent_to("+380671112233"), "password1": "third-Pass-2028!", "password2": "third-Pass-2028!"})
    assert "password was reset" in Message.objects.filter(recipient="+380671112233").latest("created_at").text


def test_r_acc_05_the_company_page_links_to_changing_the_phone(web):
    owner = web.account.users.get()
    owner.phone, owner.phone_verified = "+380671112233", True
    owner.save()
    html = web.get(reverse("account_profile")).content.decode()
    assert reverse("account_change_phone") in html and "Change my phone" in html
    confirm_current_phone(web)
    page = web.get(reverse("account_change_phone")).content.decode()
    assert "+380671112233" in page and "Send the code" in page and 'class="topbar' in page
