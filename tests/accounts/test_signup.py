"""Phone-verified sign-up (R-ACC-01), one account per person (R-ACC-02), password reset through the
primary phone (R-ACC-05), MFA (optional for clients, required for staff), team roles."""
import re

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from accounts.models import AccountsSettings, AuditEvent, Client, PhoneCode, User
from messaging.models import Message
from tests.factories import UserFactory, make_client

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-Pass-2026"


@pytest.fixture(autouse=True)
def fresh_cache(route):
    """A clean rate-limit cache, and a route so system SMS can be queued."""
    cache.clear()
    yield
    cache.clear()


def signup(client, *, email="owner@kvitka.example", phone="067 111 22 33", tax_code="14360570", company="Kvitka LLC",
           follow=False):
    return client.post(reverse("account_signup"), {
        "company": company, "tax_code": tax_code, "email": email, "phone": phone,
        "password1": PASSWORD, "password2": PASSWORD, "accept_offer": "on"}, follow=follow)


def last_code(phone="+380671112233") -> str:
    text = Message.objects.filter(recipient=phone).latest("created_at").text
    return re.search(r"\b(\d{6})\b", text).group(1)


def verify(client, code):
    return client.post(reverse("account_verify_phone"), {"code": code})


# ---- R-ACC-01 ---------------------------------------------------------------------------------

def test_r_acc_01_signup_asks_for_phone_and_sends_a_real_sms_code(client, tariff):
    html = client.get(reverse("account_signup")).content.decode()
    assert 'name="phone"' in html and 'name="tax_code"' in html and "code by SMS" in html
    r = signup(client)
    assert r.status_code == 302 and r["Location"] == reverse("account_verify_phone")
    user = User.objects.get(email="owner@kvitka.example")
    assert user.phone == "+380671112233" and not user.phone_verified
    assert user.client.name == "Kvitka LLC" and user.client.tax_code == "14360570"
    assert user.client.legal_form == "legal_entity"
    sms = Message.objects.get(recipient="+380671112233")
    assert sms.client.is_system and sms.price.amount == 0 and sms.status == "queued"  # through the SMPP route
    page = client.get(reverse("account_verify_phone")).content.decode()
    assert "+380671112233" in page and "10 minutes" in page
    r = verify(client, last_code())
    user.refresh_from_db()
    assert user.phone_verified
    assert AuditEvent.objects.filter(code="accounts.phone.verified").exists()
    # then the email confirmation (allauth's mandatory email verification)
    assert r.status_code == 302 and r["Location"] == reverse("account_email_verification_sent")
    assert len(mail.outbox) == 1 and not EmailAddress.objects.get(user=user).verified
    assert client.get(reverse("dashboard")).status_code == 302


def test_r_acc_01_wrong_code_three_times_needs_a_new_code(client, tariff):
    signup(client)
    first = last_code()
    wrong = "000000" if first != "000000" else "111111"
    r = verify(client, wrong)
    assert r.status_code == 200 and "Incorrect code" in r.content.decode()
    verify(client, wrong)
    r = verify(client, wrong)
    assert r.status_code == 302 and r["Location"] == reverse("account_login")
    assert verify(client, first).status_code == 302  # the old code is gone: back to login
    assert not User.objects.get(email="owner@kvitka.example").phone_verified
    cache.clear()  # the per-phone send limit (1 per 30 s) is not what this test is about
    r = client.post(reverse("account_login"), {"login": "owner@kvitka.example", "password": PASSWORD})
    assert r["Location"] == reverse("account_verify_phone")
    second = last_code()
    assert Message.objects.filter(recipient="+380671112233").count() == 2
    verify(client, second)
    assert User.objects.get(email="owner@kvitka.example").phone_verified


def test_r_acc_01_code_expires_after_ten_minutes(client, tariff):
    with time_machine.travel("2026-03-04 10:00 +0200", tick=False):
        signup(client)
        code = last_code()
    with time_machine.travel("2026-03-04 10:11 +0200", tick=False):
        r = verify(client, code)
    assert r.status_code == 302 and r["Location"] == reverse("account_login")
    assert not User.objects.get(email="owner@kvitka.example").phone_verified


def test_r_acc_01_sending_codes_is_rate_limited(client, tariff):
    signup(client)
    r = client.post(reverse("account_verify_phone"), {"action": "resend"})
    assert r.status_code == 302
    assert Message.objects.filter(recipient="+380671112233").count() == 1  # 1 per 30 s per phone


