"""Invoices and payments: the client creates, staff or the payment system pay (R-BILL-02, R-BILL-03)."""
import hashlib
import hmac
import json
import threading

import pytest
import time_machine
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Client
from billing.exceptions import InvalidAmount, InvoiceConflict
from billing.models import GracePeriod, Invoice, LedgerEntry, Wallet
from billing.services import billing_config_get, invoice_cancel, invoice_issue, invoice_mark_paid
from tests.billing.factories import kyiv, make_staff, stepped_tariff
from tests.factories import make_client

pytestmark = pytest.mark.django_db

SECRET = "test-callback-secret"
CALLBACK = "/api/v1/payments/callback/"


@pytest.fixture
def secret(settings):
    settings.BILLING_PAYMENT_CALLBACK_SECRET = SECRET
    return SECRET


def _post_callback(payload, *, secret=SECRET, signature=None, raw=None):
    body = raw if raw is not None else json.dumps(payload).encode()
    sig = signature if signature is not None else hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return APIClient().post(CALLBACK, data=body, content_type="application/json", HTTP_X_SIGNATURE=sig)


def test_r_bill_02_invoice_has_a_yearly_number_and_both_parties_requisites():
    config = billing_config_get()
    config.provider_name = "Provider LLC"
    config.provider_requisites = "EDRPOU 12345678\nIBAN UA213223130000026007233566001"
    config.save()
    client = make_client(name="Kvitka LLC", email="owner@kvitka.ua")
    with time_machine.travel(kyiv("2026-12-31 23:00"), tick=False):
        a = invoice_issue(client=client, amount=1500)
        b = invoice_issue(client=client, amount=200)
    with time_machine.travel(kyiv("2027-01-01 00:30"), tick=False):  # still Dec 31 in UTC: the Kyiv year counts
        c = invoice_issue(client=client, amount=300)
    assert (a.number, b.number, c.number) == ("SP-2026-000001", "SP-2026-000002", "SP-2027-000001")
    assert a.provider_name == "Provider LLC" and "IBAN UA21" in a.provider_requisites
    assert a.client_name == "Kvitka LLC" and "owner@kvitka.ua" in a.client_requisites
    assert a.status == "issued" and a.amount.amount == 1500 and a.due_date.isoformat() == "2027-01-05"
    config.provider_name = "Renamed LLC"
    config.save()
    a.refresh_from_db()
    assert a.provider_name == "Provider LLC"  # an issued invoice keeps what it said
    assert AuditEvent.objects.filter(code="billing.invoice.issued", target="SP-2026-000001").exists()


def test_r_bill_03_invoices_are_whole_hryvnias():
    client = make_client()
    for bad in ["10.50", "0", "-1", "abc", "0.01", "100000000"]:
        with pytest.raises(InvalidAmount):
            invoice_issue(client=client, amount=bad)
    assert not Invoice.objects.exists()
    Client.objects.filter(pk=client.pk).update(status="terminated")
    client.refresh_from_db()
    with pytest.raises(Exception, match="terminated"):
        invoice_issue(client=client, amount=10)


def test_r_bill_02_staff_mark_paid_credits_once_and_opens_the_grace_period():
    stepped_tariff(valid_from="2026-01-01 00:00")
    client = make_client()
    staff = make_staff()
    invoice = invoice_issue(client=client, amount=5000)
    paid, credited = invoice_mark_paid(number=invoice.number, via="staff", reference="bank 24.11 #77", actor=staff)
    again, credited_again = invoice_mark_paid(number=invoice.number, via="staff", reference="bank 24.11 #77",
                                              actor=staff)
    assert (credited, credited_again) == (True, False)
    assert paid.status == "paid" and paid.paid_by == staff and paid.entry.kind == "topup"
    assert paid.entry.idempotency_key == f"invoice:{invoice.number}"
    assert Wallet.objects.get(client=client).balance.amount == 5000
    assert GracePeriod.objects.get(topup=paid.entry).step == 3
    assert AuditEvent.objects.filter(code="billing.invoice.paid", actor=staff).count() == 1


@pytest.mark.django_db(transaction=True)
def test_r_bill_02_concurrent_payments_of_one_invoice_credit_once(secret):
    client = make_client()
    invoice = invoice_issue(client=client, amount=100)
    results, barrier = [], threading.Barrier(8)

    def pay(i):
        try:
            barrier.wait()
            results.append(invoice_mark_paid(number=invoice.number, via="callback", reference="pay-1")[1])
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1 and results.count(False) == 7
    assert Wallet.objects.get(client=client).balance.amount == 100


