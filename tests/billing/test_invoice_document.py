"""The invoice as a Ukrainian invoice document (рахунок на оплату): supplier from settings, buyer
from the client's legal details (R-ACC-10), VAT only for a VAT-paying supplier, the amount in
words, a printable page and a PDF of the same HTML (R-BILL-02)."""
import re
import zlib
from html import unescape

import pytest
import time_machine

from accounts.models import Client
from billing.documents import document_language, invoice_html, invoice_pdf
from billing.services import invoice_issue
from tests.billing.factories import kyiv, make_staff
from tests.factories import make_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def supplier(settings):
    settings.SMSPORTAL_SUPPLIER_NAME = "ТОВ «Тест Постач»"
    settings.SMSPORTAL_SUPPLIER_EDRPOU = "12345678"
    settings.SMSPORTAL_SUPPLIER_IBAN = "UA213223130000026007233566001"
    settings.SMSPORTAL_SUPPLIER_BANK = "АТ «Банк», МФО 322313"
    settings.SMSPORTAL_SUPPLIER_ADDRESS = "01001, м. Київ, вул. Тестова, 1"
    settings.SMSPORTAL_SUPPLIER_VAT_PAYER = True
    settings.SMSPORTAL_SUPPLIER_VAT_NUMBER = "123456726591"
    settings.SMSPORTAL_SUPPLIER_SIGNATORY = "Петренко П. П."
    settings.SMSPORTAL_SUPPLIER_SIGNATORY_POSITION = "Директор"
    return settings


def _legal_client(**extra) -> Client:
    client = make_client(name="Kvitka", email="owner@kvitka.ua")
    fields = {"legal_form": Client.LegalForm.LEGAL_ENTITY, "legal_name": "ТОВ «Квітка»", "tax_code": "87654321",
              "vat_payer": True, "vat_number": "876543226591", "postal_address": "79000, м. Львів, пл. Ринок, 1",
              "signatory_name": "Коваль І. І.", "signatory_position": "Директор", **extra}
    Client.objects.filter(pk=client.pk).update(**fields)
    client.refresh_from_db()
    owner = client.users.first()
    owner.language = "en"  # the test settings have no Ukrainian catalogue for new strings: read the English page
    owner.save(update_fields=["language"])
    return client


def _text(html: str) -> str:
    body = html[html.index("<body"):]  # not the print CSS
    return re.sub(r"\s+,", ",", " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split()))


def pdf_pages(pdf: bytes) -> int:
    """The page count of a PDF's page tree, read from its objects (plain or in compressed object
    streams): enough to tell a real PDF from a broken one without a PDF library."""
    assert pdf.startswith(b"%PDF-"), "a PDF header"
    assert pdf.rstrip().endswith(b"%%EOF") and b"startxref" in pdf[-200:], "a PDF trailer"
    bodies = _pdf_bodies(pdf)
    counts = [int(m) for body in bodies
              for m in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)|/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", body)
              for m in m if m]
    return max(counts, default=0)


def _pdf_bodies(pdf: bytes) -> list[bytes]:
    bodies = [pdf]
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            bodies.append(zlib.decompress(raw))
        except zlib.error:
            continue
    return bodies


def pdf_info(pdf: bytes, key: str) -> str:
    """A text of the PDF's document information (Title, Subject, Author), decoded."""
    for body in _pdf_bodies(pdf):
        found = re.search(rb"/" + key.encode() + rb"\s*(<[0-9A-Fa-f]*>|\((?:\\.|[^\\)])*\))", body)
        if found:
            value = found.group(1)
            if value.startswith(b"<"):
                raw = bytes.fromhex(value[1:-1].decode())
                return raw[2:].decode("utf-16-be") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1")
            return value[1:-1].decode("latin-1")
    return ""


def _assert_pdf(pdf: bytes):
    assert pdf_pages(pdf) >= 1, "a page tree with at least one page"


def test_r_bill_02_r_acc_10_invoice_prints_both_parties_vat_and_the_amount_in_words(supplier):
    client = _legal_client()
    with time_machine.travel(kyiv("2026-11-03 10:00"), tick=False):
        invoice = invoice_issue(client=client, amount=1234)
    text = _text(invoice_html(invoice))
    assert f"Invoice № {invoice.number}" in text and "of 03.11.2026" in text
    # supplier from settings
    assert "ТОВ «Тест Постач»" in text and "EDRPOU 12345678" in text and "UA213223130000026007233566001" in text
    assert "АТ «Банк», МФО 322313" in text and "01001, м. Київ, вул. Тестова, 1" in text
    assert "VAT number (IPN) 123456726591" in text and "Петренко П. П." in text
    # buyer from the client's legal details (R-ACC-10)
    assert "ТОВ «Квітка»" in text and "EDRPOU 87654321" in text and "79000, м. Львів, пл. Ринок, 1" in text
    assert "VAT number (IPN) 876543226591" in text
    # the line, the total, VAT included (1234 × 20 / 120 = 205.67), the amount in words
    assert "1,234.00" in text
    assert "Including VAT 20 %: 205.67" in text
    assert "Одна тисяча двісті тридцять чотири гривні 00 копійок" in text
    assert f"Оплата за рахунком № {invoice.number}" in text
    assert "Pay by 08.11.2026" in text


