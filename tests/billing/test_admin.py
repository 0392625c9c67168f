"""Staff billing work in the admin: every action goes through a service, needs a reason where money
moves, and is audited (R-BILL-02, R-BILL-08, R-BILL-09, R-BILL-11, R-BILL-12)."""
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import AuditEvent
from billing.models import BaseRate, ExchangeRate, Invoice, LedgerEntry, Wallet
from billing.services import invoice_issue
from tests.billing.factories import make_staff, stepped_tariff
from tests.factories import make_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = make_staff()
    client.force_login(user)
    client.user = user
    return client


def test_admin_pages_load(staff):
    account = make_client(balance=10)
    invoice_issue(client=account, amount=10)
    stepped_tariff()
    ExchangeRate.objects.create(date="2026-11-24", rate=Decimal("45.1"))
    wallet = Wallet.objects.get(client=account)
    for url in ["/admin/billing/wallet/", f"/admin/billing/wallet/{wallet.pk}/change/", "/admin/billing/ledgerentry/",
                "/admin/billing/invoice/", f"/admin/billing/invoice/{Invoice.objects.get().pk}/change/",
                "/admin/billing/tariff/", "/admin/billing/tariff/add/", "/admin/billing/exchangerate/",
                "/admin/billing/exchangerate/upload/", "/admin/billing/exchangerate/reprice/",
                "/admin/billing/baserate/", "/admin/billing/graceperiod/", "/admin/billing/repricedmessage/"] + [
            f"/admin/billing/wallet/{wallet.pk}/{name}/" for name in
            ["topup", "adjust", "penalty", "withhold", "payout", "overdraft"]]:
        assert staff.get(url).status_code == 200, url
    assert staff.get(f"/admin/billing/ledgerentry/?wallet__id__exact={wallet.pk}").status_code == 200
    r = staff.get("/admin/billing/billingconfig/")
    assert r.status_code == 302
    assert staff.get(r["Location"]).status_code == 200


def test_r_bill_05_staff_set_the_registration_bonus_audited(staff):
    from billing.services import billing_config_get

    pk = billing_config_get().pk
    data = {"registration_bonus_0": "25", "registration_bonus_1": "UAH", "provider_name": "P LLC",
            "provider_requisites": "IBAN UA00", "invoice_prefix": "SP", "invoice_due_days": "5",
            "penalty_per_message_0": "100", "penalty_per_message_1": "UAH", "overdraft_repay_days": "10"}
    r = staff.post(f"/admin/billing/billingconfig/{pk}/change/", data)
    assert r.status_code == 302, r.content
    assert AuditEvent.objects.filter(code="billing.config.changed").exists()
    assert Wallet.objects.get(client=make_client()).bonus.amount == 25


def test_r_bill_02_staff_mark_an_invoice_paid_once(staff):
    account = make_client()
    invoice = invoice_issue(client=account, amount=300)
    r = staff.post(f"/admin/billing/invoice/{invoice.pk}/pay/", {"reference": "statement 24.11 line 7"})
    assert r.status_code == 302
    r = staff.post("/admin/billing/invoice/", {"action": "mark_paid_selected", "_selected_action": [invoice.pk]})
    assert r.status_code == 302
    assert Wallet.objects.get(client=account).balance.amount == 300
    invoice.refresh_from_db()
    assert invoice.status == "paid" and invoice.paid_by == staff.user
    assert AuditEvent.objects.filter(code="billing.invoice.paid", actor=staff.user).count() == 1


def test_r_bill_11_penalty_needs_a_reason_and_a_double_submit_debits_once(staff):
    account = make_client(balance=500)
    wallet = Wallet.objects.get(client=account)
    url = f"/admin/billing/wallet/{wallet.pk}/penalty/"
    r = staff.post(url, {"token": "t1", "messages_count": "2", "reason": ""})
    assert r.status_code == 200 and not LedgerEntry.objects.filter(kind="penalty").exists()
    for _ in range(2):
        r = staff.post(url, {"token": "t1", "messages_count": "2", "reason": "T 3.2.5 prohibited content"})
        assert r.status_code == 302
    entry = LedgerEntry.objects.get(kind="penalty")
    assert entry.amount.amount == -200 and entry.created_by == staff.user
    assert AuditEvent.objects.filter(code="billing.penalty.charged", actor=staff.user).count() == 1