def test_r_bill_02_signed_callback_credits_a_paid_invoice_idempotently(secret):
    client = make_client()
    invoice = invoice_issue(client=client, amount=1500)
    payload = {"invoice_number": invoice.number, "amount": "1500.00", "payment_id": "LP-991"}
    r = _post_callback(payload)
    assert r.status_code == 200, r.content
    assert r.json()["credited"] is True and r.json()["status"] == "paid"
    r = _post_callback(payload)  # the payment system retries
    assert r.status_code == 200 and r.json()["credited"] is False
    assert Wallet.objects.get(client=client).balance.amount == 1500
    invoice.refresh_from_db()
    assert (invoice.paid_via, invoice.payment_reference) == ("callback", "LP-991")
    # A number amount in the JSON is read exactly, never as a float.
    other = invoice_issue(client=client, amount=7)
    raw = ('{"invoice_number": "%s", "amount": 7.00, "payment_id": 5}' % other.number).encode()
    assert _post_callback(None, raw=raw).status_code == 200


def test_r_bill_02_callback_errors_are_clear_json(secret):
    client = make_client()
    invoice = invoice_issue(client=client, amount=100)
    ok = {"invoice_number": invoice.number, "amount": "100", "payment_id": "p1"}

    r = _post_callback(ok, signature="0" * 64)
    assert r.status_code == 403 and r.json()["code"] == "signature_invalid"
    r = _post_callback(ok, secret="wrong-secret")
    assert r.status_code == 403
    r = APIClient().post(CALLBACK, data=json.dumps(ok), content_type="application/json")  # no header
    assert r.status_code == 403
    r = _post_callback({**ok, "invoice_number": "SP-2026-999999"})
    assert r.status_code == 404 and r.json()["code"] == "invoice_not_found"
    r = _post_callback({**ok, "amount": "99.99"})
    assert r.status_code == 409 and r.json()["code"] == "amount_mismatch"
    r = _post_callback({"invoice_number": invoice.number})
    assert r.status_code == 400 and r.json()["code"] == "invalid"
    r = _post_callback(None, raw=b"not json")
    assert r.status_code == 400 and set(r.json()) >= {"code", "detail"}
    assert _post_callback(ok).status_code == 200
    r = _post_callback({**ok, "payment_id": "p2"})  # a second, different payment of a paid invoice
    assert r.status_code == 409 and r.json()["code"] == "invoice_already_paid"
    assert LedgerEntry.objects.filter(kind="topup").count() == 1


def test_r_bill_02_callback_refused_when_no_secret_is_configured(settings):
    settings.BILLING_PAYMENT_CALLBACK_SECRET = ""
    invoice = invoice_issue(client=make_client(), amount=100)
    r = _post_callback({"invoice_number": invoice.number, "amount": "100", "payment_id": "p"}, secret="")
    # 503, not 403: the payment system retries, and is credited once the secret is set.
    assert r.status_code == 503 and r.json()["code"] == "payment_callback_not_configured"
    invoice.refresh_from_db()
    assert invoice.status != "paid"


def test_r_bill_02_missing_callback_secret_is_a_deploy_warning(settings):
    from django.core.checks import run_checks  # noqa: PLC0415

    settings.BILLING_PAYMENT_CALLBACK_SECRET = ""
    assert "billing.W001" in {m.id for m in run_checks(include_deployment_checks=True)}
    settings.BILLING_PAYMENT_CALLBACK_SECRET = "s" * 40
    assert "billing.W001" not in {m.id for m in run_checks(include_deployment_checks=True)}


def test_cancelled_invoice_cannot_be_paid_and_a_paid_one_cannot_be_cancelled():
    client = make_client()
    a = invoice_issue(client=client, amount=10)
    invoice_cancel(number=a.number, reason="client asked")
    with pytest.raises(InvoiceConflict) as exc:
        invoice_mark_paid(number=a.number, via="staff", reference="x")
    assert exc.value.code == "invoice_cancelled"
    b = invoice_issue(client=client, amount=10)
    invoice_mark_paid(number=b.number, via="staff", reference="x")
    with pytest.raises(InvoiceConflict):
        invoice_cancel(number=b.number, reason="too late")


def test_r_bill_02_invoice_prints_the_clients_legal_details():
    from accounts.services import client_legal_update

    client = make_client(name="Kvitka", email="owner@kvitka.ua")
    client_legal_update(client=client, data={
        "legal_form": "legal_entity", "legal_name": "Kvitka LLC", "tax_code": "14360570", "vat_payer": True,
        "vat_number": "143605726543", "postal_address": "1 Khreshchatyk St,\nKyiv, 01001"})
    client.refresh_from_db()
    invoice = invoice_issue(client=client, amount=500)
    assert invoice.client_requisites.splitlines()[:4] == [
        "Kvitka LLC", "EDRPOU 14360570", "VAT payer, IPN 143605726543", "1 Khreshchatyk St, Kyiv, 01001"]
    from django.test import Client as WebClient
    from django.urls import reverse

    web = WebClient()
    web.force_login(client.users.first())
    assert "EDRPOU 14360570" in web.get(reverse("invoice_detail", args=[invoice.public_id])).content.decode()
