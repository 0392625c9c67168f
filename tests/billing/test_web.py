"""Billing pages of the website: overview, statement with CSV, invoices, prices."""
import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from billing.models import Invoice
from billing.services import invoice_issue, invoice_mark_paid, wallet_charge, wallet_overdraft_set, wallet_topup
from tests.billing.factories import kyiv, stepped_tariff
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def test_pages_need_login(client):
    for name in ["billing_overview", "billing_statement", "billing_statement_csv", "billing_prices", "invoice_list"]:
        r = client.get(reverse(name))
        assert r.status_code == 302 and "/accounts/login/" in r["Location"], name


def test_r_bill_01_overview_shows_balance_available_and_recent_entries(web):
    r = web.get(reverse("billing_overview"))
    html = r.content.decode()
    assert r.status_code == 200
    assert "Available to spend" in html and "100.00" in html
    assert 'href="/static/css/billing.css"' in html
    assert "Recent wallet activity" in html and "Top-up" in html


def test_r_bill_04_overview_says_your_price_is_x_until_date(web):
    stepped_tariff(valid_from=timezone.now() - timedelta(days=1))
    wallet_topup(client=web.account, amount=Decimal("1000"), key="step2")
    html = web.get(reverse("billing_overview")).content.decode()
    until = (timezone.localdate() + timedelta(days=30)).strftime("%d.%m.%Y")
    assert f"Your price is <strong>0.90 UAH</strong> per SMS until <strong>{until}</strong>" in html
    assert "Top up more, pay less" in html and "yours now" in html


def test_r_bill_09_overview_warns_about_overdraft_and_overdue_debt(web):
    wallet_overdraft_set(client=web.account, limit=Decimal("50"), reason="ok")
    with time_machine.travel(kyiv("2026-03-01 10:00"), tick=False):
        with transaction.atomic():
            wallet_charge(client=web.account, amount=Decimal("120"), key="big", description="campaign")
        html = web.get(reverse("billing_overview")).content.decode()
        assert "You are using your overdraft" in html and "11.03.2026" in html
    with time_machine.travel(kyiv("2026-03-12 10:00"), tick=False):
        web.force_login(web.account.users.first())
        html = web.get(reverse("billing_overview")).content.decode()
        assert "Sending is stopped." in html


def test_r_bill_01_statement_filters_by_date_and_kind_and_exports_csv(web):
    client = web.account
    with time_machine.travel(kyiv("2026-03-01 12:00"), tick=False):
        wallet_topup(client=client, amount=Decimal("10"), key="march")
    with transaction.atomic():
        wallet_charge(client=client, amount=Decimal("0.8500"), key="c1", description="1 SMS from TestShop")
    r = web.get(reverse("billing_statement"))
    html = r.content.decode()
    assert r.status_code == 200 and "1 SMS from TestShop" in html and "Download CSV" in html
    r = web.get(reverse("billing_statement"), {"date_from": "2026-03-01", "date_to": "2026-03-01"})
    assert [e.idempotency_key for e in r.context["rows"]] == ["march"]
    r = web.get(reverse("billing_statement"), {"kind": "charge"})
    assert [e.kind for e in r.context["rows"]] == ["charge"]
    r = web.get(reverse("billing_statement"), {"date_from": "2026-03-02", "date_to": "2026-03-01"})
    assert "before the start date" in r.content.decode()

    r = web.get(reverse("billing_statement_csv"), {"kind": "charge,topup"})  # not a form choice: ignored
    rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
    assert r["Content-Type"].startswith("text/csv") and "attachment" in r["Content-Disposition"]
    assert rows[0][:3] == ["date (Kyiv)", "id", "kind"] and len(rows) == 4
    r = web.get(reverse("billing_statement_csv"), {"date_from": "2026-03-01", "date_to": "2026-03-01"})
    rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
    assert rows[1][0] == "2026-03-01 12:00:00" and rows[1][2] == "topup" and rows[1][4] == "10.00"


def test_r_bill_02_client_creates_an_invoice_and_sees_a_printable_page(web):
    r = web.post(reverse("invoice_list"), {"amount": "1500"})
    invoice = Invoice.objects.get(client=web.account)
    assert r.status_code == 302 and r["Location"] == reverse("invoice_detail", args=[invoice.public_id])
    html = web.get(r["Location"]).content.decode()
    assert invoice.number in html and "Supplier" in html and "Customer" in html and "Acme LLC" in html
    assert "1,500.00" in html and "Print / Save as PDF" in html and "Pay by" in html
    assert f"Оплата за рахунком № {invoice.number}" in html  # the payment purpose, as on the invoice document
    invoice_mark_paid(number=invoice.number, via="staff", reference="bank")
    html = web.get(reverse("invoice_detail", args=[invoice.public_id])).content.decode()
    assert 'class="invoice-stamp"' in html
    listing = web.get(reverse("invoice_list")).content.decode()
    assert invoice.number in listing and "Paid" in listing


def test_r_bill_03_invoice_form_refuses_kopecks(web):
    r = web.post(reverse("invoice_list"), {"amount": "10.50"})
    assert r.status_code == 400 and not Invoice.objects.exists()
    assert "Enter a whole number" in r.content.decode()


def test_invoices_are_private(web):
    other = make_client(name="Other LLC")
    invoice = invoice_issue(client=other, amount=10)
    assert web.get(reverse("invoice_detail", args=[invoice.public_id])).status_code == 404


def test_r_bill_07_prices_page_shows_the_list_in_force_with_the_clients_prices(web):
    stepped_tariff(valid_from=timezone.now() - timedelta(days=1))
    wallet_topup(client=web.account, amount=Decimal("5000"), key="big")
    html = web.get(reverse("billing_prices")).content.decode()
    assert "Ukraine, all operators" in html and "<strong>0.80</strong>" in html and "step 3" in html
    assert "Top-up steps" in html


def test_prices_page_without_a_price_list(web):
    from billing.models import Tariff

    Tariff.objects.all().delete()
    r = web.get(reverse("billing_prices"))
    assert r.status_code == 200 and "No price list is in force" in r.content.decode()
    assert web.get(reverse("billing_overview")).status_code == 200


@pytest.mark.parametrize("description", ["=HYPERLINK(\"http://evil\")", "+1+cmd|' /C calc'!A0",
                                         "-2+3+cmd|' /C calc'!A0", "@SUM(A1)"])
def test_statement_csv_writes_formula_looking_descriptions_as_text_and_keeps_amounts(web, description):
    wallet_charge(client=web.account, amount=Decimal("12.50"), key="c1", description=description)
    r = web.get(reverse("billing_statement_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
    charge = next(row for row in rows if row[2] == "charge")
    assert charge[3] == "'" + description and charge[4] == "-12.50"
