"""Viber transactional templates (R-VIB-05) and re-pricing of messages that did not match (R-BILL-10)."""
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from djmoney.money import Money

from accounts.models import AuditEvent, User
from billing.models import ExchangeRate, LedgerEntry, Wallet
from messaging.models import Message, ViberDetail, ViberTemplate
from messaging.viber.templates import (TemplateStateError, ViberTemplateError, template_approve, template_mark_review,
                                       template_match, template_reject, template_submit,
                                       viber_reprice_as_advertising)
from smsportal.errors import ApplicationError
from tests.billing.factories import make_tariff
from tests.factories import make_client

pytestmark = pytest.mark.django_db
State = ViberTemplate.State


@pytest.fixture
def staff(client):
    user = User.objects.create_superuser("viber-staff@example.com", "pw-12345-staff")
    client.force_login(user)
    client.user = user
    return client


def _approved(client, text, name="t"):
    t = template_submit(client=client, name=name, text=text)
    return template_approve(template_id=t.pk)


# --- matching ---------------------------------------------------------------------------------

def test_r_vib_05_placeholder_matches_any_non_empty_text_and_the_rest_exactly(client_account):
    t = _approved(client_account, "Order {number} is ready at {place}.")
    assert template_match(client=client_account, text="Order 12-34 is ready at Kyiv, Khreshchatyk 1.") == t
    # whitespace-normalized, on both sides
    assert template_match(client=client_account, text="  Order  12\n is ready   at Lviv. ") == t
    # an empty placeholder, a changed fixed word or extra text: no match
    assert template_match(client=client_account, text="Order  is ready at Lviv.") is None
    assert template_match(client=client_account, text="Order 12 is waiting at Lviv.") is None
    assert template_match(client=client_account, text="Order 12 is ready at Lviv. Buy more now!") is None
    assert template_match(client=client_account, text="order 12 is ready at Lviv.") is None  # exact case


def test_r_vib_05_only_the_clients_approved_templates_match(client_account):
    other = make_client(name="Other LLC")
    _approved(other, "Code {code} for login.")
    pending = template_submit(client=client_account, name="p", text="Parcel {n} delivered.")
    assert template_match(client=client_account, text="Code 1234 for login.") is None
    assert template_match(client=client_account, text="Parcel 7 delivered.") is None
    template_approve(template_id=pending.pk)
    assert template_match(client=client_account, text="Parcel 7 delivered.").pk == pending.pk


def test_r_vib_05_the_most_specific_template_wins(client_account):
    _approved(client_account, "{greeting}, your order is ready.", name="loose")
    specific = _approved(client_account, "Hello {name}, your order is ready.", name="specific")
    assert template_match(client=client_account, text="Hello Olena, your order is ready.") == specific


def test_r_vib_05_regex_special_characters_are_literal(client_account):
    t = _approved(client_account, "Pay {sum} UAH (card *1234?) at https://pay.example/{id}.")
    assert template_match(client=client_account, text="Pay 10.50 UAH (card *1234?) at https://pay.example/ab1.") == t
    assert template_match(client=client_account, text="Pay 10 UAH (card x1234?) at https://pay.example/ab1.") is None


@pytest.mark.parametrize("text, code", [
    ("", "template_text_required"),
    ("{only}", "template_invalid"),
    ("Order {number is ready", "template_invalid"),
    ("Order {} ready", "template_invalid"),
    ("Order {a}{b} ready", "template_invalid"),
    ("x" * 1001, "text_too_long"),
])
def test_r_vib_05_malformed_templates_are_refused(client_account, text, code):
    with pytest.raises(ViberTemplateError) as exc:
        template_submit(client=client_account, name="n", text=text)
    assert exc.value.code == code


# --- moderation -------------------------------------------------------------------------------