@pytest.mark.parametrize("phone,error", [("12345", "mobile"), ("044 123 45 67", "mobile"), ("", "required")])
def test_r_acc_01_phone_must_be_a_ukrainian_mobile(client, phone, error):
    r = signup(client, phone=phone)
    assert r.status_code == 200 and "phone" in r.context["form"].errors
    assert not User.objects.exists()


def test_r_acc_01_tax_code_checked(client):
    r = signup(client, tax_code="14360571")
    assert "tax_code" in r.context["form"].errors and "check digit" in r.content.decode()


# ---- R-ACC-02 ---------------------------------------------------------------------------------

def _verified_owner(phone="+380671112233", tax_code="14360570"):
    client = make_client(name="First LLC")
    owner = client.users.get()
    owner.phone, owner.phone_verified = phone, True
    owner.save()
    Client.objects.filter(pk=client.pk).update(tax_code=tax_code)
    return client


def test_r_acc_02_second_signup_with_same_phone_refused(client):
    _verified_owner()
    r = signup(client, email="second@example.com", tax_code="21673832")
    assert r.status_code == 200
    assert "already exists" in " ".join(r.context["form"].errors["phone"])
    assert not User.objects.filter(email="second@example.com").exists()


def test_r_acc_02_second_signup_with_same_legal_code_refused(client):
    _verified_owner()
    r = signup(client, email="second@example.com", phone="050 999 88 77")
    assert "already exists" in " ".join(r.context["form"].errors["tax_code"])


def test_r_acc_02_staff_setting_allows_it_flagged_and_linked(client, tariff, staff_browser):
    first = _verified_owner()
    AccountsSettings.objects.create(duplicate_signups="flag")
    r = signup(client, email="second@example.com")
    assert r.status_code == 302
    second = User.objects.get(email="second@example.com").client
    assert "Possible second account" in second.review_flag
    assert AuditEvent.objects.filter(code="accounts.client.flagged_duplicate").exists()
    verify(client, last_code())
    page = staff_browser.get(f"/admin/accounts/client/{first.pk}/change/").content.decode()
    assert "Kvitka LLC" in page and "Block all…" in page
    flagged = staff_browser.get("/admin/accounts/client/?review_flag__isempty=0").content.decode()
    assert "Kvitka LLC" in flagged and "First LLC" not in flagged


# ---- R-ACC-05 ---------------------------------------------------------------------------------

def test_r_acc_05_password_reset_through_the_primary_phone(client):
    account = _verified_owner()
    user = account.users.get()
    assert "Reset by phone" in client.get(reverse("account_reset_password")).content.decode()
    r = client.post(reverse("account_reset_password_phone"), {"phone": "0671112233"})
    assert r.status_code == 302
    page = client.get(r["Location"]).content.decode()
    assert "+380 67 *** ** 33" in page
    code = last_code()
    assert PhoneCode.objects.get(user=user).code_hash != code  # stored hashed
    r = client.post(reverse("account_reset_password_phone_code"),
                    {"code": code, "password1": "new-Pass-2027!", "password2": "new-Pass-2027!"})
    assert r.status_code == 302 and r["Location"] == reverse("account_login")
    user.refresh_from_db()
    assert user.check_password("new-Pass-2027!")
    assert AuditEvent.objects.filter(code="accounts.password_reset.by_phone").exists()
    r = client.post(reverse("account_reset_password_phone_code"),
                    {"code": code, "password1": "other-Pass-2027!", "password2": "other-Pass-2027!"})
    assert r.status_code == 302 and r["Location"] == reverse("account_reset_password_phone")  # used up


def test_r_acc_05_three_wrong_codes_and_expiry(client):
    _verified_owner()
    client.post(reverse("account_reset_password_phone"), {"phone": "+380671112233"})
    data = {"password1": "new-Pass-2027!", "password2": "new-Pass-2027!"}
    good = last_code()
    bad = "999999" if good != "999999" else "888888"
    r = client.post(reverse("account_reset_password_phone_code"), {"code": bad, **data})
    assert "2 attempts left" in r.content.decode()
    client.post(reverse("account_reset_password_phone_code"), {"code": bad, **data})
    r = client.post(reverse("account_reset_password_phone_code"), {"code": bad, **data})
    assert "request a new one" in r.content.decode()
    with time_machine.travel("2026-03-04 10:00 +0200", tick=False):
        client.post(reverse("account_reset_password_phone"), {"phone": "+380671112233"})
        code = last_code()
    with time_machine.travel("2026-03-04 10:11 +0200", tick=False):
        r = client.post(reverse("account_reset_password_phone_code"), {"code": code, **data})
    assert "expired" in r.content.decode()


