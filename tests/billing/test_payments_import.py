"""Bank payments by amount and the bank statement import (R-BILL-02): the wallet gets what was
paid, the invoice is partly paid / paid / overpaid, each bank payment is applied once."""
import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from accounts.models import AuditEvent, Client
from billing.exceptions import BillingError, InvalidAmount, InvoiceConflict
from billing.models import Invoice, LedgerEntry, Payment, Wallet
from billing.services import (StatementInvalid, bank_statement_apply, bank_statement_parse, bank_statement_preview,
                              invoice_cancel, invoice_issue, invoice_mark_paid, invoice_number_find,
                              invoice_payment_record)
from tests.billing.factories import make_staff
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def _balance(client) -> Decimal:
    return Wallet.objects.get(client=client).balance.amount


def _pay(invoice, amount, reference, **kw):
    return invoice_payment_record(number=invoice.number, amount=Decimal(amount), paid_on=date(2026, 11, 5),
                                  reference=reference, **kw)


def test_r_bill_02_a_smaller_payment_credits_what_was_paid_and_leaves_the_invoice_partly_paid():
    client = make_client()
    invoice = invoice_issue(client=client, amount=1000)
    payment, created = _pay(invoice, "400", "BANK-1", actor=make_staff())
    invoice.refresh_from_db()
    assert created and payment.amount.amount == 400
    assert invoice.status == Invoice.Status.PARTLY_PAID and invoice.paid_amount.amount == 400
    assert _balance(client) == 400
    _pay(invoice, "600", "BANK-2")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and invoice.paid_amount.amount == 1000 and _balance(client) == 1000
    assert AuditEvent.objects.filter(code="billing.invoice.payment_recorded", target=invoice.number).count() == 2


def test_r_bill_02_a_larger_payment_marks_the_invoice_overpaid_and_credits_it_all():
    client = make_client()
    invoice = invoice_issue(client=client, amount=1000)
    _pay(invoice, "1500", "BANK-3")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OVERPAID and _balance(client) == 1500


def test_r_bill_02_r_bill_03_kopiykas_are_credited_next_to_the_whole_hryvnia_top_up():
    client = make_client()
    invoice = invoice_issue(client=client, amount=1000)
    _pay(invoice, "999.99", "BANK-4")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PARTLY_PAID and invoice.paid_amount.amount == Decimal("999.99")
    assert _balance(client) == Decimal("999.99")
    kinds = sorted(LedgerEntry.objects.filter(wallet__client=client).values_list("kind", "amount"))
    assert kinds == [("adjustment", Decimal("0.99")), ("topup", Decimal("999"))]


def test_r_bill_02_the_same_bank_reference_is_credited_once():
    client = make_client()
    invoice = invoice_issue(client=client, amount=100)
    first, created = _pay(invoice, "100", "BANK-5")
    again, created_again = _pay(invoice, "100", "BANK-5")
    assert created and not created_again and again.pk == first.pk
    assert _balance(client) == 100 and Payment.objects.count() == 1
    other = invoice_issue(client=client, amount=100)
    with pytest.raises(InvoiceConflict) as exc:
        _pay(other, "100", "BANK-5")
    assert exc.value.code == "payment_already_applied"


@pytest.mark.parametrize("amount", ["0", "-5", "10.001", "NaN"])
def test_r_bill_02_a_payment_is_a_positive_amount_in_kopiykas(amount):
    invoice = invoice_issue(client=make_client(), amount=100)
    with pytest.raises(InvalidAmount):
        _pay(invoice, amount, "BANK-X")
    assert Payment.objects.count() == 0


def test_r_bill_02_a_cancelled_invoice_takes_no_payment_and_a_reference_is_required():
    invoice = invoice_issue(client=make_client(), amount=100)
    with pytest.raises(BillingError) as exc:
        _pay(invoice, "100", "  ")
    assert exc.value.code == "reference_required"
    invoice_cancel(number=invoice.number, reason="test")
    with pytest.raises(InvoiceConflict) as exc:
        _pay(invoice, "100", "BANK-6")
    assert exc.value.code == "invoice_cancelled"


