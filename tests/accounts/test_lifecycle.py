"""Blocking (R-ACC-06), dormancy (R-ACC-07), termination (R-ACC-08), legal details (R-ACC-10)."""
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.models import AuditEvent, Client, ClientBlock, User
from accounts.services import (BlockError, LegalDetailsInvalid, api_key_authenticate, api_key_create,
                               block_explanation_submit, client_contract_request, client_contract_sign,
                               client_flags_set, client_legal_update, client_termination_cancel,
                               client_termination_request, client_unblock, edrpou_valid, rnokpp_valid,
                               tax_code_problem)
from lifecycle.services import (client_block, client_personal_data_destroy, client_terminate, clients_block_dormant,
                                clients_destroy_personal_data, clients_terminate_due)
from messaging.models import Message
from smsportal.errors import ApplicationError
from tests.factories import UserFactory, make_client

pytestmark = pytest.mark.django_db
KYIV = ZoneInfo("Europe/Kyiv")


def with_phone(client, phone="+380671112233"):
    owner = client.users.get(role="owner")
    owner.phone, owner.phone_verified = phone, True
    owner.save()
    return owner


# ---- R-ACC-06: blocking ------------------------------------------------------------------------

def test_r_acc_06_block_notifies_by_sms_and_email_at_once(client_account, django_capture_on_commit_callbacks):
    with_phone(client_account)
    with django_capture_on_commit_callbacks(execute=True):
        block = client_block(client=client_account, reason="Spam complaints from recipients")
    client_account.refresh_from_db()
    assert client_account.status == "blocked" and not client_account.can_send
    sms = Message.objects.get(recipient="+380671112233")
    assert "blocked" in sms.text and "Spam complaints" in sms.text and sms.client.is_system
    assert sms.price.amount == 0
    assert len(mail.outbox) == 1 and "Spam complaints" in mail.outbox[0].body
    block.refresh_from_db()
    assert block.notified_sms and block.notified_email
    assert AuditEvent.objects.filter(code="accounts.client.blocked").exists()
    assert AuditEvent.objects.filter(code="accounts.client.block_notified").exists()