def test_r_bill_11_withhold_and_adjust_from_admin(staff):
    account = make_client(balance=70)
    wallet = Wallet.objects.get(client=account)
    r = staff.post(f"/admin/billing/wallet/{wallet.pk}/adjust/", {"token": "a1", "amount": "5", "reason": "goodwill"})
    assert r.status_code == 302
    r = staff.post(f"/admin/billing/wallet/{wallet.pk}/withhold/", {"token": "w1", "reason": "confirmed fraud"})
    assert r.status_code == 200  # the confirmation box is required
    r = staff.post(f"/admin/billing/wallet/{wallet.pk}/withhold/", {"token": "w1", "reason": "confirmed fraud",
                                                                    "confirm": "on"})
    assert r.status_code == 302
    assert Wallet.objects.get(pk=wallet.pk).balance.amount == 0
    assert {"billing.wallet.adjusted", "billing.balance.withheld"} <= set(
        AuditEvent.objects.filter(actor=staff.user).values_list("code", flat=True))


def test_r_bill_09_r_bill_12_overdraft_and_payout_from_admin(staff):
    account = make_client(balance=40)
    wallet = Wallet.objects.get(client=account)
    r = staff.post(f"/admin/billing/wallet/{wallet.pk}/overdraft/", {"limit": "100", "reason": "contract 3/2026"})
    assert r.status_code == 302
    wallet.refresh_from_db()
    assert wallet.overdraft_limit.amount == 100 and wallet.overdraft_approved_by == staff.user
    r = staff.post(f"/admin/billing/wallet/{wallet.pk}/payout/", {"token": "p1", "amount": "41", "reference": "PP 1",
                                                                  "reason": "termination"})
    assert r.status_code == 200 and "At most 40.00" in r.content.decode()
    r = staff.post(f"/admin/billing/wallet/{wallet.pk}/payout/", {"token": "p1", "reference": "PP 1",
                                                                  "reason": "termination", "forfeit_bonus": "on"})
    assert r.status_code == 302
    assert Wallet.objects.get(pk=wallet.pk).balance.amount == 0


def test_r_bill_08_staff_load_nbu_rates_and_reprice_viber(staff):
    body = json.dumps([{"r030": 978, "txt": "Євро", "rate": 45.1234, "cc": "EUR", "exchangedate": "24.11.2026"}])
    r = staff.post("/admin/billing/exchangerate/upload/",
                   {"file": SimpleUploadedFile("nbu.json", body.encode(), content_type="application/json")})
    assert r.status_code == 302 and ExchangeRate.objects.get().rate == Decimal("45.1234")
    r = staff.post("/admin/billing/exchangerate/reprice/", {"reason": "", "effective_from": "2026-11-24"})
    assert r.status_code == 200 and not BaseRate.objects.exists()
    r = staff.post("/admin/billing/exchangerate/reprice/", {"reason": "initial base", "effective_from": "2026-11-24"})
    assert r.status_code == 302
    assert BaseRate.objects.get().rate == Decimal("45.1234")
    assert AuditEvent.objects.filter(code="billing.rates.base_set", actor=staff.user).exists()


def test_r_bill_13_tariff_changes_are_audited_and_announced_ahead(staff):
    stepped_tariff()
    data = {"name": "Too soon", "valid_from_0": "2026-01-01", "valid_from_1": "00:00", "sms_segment_price_0": "1",
            "sms_segment_price_1": "UAH", "notes": "",
            "steps-TOTAL_FORMS": "0", "steps-INITIAL_FORMS": "0",
            "prices-TOTAL_FORMS": "0", "prices-INITIAL_FORMS": "0"}
    r = staff.post("/admin/billing/tariff/add/", data)
    assert r.status_code == 200 and "7 days ahead" in r.content.decode()
    data.update({"name": "Spring 2027", "valid_from_0": "2027-03-01"})
    r = staff.post("/admin/billing/tariff/add/", data)
    assert r.status_code == 302
    assert AuditEvent.objects.filter(code="billing.tariff.created", actor=staff.user).exists()


def test_r_bill_13_a_list_in_force_is_not_edited_in_place_but_copied_ahead(staff):
    from datetime import timedelta

    from django.utils import timezone

    from billing.models import Tariff

    tariff = stepped_tariff(valid_from=timezone.now() - timedelta(days=1))
    page = staff.get(f"/admin/billing/tariff/{tariff.pk}/change/").content.decode()
    assert "cannot be edited" in page and 'name="prices-0-price_0"' not in page
    r = staff.post("/admin/billing/tariff/", {"action": "copy_selected", "_selected_action": [tariff.pk]})
    assert r.status_code == 302
    copy = Tariff.objects.get(name="Test prices (new)")
    assert copy.valid_from >= timezone.now() + timedelta(days=6, hours=23)
    assert copy.prices.count() == tariff.prices.count() == 3 and copy.steps.count() == 3
    assert 'name="prices-0-price_0"' in staff.get(f"/admin/billing/tariff/{copy.pk}/change/").content.decode()
    assert AuditEvent.objects.filter(code="billing.tariff.copied", actor=staff.user).exists()