def test_r_acc_05_unknown_phone_gets_no_sms_and_no_hint(client):
    r = client.post(reverse("account_reset_password_phone"), {"phone": "+380509998877"})
    assert r.status_code == 302
    assert not Message.objects.exists()


def test_r_acc_05_codes_per_phone_are_limited(client):
    _verified_owner()
    for _ in range(3):
        client.post(reverse("account_reset_password_phone"), {"phone": "+380671112233"})
    r = client.post(reverse("account_reset_password_phone"), {"phone": "+380671112233"})
    assert r.status_code == 400 and "Too many codes" in r.content.decode()


def test_r_acc_05_email_is_the_second_way(client):
    account = _verified_owner()
    email = account.users.get().email
    EmailAddress.objects.filter(email=email).update(verified=True)
    r = client.post(reverse("account_reset_password"), {"email": email})
    assert r.status_code == 302 and len(mail.outbox) == 1


# ---- MFA ---------------------------------------------------------------------------------------

def _totp(user):
    from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value, \
        yield_hotp_counters_from_time

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return lambda: format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def test_mfa_required_for_staff(client):
    staff = UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)
    r = client.post(reverse("account_login"), {"login": staff.email, "password": "pass-word-123"})
    assert r.status_code == 302 and r["Location"] == reverse("mfa_activate_totp")
    r = client.get("/admin/")
    assert r.status_code == 302 and r["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("mfa_activate_totp")).status_code == 200  # no second password prompt
    _totp(staff)
    assert client.get("/admin/").status_code == 200
    from allauth.mfa.adapter import get_adapter
    from allauth.mfa.models import Authenticator

    assert not get_adapter().can_delete_authenticator(Authenticator.objects.get(user=staff, type="totp"))


def test_mfa_optional_for_clients_and_asked_at_login(client, client_account):
    user = client_account.users.get()
    r = client.post(reverse("account_login"), {"login": user.email, "password": "pass-word-123"})
    assert r["Location"] == reverse("dashboard")  # no MFA: straight in
    client.post(reverse("account_logout"))
    code = _totp(user)
    r = client.post(reverse("account_login"), {"login": user.email, "password": "pass-word-123"})
    assert r["Location"] == reverse("mfa_authenticate")
    assert "authenticator" in client.get(reverse("mfa_authenticate")).content.decode()
    r = client.post(reverse("mfa_authenticate"), {"code": code()})
    assert r.status_code == 302 and client.get(reverse("dashboard")).status_code == 200


# ---- team --------------------------------------------------------------------------------------

def test_team_owner_invites_member_by_email(web, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = web.post(reverse("account_team"), {"action": "invite", "email": "colleague@acme.example", "role": "viewer"})
    assert r.status_code == 302
    link = re.search(r"http://testserver(/invite/[^/\s]+/)", mail.outbox[-1].body).group(1)
    web.post(reverse("account_logout"))
    page = client.get(link)
    assert "Join Acme LLC" in page.content.decode() and "viewer" in page.content.decode()
    r = client.post(link, {"first_name": "Iryna", "last_name": "K", "password1": PASSWORD, "password2": PASSWORD})
    assert r.status_code == 302
    colleague = User.objects.get(email="colleague@acme.example")
    assert colleague.client == web.account and colleague.role == "viewer"
    assert client.get(link).status_code == 404  # used
    assert client.get(reverse("dashboard")).status_code == 200
    assert client.post(reverse("sender_list"), {"channel": "sms", "name": "Kvitka"}).status_code == 403


def test_team_roles_and_last_owner(web):
    member = UserFactory(client=web.account, role="member")
    r = web.post(reverse("account_team"), {"action": "role", "user": member.pk, "role": "owner"})
    assert r.status_code == 302 and User.objects.get(pk=member.pk).role == "owner"
    from accounts.services import TeamError, team_role_set

    owner = web.account.users.get(email=web.account.users.order_by("date_joined").first().email)
    team_role_set(client=web.account, user_id=member.pk, role="member")
    with pytest.raises(TeamError):
        team_role_set(client=web.account, user_id=owner.pk, role="viewer")


def test_require_role_helper(rf, client_account):
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.http import HttpResponse

    from accounts.permissions import SEND_ROLES, require_role, user_can_send

    @require_role(*SEND_ROLES)
    def view(request):
        return HttpResponse("ok")

    viewer = UserFactory(client=client_account, role="viewer")
    member = UserFactory(client=client_account, role="member")
    for user, status in ((viewer, 403), (member, 200)):
        request = rf.post("/x/")
        SessionMiddleware(lambda r: None).process_request(request)
        request.user = user
        assert view(request).status_code == status
    assert user_can_send(member) and not user_can_send(viewer)