def test_r_acc_06_blocked_client_logs_in_sees_why_and_cannot_send(web, api):
    client_block(client=web.account, reason="Unpaid penalty", notify=False)
    page = web.get(reverse("account_block"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Unpaid penalty" in html and "Send a written explanation" in html
    from django.template import Context, Template

    banner = Template("{% load account_tags %}{% account_notice %}").render(Context({"request": page.wsgi_request}))
    assert "cannot send" in banner and "Unpaid penalty" in banner and "explanation" in banner
    r = api.post("/api/v1/messages/", {"sender": "TestShop", "recipients": ["+380671234567"], "text": "x"},
                 format="json")
    assert r.status_code == 403 and r.json()["code"] == "account_blocked"


def test_r_acc_06_explanation_within_two_calendar_days(client_account):
    with time_machine.travel(datetime(2026, 3, 4, 14, 0, tzinfo=KYIV)):
        block = client_block(client=client_account, reason="Complaint", notify=False)
    assert block.explanation_due_at == datetime(2026, 3, 6, 23, 59, 59, tzinfo=KYIV)
    with time_machine.travel(datetime(2026, 3, 6, 23, 0, tzinfo=KYIV)):
        block_explanation_submit(client=client_account, text="The list was our opted-in customers; see consent log.")
    block.refresh_from_db()
    assert block.explanation.startswith("The list")
    with pytest.raises(BlockError):
        block_explanation_submit(client=client_account, text="A second explanation text.")
    assert AuditEvent.objects.filter(code="accounts.client.block_explained").exists()


def test_r_acc_06_late_explanation_refused(client_account):
    with time_machine.travel(datetime(2026, 3, 4, 14, 0, tzinfo=KYIV)):
        client_block(client=client_account, reason="Complaint", notify=False)
    with time_machine.travel(datetime(2026, 3, 7, 0, 1, tzinfo=KYIV)):
        with pytest.raises(BlockError) as exc:
            block_explanation_submit(client=client_account, text="Sorry, we were on holiday.")
    assert exc.value.code == "explanation_late"


def test_r_acc_06_website_explanation_form(web):
    client_block(client=web.account, reason="Complaint", notify=False)
    r = web.post(reverse("account_block"), {"text": "We removed the numbers that complained."}, follow=True)
    assert "Explanation sent" in r.content.decode()
    assert ClientBlock.objects.get(client=web.account).explanation


def test_r_acc_06_staff_block_and_unblock_in_admin(staff_browser, client_account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = staff_browser.post(f"/admin/accounts/client/{client_account.pk}/block/", {"reason": "Phishing links"})
    assert r.status_code == 302
    client_account.refresh_from_db()
    assert client_account.status == "blocked" and client_account.status_reason == "Phishing links"
    page = staff_browser.get(f"/admin/accounts/client/{client_account.pk}/change/").content.decode()
    assert "Unblock…" in page and "Phishing links" in page
    r = staff_browser.post(f"/admin/accounts/client/{client_account.pk}/unblock/", {"note": "Explained"})
    assert r.status_code == 302
    client_account.refresh_from_db()
    assert client_account.status == "active" and client_account.can_send
    assert ClientBlock.objects.get(client=client_account).lifted_by == staff_browser.user
    assert AuditEvent.objects.filter(code="accounts.client.unblocked", actor=staff_browser.user).exists()


def test_r_acc_06_block_needs_a_reason(client_account):
    with pytest.raises(BlockError):
        client_block(client=client_account, reason=" ")


# ---- R-ACC-07: dormancy ------------------------------------------------------------------------

def test_r_acc_07_dormant_account_unblocked_by_staff_after_owner_verification(tariff):
    with time_machine.travel("2022-01-10 12:00 +0200"):
        sleeping = make_client(name="Sleepy", balance=10)
    with time_machine.travel("2025-01-11 12:00 +0200"):
        assert clients_block_dormant() == 1
        assert clients_block_dormant() == 0  # idempotent
    sleeping.refresh_from_db()
    assert sleeping.status == "dormant" and "verify the owner" in sleeping.status_reason
    assert sleeping.open_block.kind == ClientBlock.Kind.DORMANT
    with pytest.raises(BlockError) as exc:
        client_unblock(client=sleeping)
    assert exc.value.code == "verification_required"
    client_unblock(client=sleeping, note="Owner called from the primary phone and sent a passport scan")
    sleeping.refresh_from_db()
    assert sleeping.status == "active"


def test_r_acc_07_captured_holds_count_as_use_of_funds(tariff):
    from django.db import transaction

    from billing.services import wallet_capture, wallet_hold

    with time_machine.travel("2022-01-10 12:00 +0200"):
        busy = make_client(name="Busy", balance=10)
    with time_machine.travel("2024-06-01 12:00 +0300"):
        with transaction.atomic():
            wallet_hold(client=busy, amount=Decimal("2"), key="h1", description="campaign")
        wallet_capture(client=busy, hold_key="h1", amount=Decimal("2"), key="c1", description="campaign")
    with time_machine.travel("2025-01-11 12:00 +0200"):
        assert clients_block_dormant() == 0


# ---- R-ACC-02: linked accounts ------------------------------------------------------------------

def test_r_acc_02_staff_block_all_linked_accounts(staff_browser):
    a = make_client(name="A")
    b = make_client(name="B")
    c = make_client(name="C")
    unrelated = make_client(name="D")
    with_phone(a, "+380671112233")
    with_phone(b, "+380671112233")
    Client.objects.filter(pk__in=[a.pk, c.pk]).update(tax_code="14360570")
    page = staff_browser.get(f"/admin/accounts/client/{a.pk}/change/").content.decode()
    assert ">B<" in page and ">C<" in page and ">D<" not in page and "Block all…" in page
    r = staff_browser.post(f"/admin/accounts/client/{a.pk}/block-linked/", {"reason": "Multiple registration"})
    assert r.status_code == 302
    statuses = dict(Client.objects.filter(pk__in=[a.pk, b.pk, c.pk, unrelated.pk]).values_list("name", "status"))
    assert statuses == {"A": "blocked", "B": "blocked", "C": "blocked", "D": "active"}


# ---- R-ACC-08: termination ---------------------------------------------------------------------

def test_r_acc_08_client_notice_then_account_stops(client_account):
    key, raw = api_key_create(client=client_account, name="k")
    with time_machine.travel(datetime(2026, 3, 1, 10, 0, tzinfo=KYIV)):
        client_termination_request(client=client_account, reason="Moving to another provider")
    client_account.refresh_from_db()
    assert client_account.terminates_at == datetime(2026, 3, 16, 10, 0, tzinfo=KYIV)
    assert client_account.can_send
    with time_machine.travel(datetime(2026, 3, 10, tzinfo=KYIV)):
        assert clients_terminate_due() == 0
    with time_machine.travel(datetime(2026, 3, 16, 10, 1, tzinfo=KYIV)):
        assert clients_terminate_due() == 1
    client_account.refresh_from_db()
    assert client_account.status == "terminated" and not client_account.can_send
    assert api_key_authenticate(raw) is None


def test_r_acc_08_client_can_cancel_notice(web):
    r = web.post(reverse("account_termination"), {"reason": "", "confirm": "on"}, follow=True)
    assert "Notice received" in r.content.decode()
    web.account.refresh_from_db()
    assert web.account.terminates_at
    web.post(reverse("account_termination"), {"action": "cancel"})
    web.account.refresh_from_db()
    assert web.account.terminates_at is None
    with pytest.raises(ApplicationError):
        client_termination_cancel(client=web.account)


def test_r_acc_08_data_destroyed_a_year_after_termination_ledger_kept(client_account, api):
    from messaging.models import Contact, ContactGroup

    api.post("/api/v1/messages/", {"sender": "TestShop", "recipients": ["+380671234567"], "text": "Secret text"},
             format="json")
    group = ContactGroup.objects.create(client=client_account, name="VIP")
    Contact.objects.create(group=group, phone="+380501112233", name="Olena")
    owner = with_phone(client_account)
    balance = client_account.wallet.balance
    with time_machine.travel(datetime(2026, 3, 1, tzinfo=KYIV)):
        client_terminate(client=client_account, reason="Contract ended")
    with time_machine.travel(datetime(2027, 2, 28, tzinfo=KYIV)):
        assert clients_destroy_personal_data() == 0
    with time_machine.travel(datetime(2027, 3, 2, tzinfo=KYIV)):
        assert clients_destroy_personal_data() == 1
        assert clients_destroy_personal_data() == 0
    msg = Message.objects.get(client=client_account)
    assert msg.recipient == "" and msg.text == "" and msg.segments == 1  # anonymized, still counted and priced
    assert not ContactGroup.objects.filter(client=client_account).exists()
    assert not Contact.objects.filter(phone="+380501112233").exists()
    owner.refresh_from_db()
    assert owner.email.endswith("@deleted.invalid") and owner.phone == "" and not owner.is_active
    client_account.refresh_from_db()
    assert client_account.data_destroyed_at and client_account.name.startswith("Terminated client")
    assert client_account.wallet.balance == balance  # the ledger stays
    assert client_account.wallet.entries.exists()


def test_r_acc_08_destroy_in_batches(client_account, api):
    for i in range(5):
        api.post("/api/v1/messages/", {"sender": "TestShop", "recipients": [f"+38067123456{i}"], "text": f"t{i}"},
                 format="json")
    client_terminate(client=client_account, reason="x")
    counts = client_personal_data_destroy(client=client_account, batch=2)
    assert counts["messages"] == 5
    assert not Message.objects.filter(client=client_account).exclude(recipient="").exists()


def test_r_acc_08_staff_terminate_in_admin(staff_browser, client_account):
    r = staff_browser.post(f"/admin/accounts/client/{client_account.pk}/terminate/", {"reason": "Fraud"})
    assert r.status_code == 302
    client_account.refresh_from_db()
    assert client_account.status == "terminated" and client_account.terminated_at


# ---- R-ACC-10: legal details and contract -------------------------------------------------------

@pytest.mark.parametrize("code,ok", [("14360570", True), ("21673832", True), ("14360571", False), ("1436057", False)])
def test_r_acc_10_edrpou_checksum(code, ok):
    assert edrpou_valid(code) is ok


def test_r_acc_10_rnokpp_checksum():
    base = "123456789"
    d = [int(c) for c in base]
    check = (-d[0] + 5 * d[1] + 7 * d[2] + 9 * d[3] + 4 * d[4] + 6 * d[5] + 10 * d[6] + 5 * d[7] + 7 * d[8]) % 11 % 10
    assert rnokpp_valid(base + str(check))
    assert not rnokpp_valid(base + str((check + 1) % 10))
    assert tax_code_problem(base + str(check), "legal_entity") == "A legal entity's EDRPOU code has 8 digits."


def test_r_acc_10_legal_details_and_contract(client_account):
    with pytest.raises(LegalDetailsInvalid):
        client_legal_update(client=client_account, data={"legal_form": "legal_entity", "tax_code": "14360571"})
    with pytest.raises(LegalDetailsInvalid) as exc:
        client_contract_request(client=client_account)
    assert "signatory" in exc.value.detail
    client_legal_update(client=client_account, data={
        "legal_form": "legal_entity", "legal_name": "Acme LLC", "tax_code": "14360570", "vat_payer": True,
        "vat_number": "143605726543", "signatory_name": "Olena Ivanenko", "signatory_position": "Director",
        "postal_address": "1 Khreshchatyk St, Kyiv, 01001", "documents_email": "acts@acme.ua", "edi_capable": True,
        "edi_provider": "Vchasno"})
    client_contract_request(client=client_account)
    assert Client.objects.get(pk=client_account.pk).contract_status == "requested"
    with pytest.raises(ApplicationError) as exc:
        client_flags_set(client=client_account, viber_enabled=True)
    assert exc.value.code == "contract_required"
    client_flags_set(client=client_account, round_the_clock_approved=True)  # needs no contract
    client_contract_sign(client=client_account, number="SP-42")
    client_flags_set(client=client_account, viber_enabled=True, pay_for_delivered=True)
    c = Client.objects.get(pk=client_account.pk)
    assert c.contract_signed and c.viber_enabled and c.pay_for_delivered and c.round_the_clock_approved
    with pytest.raises(LegalDetailsInvalid):  # the client cannot change the code of a signed contract
        client_legal_update(client=c, data={"tax_code": "21673832"}, actor=c.users.first())
    assert AuditEvent.objects.filter(code="accounts.contract.signed").exists()


def test_r_acc_10_website_company_page(web):
    page = web.get(reverse("account_profile")).content.decode()
    assert "Legal details" in page and "Request a contract" not in page
    r = web.post(reverse("account_profile"), {
        "legal_form": "entrepreneur", "legal_name": "FOP Ivanenko", "tax_code": "1234567890", "signatory_name": "x",
        "signatory_position": "Entrepreneur", "postal_address": "Kyiv", "documents_email": "a@b.ua"})
    assert r.status_code in (200, 302, 400)
    r = web.post(reverse("account_profile"), {
        "legal_form": "legal_entity", "legal_name": "Acme LLC", "tax_code": "14360570", "signatory_name": "Olena",
        "signatory_position": "Director", "postal_address": "Kyiv", "documents_email": "a@b.ua"}, follow=True)
    assert "Company details saved." in r.content.decode()
    r = web.post(reverse("account_contract_request"), follow=True)
    assert "Contract requested" in r.content.decode()


def test_r_acc_10_staff_flags_in_admin_need_contract(staff_browser, client_account):
    url = f"/admin/accounts/client/{client_account.pk}/change/"
    page = staff_browser.get(url)
    assert page.status_code == 200
    r = staff_browser.post(f"/admin/accounts/client/{client_account.pk}/contract/", {"number": "SP-1"})
    assert r.status_code == 302
    assert Client.objects.get(pk=client_account.pk).contract_signed


def test_viewer_cannot_change_company_details(client, client_account):
    viewer = UserFactory(client=client_account, role=User.Role.VIEWER)
    client.force_login(viewer)
    assert client.get(reverse("account_profile")).status_code == 200
    assert client.post(reverse("account_profile"), {"legal_name": "x"}).status_code == 403


def test_r_acc_10_client_admin_shows_every_staff_flag_with_the_overdraft(staff_browser, client_account):
    html = staff_browser.get(f"/admin/accounts/client/{client_account.pk}/change/").content.decode()
    for label in ("Pays only for delivered SMS", "Round-the-clock sending approved", "Viber enabled",
                  "Overdraft limit", "Contract signed…"):
        assert label in html, label
    assert f"/admin/billing/wallet/{client_account.wallet.pk}/overdraft/" in html