def test_r_vib_05_moderation_states_and_audit(client_account, django_capture_on_commit_callbacks):
    staff_user = User.objects.create_superuser("s@example.com", "pw-12345-staff")
    t = template_submit(client=client_account, name="Ready", text="Order {n} is ready.")
    assert t.state == State.NEW
    with django_capture_on_commit_callbacks(execute=True):
        t = template_mark_review(template_id=t.pk, actor=staff_user)
    assert t.state == State.UNDER_REVIEW and t.decided_at is None
    with django_capture_on_commit_callbacks(execute=True):
        t = template_approve(template_id=t.pk, actor=staff_user)
    assert t.state == State.APPROVED and t.decided_by == staff_user and t.decided_at
    # a decided template is not rejected, nor sent back to review
    with pytest.raises(TemplateStateError):
        template_reject(template_id=t.pk, reason="late", actor=staff_user)
    with pytest.raises(TemplateStateError):
        template_mark_review(template_id=t.pk, actor=staff_user)
    codes = list(AuditEvent.objects.filter(client=client_account).values_list("code", flat=True))
    assert {"messaging.viber_template.submitted", "messaging.viber_template.under_review",
            "messaging.viber_template.approved"} <= set(codes)


def test_r_vib_05_rejection_needs_a_reason_and_is_final(client_account, django_capture_on_commit_callbacks):
    t = template_submit(client=client_account, name="Promo", text="Sale {x} today.")
    with pytest.raises(ApplicationError) as exc:
        template_reject(template_id=t.pk, reason="  ")
    assert exc.value.code == "reason_required"
    with django_capture_on_commit_callbacks(execute=True):
        t = template_reject(template_id=t.pk, reason="Advertising content.")
    assert t.state == State.REJECTED and t.rejection_reason == "Advertising content."
    with pytest.raises(TemplateStateError):
        template_reject(template_id=t.pk, reason="again")
    with pytest.raises(TemplateStateError):
        template_approve(template_id=t.pk)


def test_r_vib_05_client_is_emailed_each_decision(client_account, django_capture_on_commit_callbacks):
    owner_email = client_account.users.first().email
    a = template_submit(client=client_account, name="Ready", text="Order {n} is ready.")
    b = template_submit(client=client_account, name="Promo", text="Sale {x} today.")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        template_approve(template_id=a.pk)
        template_reject(template_id=b.pk, reason="Advertising content is not allowed.")
    assert len(mail.outbox) == 2
    approved, rejected = mail.outbox
    assert owner_email in approved.to and "Ready" in approved.subject
    assert "Promo" in rejected.subject and "Advertising content is not allowed." in rejected.body


# --- admin ------------------------------------------------------------------------------------

def test_r_vib_05_admin_queue_lists_open_templates_first_and_decides(staff, client_account,
                                                                     django_capture_on_commit_callbacks):
    decided = _approved(client_account, "Old {x} approved.", name="tpl-approved-old")
    fresh = template_submit(client=client_account, name="tpl-fresh-new", text="Order {n} is ready.")
    url = reverse("admin:messaging_vibertemplate_changelist")
    html = staff.get(url).content.decode()
    assert html.index("tpl-fresh-new") < html.index("tpl-approved-old")
    staff.post(url, {"action": "mark_under_review", "_selected_action": [fresh.pk]})
    fresh.refresh_from_db()
    assert fresh.state == State.UNDER_REVIEW
    # reject: decided rows are refused, open ones go to the reason form
    r = staff.post(url, {"action": "reject_selected", "_selected_action": [fresh.pk, decided.pk]})
    assert r.status_code == 302 and f"ids={fresh.pk}" in r["Location"] and str(decided.pk) not in r["Location"]
    form_url = r["Location"]
    assert staff.get(form_url).status_code == 200
    assert staff.post(form_url, {"canned": "", "reason": ""}).status_code == 200  # a reason is required
    with django_capture_on_commit_callbacks(execute=True):
        r = staff.post(form_url, {"canned": "The template is too generic: fix more of the words.",
                                  "reason": "Name the shop."})
    assert r.status_code == 302
    fresh.refresh_from_db()
    decided.refresh_from_db()
    assert fresh.state == State.REJECTED
    assert fresh.rejection_reason == "The template is too generic: fix more of the words. Name the shop."
    assert decided.state == State.APPROVED