def test_r_bill_02_mark_paid_refuses_an_invoice_with_partial_payments():
    client = make_client()
    invoice = invoice_issue(client=client, amount=1000)
    _pay(invoice, "300", "BANK-7")
    with pytest.raises(InvoiceConflict) as exc:
        invoice_mark_paid(number=invoice.number, via=Invoice.PaidVia.STAFF, reference="x")
    assert exc.value.code == "invoice_has_payments"
    assert _balance(client) == 300


def test_r_bill_02_mark_paid_records_the_paid_amount():
    invoice = invoice_issue(client=make_client(), amount=250)
    invoice_mark_paid(number=invoice.number, via=Invoice.PaidVia.STAFF, reference="x")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and invoice.paid_amount.amount == 250


@pytest.mark.django_db(transaction=True)
def test_r_bill_02_two_staff_recording_the_same_payment_at_once_credit_it_once():
    client = make_client()
    invoice = invoice_issue(client=client, amount=500)
    barrier, results = threading.Barrier(2), []

    def record():
        try:
            barrier.wait(timeout=10)
            results.append(_pay(invoice, "500", "BANK-RACE")[1])
        except Exception as exc:  # noqa: BLE001 (collected for the assertion)
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=record) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(map(str, results)) == ["False", "True"]
    assert _balance(client) == 500 and Payment.objects.count() == 1


# --- bank statement ---------------------------------------------------------------------------------

def _statement(*lines, header="date;amount;payer EDRPOU;purpose") -> bytes:
    return "\n".join([header, *lines]).encode()


def test_r_bill_02_invoice_number_is_found_in_the_purpose_text():
    assert invoice_number_find("Оплата за рах. SP-2026-000123 від 01.11.2026, ПДВ 20%", "SP") == "SP-2026-000123"
    assert invoice_number_find("оплата рахунку sp 2026 123", "SP") == "SP-2026-000123"
    assert invoice_number_find("за послуги згідно договору", "SP") == ""
    assert invoice_number_find("WSP-2026-000123", "SP") == ""


def test_r_bill_02_statement_preview_shows_matched_and_unmatched_rows():
    client = make_client(name="Kvitka")
    Client.objects.filter(pk=client.pk).update(tax_code="87654321")
    invoice = invoice_issue(client=client, amount=1000)
    cancelled = invoice_issue(client=client, amount=50)
    invoice_cancel(number=cancelled.number, reason="test")
    data = _statement(f"05.11.2026;1 000,00;87654321;Оплата за рахунком {invoice.number}",
                      "05.11.2026;250,00;11112222;Поповнення без номера",
                      "05.11.2026;100,00;87654321;Оплата SP-2026-999999",
                      f"05.11.2026;50,00;87654321;Оплата {cancelled.number}",
                      "31.02.2026;10;87654321;bad date",
                      "05.11.2026;abc;87654321;bad amount")
    rows = bank_statement_preview(data)
    assert [r.status for r in rows] == ["matched", "unmatched", "unmatched", "unmatched", "error", "error"]
    assert rows[0].invoice_number == invoice.number and rows[0].amount == "1000.00" and rows[0].warnings == []
    assert "No invoice number" in rows[1].problem and "SP-2026-999999" in rows[2].problem
    assert "cancelled" in rows[3].problem
    assert Payment.objects.count() == 0 and LedgerEntry.objects.filter(kind="topup", amount=1000).count() == 0


def test_r_bill_02_statement_apply_credits_matched_rows_once_even_if_imported_again():
    client = make_client()
    a = invoice_issue(client=client, amount=1000)
    b = invoice_issue(client=client, amount=200)
    data = _statement(f"2026-11-05,\"1,500.00\",12345678,Payment {a.number},REF-1",
                      f"2026-11-06,150,12345678,Payment {b.number},",
                      "2026-11-06,99,12345678,no number,",
                      header="Date,Amount,Payer EDRPOU,Purpose,Reference")
    rows = bank_statement_apply(rows=bank_statement_preview(data), actor=make_staff())
    assert [r.status for r in rows] == ["applied", "applied", "unmatched"]
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == Invoice.Status.OVERPAID and b.status == Invoice.Status.PARTLY_PAID
    assert _balance(client) == 1650
    assert set(Payment.objects.values_list("reference", flat=True)) >= {"REF-1"}
    assert Payment.objects.get(reference="REF-1").source == Payment.Source.STATEMENT
    again = bank_statement_apply(rows=bank_statement_preview(data))
    assert [r.status for r in again] == ["applied", "applied", "unmatched"]
    assert all(r.problem == "Already applied." for r in again[:2])
    assert _balance(client) == 1650 and Payment.objects.count() == 2


