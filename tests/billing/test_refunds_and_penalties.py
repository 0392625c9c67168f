"""Refunds on termination (R-BILL-12), the overdraft term (R-BILL-09), the late-payment penalty
(R-BILL-15) and the grace period (R-BILL-04) on the Kyiv calendar: last allowed day, first refused."""
from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction

from accounts.models import AuditEvent
from accounts.services.termination import client_termination_request
from billing.exceptions import BillingError, OverdraftOverdue
from billing.iban import iban_mod97_ok, iban_ua_validate
from billing.models import DiscountRate, LedgerEntry, OverdraftPenalty, RefundRequest, Wallet
from billing.services import wallet_charge, wallet_overdraft_set, wallet_topup
from billing.services.ledger import overdraft_due_date, wallet_assert_can_spend
from billing.services.penalties import overdraft_penalties_accrue, overdraft_penalty_amount
from billing.services.refunds import (RefundError, refund_is_overdue, refund_request_create, refund_request_mark_paid,
                                      refund_requests_overdue)
from smsportal.kyiv import KYIV
from tests.billing.factories import make_staff
from tests.factories import make_client

pytestmark = pytest.mark.django_db

IBAN = "UA213223130000026007233566001"  # a valid check sum


def kyiv(*args):
    return datetime(*args, tzinfo=KYIV)


# --- R-BILL-12 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "ok"), [
    (IBAN, True), ("ua21 3223 1300 0002 6007 2335 6600 1", True),
    ("UA223223130000026007233566001", False),  # a check digit wrong
    ("UA21322313000002600723356600", False),  # 26 digits
    ("PL61109010140000071219812874", False),  # not Ukrainian
    ("UA21322313000002600723356600X", False),
])
def test_r_bill_12_iban_is_ua_and_27_digits_with_mod97(value, ok):
    if ok:
        assert iban_ua_validate(value) == IBAN
    else:
        with pytest.raises(Exception):  # noqa: B017 (ValidationError with a reason)
            iban_ua_validate(value)
    assert iban_mod97_ok(IBAN)


def _leaving(balance=300):
    client = make_client(name="Leaving LLC", balance=balance)
    client_termination_request(client=client)
    client.refresh_from_db()
    return client


def test_r_bill_12_refund_needs_termination_and_excludes_the_bonus():
    staying = make_client(name="Staying", balance=100)
    with pytest.raises(RefundError) as exc:
        refund_request_create(client=staying, iban=IBAN, account_holder="Staying LLC", holder_tax_code="12345678")
    assert exc.value.code == "refund_not_terminating"
    client = _leaving(balance=300)
    wallet = Wallet.objects.get(client=client)
    request = refund_request_create(client=client, iban=IBAN, account_holder="Leaving LLC", holder_tax_code="12345678")
    assert request.amount.amount == wallet.balance.amount - wallet.bonus.amount == Decimal("300")
    with pytest.raises(RefundError) as exc:  # one open request at a time
        refund_request_create(client=client, iban=IBAN, account_holder="Leaving LLC", holder_tax_code="12345678")
    assert exc.value.code == "refund_already_requested"


def test_r_bill_12_bad_iban_is_a_clear_error():
    client = _leaving()
    with pytest.raises(BillingError) as exc:
        refund_request_create(client=client, iban="UA223223130000026007233566001", account_holder="X",
                              holder_tax_code="12345678")
    assert exc.value.code == "invalid_iban" and "check digits" in exc.value.detail


def test_r_bill_12_ten_day_deadline_boundary_and_overdue_flag():
    client = _leaving()
    with time_machine.travel(kyiv(2026, 3, 1, 23, 30), tick=False):
        request = refund_request_create(client=client, iban=IBAN, account_holder="Leaving LLC",
                                        holder_tax_code="1234567890")
    assert request.due_date == date(2026, 3, 11)
    assert not refund_is_overdue(request, at=kyiv(2026, 3, 11, 23, 59))
    assert refund_is_overdue(request, at=kyiv(2026, 3, 12, 0, 0))
    assert list(refund_requests_overdue(at=kyiv(2026, 3, 12, 0, 0))) == [request]
    assert list(refund_requests_overdue(at=kyiv(2026, 3, 11, 12, 0))) == []


def test_r_bill_12_staff_mark_paid_records_the_payout_in_the_ledger(client):
    account = _leaving(balance=250)
    request = refund_request_create(client=account, iban=IBAN, account_holder="Leaving LLC", holder_tax_code="12345678")
    staff = make_staff()
    client.force_login(staff)
    assert client.get("/admin/billing/refundrequest/").status_code == 200
    assert client.get(f"/admin/billing/refundrequest/{request.pk}/change/").status_code == 200
    r = client.post(f"/admin/billing/refundrequest/{request.pk}/paid/", {"reference": "PP-2026-001"})
    assert r.status_code == 302
    request.refresh_from_db()
    assert request.status == RefundRequest.Status.PAID and request.entry.kind == LedgerEntry.Kind.PAYOUT
    assert request.entry.amount.amount == Decimal("-250")
    wallet = Wallet.objects.get(client=account)
    assert wallet.balance.amount == 0
    assert AuditEvent.objects.filter(code="billing.refund.paid", actor=staff).exists()
    with pytest.raises(RefundError):
        refund_request_mark_paid(request_id=request.pk, reference="again")


