"""Penalty on an overdue overdraft (R-BILL-15, T 6.8).

Debt not repaid within its term (R-BILL-09, `ledger.overdraft_due_date`) bears, for each day of
delay, twice the NBU discount rate in force that day, on the unpaid amount: the daily amount is
debt × 2 × rate % ÷ the days of that calendar year, rounded half-up to the kopeck. Staff keep
the rates with their dates (`DiscountRate`, admin); a daily beat job posts one penalty entry per
wallet and Kyiv day (idempotent: the key names the day), shown on the client's statement.
"""
import calendar
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils.translation import gettext
from djmoney.money import Money

from accounts.services import audit_record
from smsportal.kyiv import kyiv_date

from ..models import DiscountRate, LedgerEntry, OverdraftPenalty, Wallet
from .ledger import _existing, _locked_wallet, _post, overdraft_due_date

CENT = Decimal("0.01")


def discount_rate_on(day: date) -> DiscountRate | None:
    return DiscountRate.objects.filter(effective_from__lte=day).order_by("-effective_from").first()


def overdraft_penalty_amount(*, debt: Decimal, rate: Decimal, day: date) -> Decimal:
    days_in_year = 366 if calendar.isleap(day.year) else 365
    return (Decimal(debt) * 2 * Decimal(rate) / 100 / days_in_year).quantize(CENT, rounding=ROUND_HALF_UP)


def overdraft_penalty_post(*, wallet_id: int, day: date) -> OverdraftPenalty | None:
    """The penalty of `day` for one wallet, if its debt is overdue on that day; once per day."""
    key = f"overdraft-penalty:{day.isoformat()}"
    with transaction.atomic():
        wallet = _locked_wallet(Wallet.objects.values_list("client_id", flat=True).get(pk=wallet_id))
        if _existing(wallet.pk, key) is not None:
            return None
        due = overdraft_due_date(wallet)
        if due is None or day <= due:
            return None
        rate = discount_rate_on(day)
        if rate is None:
            return None
        debt = -wallet.balance.amount
        amount = overdraft_penalty_amount(debt=debt, rate=rate.rate, day=day)
        if amount <= 0:
            return None
        entry = _post(wallet=wallet, kind=LedgerEntry.Kind.PENALTY, amount=-amount, key=key,
                      description=gettext("Late payment penalty for %(day)s: 2 × NBU discount rate %(rate)s %% on "
                                          "%(debt)s UAH") % {"day": f"{day:%d.%m.%Y}", "rate": rate.rate,
                                                             "debt": f"{debt:.2f}"},
                      details={"day": day.isoformat(), "rate": str(rate.rate), "debt": str(debt),
                               "overdue_since": due.isoformat()})
        penalty = OverdraftPenalty.objects.create(
            wallet=wallet, day=day, debt=Money(debt, "UAH"), rate=rate.rate, amount=Money(amount, "UAH"), entry=entry)
        audit_record(code="billing.overdraft.penalty", client=wallet.client, target=str(wallet.pk),
                     details={"day": day.isoformat(), "amount": str(amount), "rate": str(rate.rate)})
    return penalty


def overdraft_penalties_accrue(*, day: date | None = None) -> int:
    """Daily: posts the day's penalty on every overdue overdraft. Returns how many were posted."""
    day = day or kyiv_date()
    posted = 0
    for wallet_id in Wallet.objects.filter(balance__lt=0).order_by("pk").values_list("pk", flat=True):
        if overdraft_penalty_post(wallet_id=wallet_id, day=day) is not None:
            posted += 1
    return posted