def test_r_bill_02_a_supplier_not_paying_vat_prints_without_vat(supplier):
    supplier.SMSPORTAL_SUPPLIER_VAT_PAYER = False
    client = _legal_client(vat_payer=False, vat_number="")
    invoice = invoice_issue(client=client, amount=500)
    text = _text(invoice_html(invoice))
    assert "Without VAT" in text and "Including VAT" not in text and "VAT number" not in text
    assert "Not a VAT payer" in text
    assert "П'ятсот гривень 00 копійок, without VAT" in text


def test_r_bill_02_an_issued_invoice_keeps_the_supplier_it_was_issued_with(supplier):
    client = _legal_client()
    invoice = invoice_issue(client=client, amount=100)
    supplier.SMSPORTAL_SUPPLIER_NAME = "Renamed LLC"
    invoice.refresh_from_db()
    text = _text(invoice_html(invoice))
    assert "ТОВ «Тест Постач»" in text and "Renamed LLC" not in text


def test_r_acc_10_entrepreneur_buyer_prints_rnokpp(supplier):
    client = _legal_client(legal_form=Client.LegalForm.ENTREPRENEUR, legal_name="ФОП Коваль Іван Іванович",
                           tax_code="1234567890", vat_payer=False, vat_number="")
    text = _text(invoice_html(invoice_issue(client=client, amount=100)))
    assert "ФОП Коваль Іван Іванович, RNOKPP 1234567890" in text


def test_r_bill_02_invoice_pdf_is_a_real_pdf_of_the_same_document(supplier):
    invoice = invoice_issue(client=_legal_client(), amount=1234)
    html = invoice_html(invoice, for_pdf=True)
    assert "Одна тисяча двісті тридцять чотири гривні 00 копійок" in html
    assert "window.print()" not in html  # the PDF has no toolbar
    pdf = invoice_pdf(invoice)
    _assert_pdf(pdf)
    assert pdf_info(pdf, "Subject") == "Одна тисяча двісті тридцять чотири гривні 00 копійок"
    assert pdf_info(pdf, "Title") == f"Invoice № {invoice.number}"


def test_r_bill_02_documents_follow_the_clients_language_ukrainian_by_default():
    client = make_client()
    owner = client.users.first()
    owner.language = ""
    owner.save(update_fields=["language"])
    assert document_language(client) == "uk"
    owner.language = "en"
    owner.save(update_fields=["language"])
    assert document_language(client) == "en"


def test_r_bill_02_the_client_prints_and_downloads_its_invoice(web, supplier):
    invoice = invoice_issue(client=web.account, amount=300)
    detail = web.get(f"/billing/invoices/{invoice.public_id}/")
    assert f"/billing/invoices/{invoice.public_id}/document.pdf" in detail.content.decode()
    page = web.get(f"/billing/invoices/{invoice.public_id}/document/")
    assert page.status_code == 200 and "@media print" in page.content.decode()
    assert "Триста гривень 00 копійок" in page.content.decode()
    pdf = web.get(f"/billing/invoices/{invoice.public_id}/document.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert f'filename="invoice-{invoice.number}.pdf"' in pdf["Content-Disposition"]
    _assert_pdf(pdf.content)


def test_r_bill_02_another_clients_invoice_document_is_not_found(web):
    other = invoice_issue(client=make_client(name="Other"), amount=100)
    assert web.get(f"/billing/invoices/{other.public_id}/document/").status_code == 404
    assert web.get(f"/billing/invoices/{other.public_id}/document.pdf").status_code == 404


def test_r_bill_02_staff_open_any_invoice_document(client, supplier):
    invoice = invoice_issue(client=_legal_client(), amount=100)
    client.force_login(make_staff())
    page = client.get(f"/admin/billing/invoice/{invoice.pk}/document/")
    assert page.status_code == 200 and "Сто гривень 00 копійок" in page.content.decode()
    _assert_pdf(client.get(f"/admin/billing/invoice/{invoice.pk}/document.pdf").content)