def test_r_bill_02_statement_payer_edrpou_other_than_the_clients_is_a_warning():
    client = make_client()
    Client.objects.filter(pk=client.pk).update(tax_code="87654321")
    invoice = invoice_issue(client=client, amount=100)
    [row] = bank_statement_preview(_statement(f"05.11.2026;90;11112222;{invoice.number}"))
    assert row.status == "matched"
    assert any("11112222" in w for w in row.warnings) and any("100.00" in w for w in row.warnings)


@pytest.mark.parametrize("data", [b"", b"date;amount\n05.11.2026;10", b"\x00\x01binary"])
def test_r_bill_02_an_unreadable_statement_is_refused_with_a_reason(data):
    with pytest.raises(StatementInvalid):
        bank_statement_parse(data)


def test_r_bill_02_a_windows_1251_statement_is_read():
    invoice = invoice_issue(client=make_client(), amount=100)
    data = f"дата;сума;ЄДРПОУ платника;призначення платежу\n05.11.2026;100,00;12345678;Оплата {invoice.number}"
    [row] = bank_statement_preview(data.encode("cp1251"))
    assert row.status == "matched" and row.purpose.startswith("Оплата")


def test_r_bill_02_staff_import_a_statement_in_admin_preview_then_apply(client):
    owner = make_client()
    invoice = invoice_issue(client=owner, amount=700)
    client.force_login(make_staff())
    url = "/admin/billing/invoice/import-statement/"
    assert client.get(url).status_code == 200
    upload = pytest.importorskip("django.core.files.uploadedfile").SimpleUploadedFile(
        "statement.csv", _statement(f"05.11.2026;700;12345678;Оплата {invoice.number}", "05.11.2026;5;1;x"))
    preview = client.post(url, {"file": upload})
    body = preview.content.decode()
    assert preview.status_code == 200 and "matched" in body and "unmatched" in body
    assert _balance(owner) == 0  # nothing credited by the preview
    signed = preview.context["signed_rows"]
    done = client.post(url, {"apply": "1", "rows": signed})
    assert done.status_code == 200 and _balance(owner) == 700
    client.post(url, {"apply": "1", "rows": signed})  # the same preview sent twice
    assert _balance(owner) == 700
    tampered = client.post(url, {"apply": "1", "rows": signed[:-2] + "xx"})
    assert tampered.status_code == 302 and _balance(owner) == 700
    bad = client.post(url, {"file": pytest.importorskip("django.core.files.uploadedfile").SimpleUploadedFile(
        "s.csv", b"foo;bar\n1;2")})
    assert bad.status_code == 200 and "missing" in bad.content.decode()


def test_r_bill_02_staff_record_a_payment_of_another_amount_in_admin(client):
    owner = make_client()
    invoice = invoice_issue(client=owner, amount=1000)
    client.force_login(make_staff())
    url = f"/admin/billing/invoice/{invoice.pk}/record-payment/"
    assert client.get(url).status_code == 200
    r = client.post(url, {"amount": "800.50", "paid_on": "2026-11-05", "reference": "PP-77"})
    assert r.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PARTLY_PAID and _balance(owner) == Decimal("800.50")
    r = client.post(url, {"amount": "0", "paid_on": "2026-11-05", "reference": "PP-78"})
    assert r.status_code == 200 and b"errorlist" in r.content


def test_r_bill_02_the_client_sees_a_partly_paid_invoice_with_what_was_received(web):
    invoice = invoice_issue(client=web.account, amount=1000)
    _pay(invoice, "400", "BANK-WEB")
    html = web.get(f"/billing/invoices/{invoice.public_id}/").content.decode()
    assert "Partly paid" in html and "400.00 of 1,000.00 UAH" in html