# --- API --------------------------------------------------------------------------------------

def test_r_vib_05_api_create_list_get_delete(api):
    r = api.post("/api/v1/viber/templates/", {"name": "Ready", "text": "Order {n} is ready."}, format="json")
    assert r.status_code == 201, r.content
    tid = r.json()["id"]
    assert r.json()["state"] == "new"
    assert [t["id"] for t in api.get("/api/v1/viber/templates/").json()["templates"]] == [tid]
    assert api.get(f"/api/v1/viber/templates/{tid}/").json()["text"] == "Order {n} is ready."
    dup = api.post("/api/v1/viber/templates/", {"name": "Again", "text": " Order  {n} is ready. "}, format="json")
    assert dup.status_code == 409 and dup.json()["code"] == "template_duplicate"
    bad = api.post("/api/v1/viber/templates/", {"name": "x", "text": "{a}"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "template_invalid"
    assert api.delete(f"/api/v1/viber/templates/{tid}/").status_code == 204
    assert api.get(f"/api/v1/viber/templates/{tid}/").status_code == 404


def test_r_vib_05_api_other_clients_template_is_not_found(api):
    other = template_submit(client=make_client(name="Other LLC"), name="o", text="Hi {n}.")
    for url in (f"/api/v1/viber/templates/{other.public_id}/", "/api/v1/viber/templates/not-a-uuid/"):
        r = api.get(url)
        assert r.status_code == 404 and r.json()["code"] == "template_not_found"
    assert api.delete(f"/api/v1/viber/templates/{other.public_id}/").status_code == 404


def test_r_vib_05_template_used_by_messages_cannot_be_deleted(api):
    t = _approved(api.account, "Order {n} is ready.")
    _transactional(api.account, "Order 1 is ready.", template=t)
    r = api.delete(f"/api/v1/viber/templates/{t.public_id}/")
    assert r.status_code == 409 and r.json()["code"] == "template_in_use"


# --- website ----------------------------------------------------------------------------------

@pytest.mark.parametrize("language, heading", [("en", "Viber templates"), ("uk", None)])
def test_r_vib_05_templates_page_renders_and_submits(web, language, heading):
    template_submit(client=web.account, name="Promo", text="Sale {x}.")
    t = ViberTemplate.objects.get(name="Promo")
    template_reject(template_id=t.pk, reason="Advertising content.")
    with translation.override(language):
        r = web.get(reverse("viber_templates"), HTTP_ACCEPT_LANGUAGE=language)
    html = r.content.decode()
    assert r.status_code == 200 and f'<html lang="{language}">' in html
    assert "Advertising content." in html and "Sale {x}." in html
    if heading:
        assert heading in html
    r = web.post(reverse("viber_templates"), {"name": "Ready", "text": "Order {n} is ready."},
                 HTTP_ACCEPT_LANGUAGE=language)
    assert r.status_code == 302
    assert ViberTemplate.objects.filter(client=web.account, name="Ready", state=State.NEW).exists()
    r = web.post(reverse("viber_templates"), {"name": "Bad", "text": "{only}"}, HTTP_ACCEPT_LANGUAGE=language)
    assert r.status_code == 400


def test_r_vib_05_template_deleted_from_the_page(web):
    t = template_submit(client=web.account, name="Ready", text="Order {n} is ready.")
    r = web.post(reverse("viber_template_delete", args=[t.public_id]))
    assert r.status_code == 302 and not ViberTemplate.objects.filter(pk=t.pk).exists()
    assert web.post(reverse("viber_template_delete", args=[uuid.uuid4()])).status_code == 404


# --- R-BILL-10 --------------------------------------------------------------------------------

@pytest.fixture
def viber_prices(db):
    make_tariff(valid_from=timezone.now() - timedelta(hours=5), lines=[
        {"channel": "viber", "message_type": "service", "price": "0.0150"},
        {"channel": "viber", "message_type": "advertising", "price": "0.0190"}])
    ExchangeRate.objects.create(date=timezone.localdate() - timedelta(days=3), rate=Decimal("45.00"))


def _transactional(client, text, *, template=None, status="delivered", price="0.6750", viber_type="transactional"):
    m = Message.objects.create(client=client, batch_id=uuid.uuid4(), sender="TestShop", recipient="+380671234567",
                               text=text, encoding="viber", segments=1, price=Money(Decimal(price), "UAH"),
                               status=status, channel="viber", submitted_at=timezone.now() - timedelta(hours=2))
    ViberDetail.objects.create(message=m, viber_type=viber_type, ttl=3600, template=template, rate=Decimal("45.00"),
                               provider_message_id=f"p-{m.pk}")
    return m


def test_r_bill_10_reprice_debits_the_difference_once_and_tells_the_client(client_account, viber_prices,
                                                                            django_capture_on_commit_callbacks):
    a = _transactional(client_account, "Order 1 is ready.")
    b = _transactional(client_account, "Order 2 is ready.")
    advertising = _transactional(client_account, "Sale!", viber_type="advertising")
    queued = _transactional(client_account, "Order 3", status="queued")
    before = Wallet.objects.get(client=client_account).balance.amount
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = viber_reprice_as_advertising(message_ids=[a.pk, b.pk, advertising.pk, queued.pk],
                                              reason="Viber report 11/2026: text did not match the template")
    assert result.repriced == 2 and result.skipped == 2
    # 0.0190 € × 45 = 0.8550 UAH as advertising; charged 0.6750: 0.18 each
    assert result.amount == Decimal("0.3600")
    assert Wallet.objects.get(client=client_account).balance.amount == before - Decimal("0.3600")
    entry = LedgerEntry.objects.get(wallet__client=client_account, kind="reprice")
    assert entry.amount.amount == Decimal("-0.3600")
    assert ViberDetail.objects.filter(repriced_at__isnull=False).count() == 2
    assert len(mail.outbox) == 1 and "did not match" in mail.outbox[0].body
    # at most once each
    again = viber_reprice_as_advertising(message_ids=[a.pk, b.pk], reason="resent report")
    assert again.repriced == 0 and again.amount == 0
    assert LedgerEntry.objects.filter(wallet__client=client_account, kind="reprice").count() == 1


def test_r_bill_10_reprice_needs_a_note(client_account, viber_prices):
    a = _transactional(client_account, "Order 1 is ready.")
    with pytest.raises(ApplicationError) as exc:
        viber_reprice_as_advertising(message_ids=[a.pk], reason=" ")
    assert exc.value.code == "reason_required"


def test_r_bill_10_staff_reprice_from_admin(staff, client_account, viber_prices):
    a = _transactional(client_account, "Order 1 is ready.")
    _transactional(client_account, "Sale!", viber_type="advertising")
    url = reverse("admin:messaging_viberrepricing_changelist")
    html = staff.get(url).content.decode()
    assert "Order 1 is ready." in html and "Sale!" not in html
    r = staff.post(url, {"action": "reprice_selected", "_selected_action": [a.pk]})
    assert r.status_code == 302
    form_url = r["Location"]
    assert staff.post(form_url, {"reason": ""}).status_code == 200
    r = staff.post(form_url, {"reason": "Viber report: no template match"})
    assert r.status_code == 302
    a.viber.refresh_from_db()
    assert a.viber.repriced_at is not None
    assert LedgerEntry.objects.filter(wallet__client=client_account, kind="reprice").count() == 1
    # the action skips it now
    r = staff.post(url, {"action": "reprice_selected", "_selected_action": [a.pk]}, follow=True)
    assert "re-priced already" in r.content.decode()