def test_r_bill_12_website_refund_page(web):
    page = web.get("/billing/refund/")
    assert page.status_code == 200 and "Give notice of termination" in page.content.decode()
    client_termination_request(client=web.account)
    r = web.post("/billing/refund/", {"iban": "UA223223130000026007233566001", "account_holder": "Acme LLC",
                                      "holder_tax_code": "12345678"})
    assert r.status_code == 200 and "check digits" in r.content.decode()
    r = web.post("/billing/refund/", {"iban": "UA21 3223 1300 0002 6007 2335 6600 1", "account_holder": "Acme LLC",
                                      "holder_tax_code": "12345678"})
    assert r.status_code == 302
    assert RefundRequest.objects.get(client=web.account).iban == IBAN


# --- R-BILL-09 and R-BILL-15 -------------------------------------------------------------------------

def _in_debt(at, debt=Decimal("100")):
    client = make_client(name="Debtor")
    wallet_overdraft_set(client=client, limit=5000, reason="Approved by the manager")
    with time_machine.travel(at, tick=False), transaction.atomic():
        wallet_charge(client=client, amount=debt, key="sms-batch", description="SMS")
    return client


def test_r_bill_09_overdraft_term_is_ten_calendar_days_boundary():
    client = _in_debt(kyiv(2026, 3, 25, 22, 0))  # the term crosses the DST switch of 29 March
    wallet = Wallet.objects.get(client=client)
    assert overdraft_due_date(wallet) == date(2026, 4, 4)
    with time_machine.travel(kyiv(2026, 4, 4, 23, 59), tick=False):
        wallet_assert_can_spend(client)
    with time_machine.travel(kyiv(2026, 4, 5, 0, 0), tick=False), pytest.raises(OverdraftOverdue):
        wallet_assert_can_spend(client)


def test_r_bill_15_penalty_is_twice_the_nbu_rate_per_day_from_the_first_day_past_the_term():
    DiscountRate.objects.create(effective_from=date(2026, 1, 1), rate=Decimal("15.5"))
    DiscountRate.objects.create(effective_from=date(2026, 3, 13), rate=Decimal("14.0"))
    client = _in_debt(kyiv(2026, 3, 1, 12, 0), debt=Decimal("1000"))
    assert overdraft_penalties_accrue(day=date(2026, 3, 11)) == 0  # the last day of the term
    assert overdraft_penalties_accrue(day=date(2026, 3, 12)) == 1  # the first day of delay
    assert overdraft_penalties_accrue(day=date(2026, 3, 12)) == 0  # idempotent per day
    first = OverdraftPenalty.objects.get(day=date(2026, 3, 12))
    # 1000 × 2 × 15.5 % / 365
    assert first.amount.amount == Decimal("0.85") == overdraft_penalty_amount(
        debt=Decimal("1000"), rate=Decimal("15.5"), day=date(2026, 3, 12))
    assert overdraft_penalties_accrue(day=date(2026, 3, 13)) == 1  # the new rate in force that day
    second = OverdraftPenalty.objects.get(day=date(2026, 3, 13))
    assert second.rate == Decimal("14.0") and second.debt.amount == Decimal("1000.85")
    # on the statement: penalty entries with the day and the rate
    entries = LedgerEntry.objects.filter(wallet__client=client, kind=LedgerEntry.Kind.PENALTY).order_by("id")
    assert [e.details["day"] for e in entries] == ["2026-03-12", "2026-03-13"]
    assert "2 × NBU discount rate 15.5" in entries[0].description


def test_r_bill_15_leap_year_divides_by_366_and_repaid_debt_stops_the_penalty():
    assert overdraft_penalty_amount(debt=Decimal("36600"), rate=Decimal("10"), day=date(2028, 3, 1)) == Decimal("20.00")
    assert overdraft_penalty_amount(debt=Decimal("36500"), rate=Decimal("10"), day=date(2027, 3, 1)) == Decimal("20.00")
    DiscountRate.objects.create(effective_from=date(2026, 1, 1), rate=Decimal("15.5"))
    client = _in_debt(kyiv(2026, 3, 1, 12, 0))
    wallet_topup(client=client, amount=Decimal("200"), key="repaid")
    assert overdraft_penalties_accrue(day=date(2026, 3, 20)) == 0


def test_r_bill_15_penalty_job_is_declared_for_beat():
    from django_celery_beat.models import PeriodicTask

    assert PeriodicTask.objects.filter(task="billing.overdraft_penalties", enabled=True).exists()


# --- R-BILL-04 ---------------------------------------------------------------------------------------

def test_r_bill_04_grace_period_boundary_across_the_autumn_dst_switch(tariff):
    from billing.models import GracePeriod, TopupStep
    from djmoney.money import Money

    TopupStep.objects.create(tariff=tariff, number=1, min_amount=Money(1, "UAH"))
    TopupStep.objects.create(tariff=tariff, number=2, min_amount=Money(1000, "UAH"))
    client = make_client(name="Grace")
    with time_machine.travel(kyiv(2026, 10, 1, 9, 0), tick=False):
        wallet_topup(client=client, amount=Decimal("1000"), key="big")
    period = GracePeriod.objects.get(wallet__client=client)
    assert period.valid_through == date(2026, 10, 31)  # 30th day after 1 October
    assert period.is_active(kyiv(2026, 10, 31, 23, 59, 59))
    assert not period.is_active(kyiv(2026, 11, 1, 0, 0))
