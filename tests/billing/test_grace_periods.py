"""Top-up steps and grace periods (R-BILL-04; T 2.31, 2.32, 5.4 with Examples 1 and 2).

Prices (stepped_tariff): regular 1.00 UAH a segment; step 2 (one top-up of 1,000+) 0.90;
step 3 (5,000+) 0.80. Times are Kyiv; 2026 crosses the DST switch on March 29.
"""
from datetime import date, datetime
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
import time_machine

from billing.models import GracePeriod
from billing.services import grace_period_current, sms_price, wallet_topup
from tests.billing.factories import kyiv, stepped_tariff
from tests.factories import make_client

pytestmark = pytest.mark.django_db

KYIVSTAR = "+380671234567"


@pytest.fixture
def tariff(db):
    return stepped_tariff()


def _topup(client, when: str, amount: int, key: str):
    with time_machine.travel(kyiv(when), tick=False):
        return wallet_topup(client=client, amount=Decimal(amount), key=key)


def price_at(client, when: str) -> Decimal:
    with time_machine.travel(kyiv(when), tick=False):
        return sms_price(client=client, recipient=KYIVSTAR, segments=1).amount


def test_r_bill_04_example_1_a_lower_period_takes_over_then_regular(tariff):
    """T 5.4 Example 1. March 1: a top-up opens a reduced period (valid to March 31 inclusive).
    March 15: a top-up qualifying for an even lower price (valid to April 14 inclusive).
    March 1–14: the first period; March 15 – April 14: the lower one; from April 15: regular."""
    client = make_client()
    _topup(client, "2026-03-01 10:00", 1000, "mar-1")
    _topup(client, "2026-03-15 10:00", 5000, "mar-15")

    assert price_at(client, "2026-03-01 10:00:01") == Decimal("0.90")
    assert price_at(client, "2026-03-14 23:59:59") == Decimal("0.90")
    assert price_at(client, "2026-03-15 10:00:01") == Decimal("0.80")
    assert price_at(client, "2026-03-31 12:00") == Decimal("0.80")
    assert price_at(client, "2026-04-14 23:59:59") == Decimal("0.80")
    assert price_at(client, "2026-04-15 00:00") == Decimal("1.00")
    first, second = GracePeriod.objects.order_by("starts_at")
    assert (first.step, first.valid_through) == (2, date(2026, 3, 31))
    assert (second.step, second.valid_through) == (3, date(2026, 4, 14))


def test_r_bill_04_example_2_a_higher_period_waits_for_the_lower_one_to_end(tariff):
    """T 5.4 Example 2. March 1: a top-up opens the lowest-price period (to March 31 inclusive).
    March 15: a top-up qualifying for a higher price (to April 14 inclusive).
    March 1–31: the lowest price; April 1–14: the higher grace price; from April 15: regular."""
    client = make_client()
    _topup(client, "2026-03-01 10:00", 5000, "mar-1")
    _topup(client, "2026-03-15 10:00", 1000, "mar-15")

    assert price_at(client, "2026-03-01 10:00:01") == Decimal("0.80")
    assert price_at(client, "2026-03-15 10:00:01") == Decimal("0.80")
    assert price_at(client, "2026-03-31 23:59:59") == Decimal("0.80")
    assert price_at(client, "2026-04-01 00:00") == Decimal("0.90")
    assert price_at(client, "2026-04-14 23:59:59") == Decimal("0.90")
    assert price_at(client, "2026-04-15 00:00") == Decimal("1.00")


def test_r_bill_04_period_runs_from_the_topup_to_the_end_of_the_30th_day_kyiv_time(tariff):
    client = make_client()
    assert price_at(client, "2026-03-01 09:59") == Decimal("1.00")
    entry = _topup(client, "2026-03-01 10:00", 1000, "mar-1")
    period = entry.grace_period
    assert period.starts_at == entry.created_at == kyiv("2026-03-01 10:00")
    # Through March 31 inclusive: the period ends at midnight starting April 1, Kyiv (summer time by then).
    assert period.ends_at == kyiv("2026-04-01 00:00")
    period.refresh_from_db()
    assert period.ends_at.isoformat() == "2026-03-31T21:00:00+00:00"  # +03:00 after March 29
    assert price_at(client, "2026-03-31 23:59:59") == Decimal("0.90")
    assert price_at(client, "2026-04-01 00:00") == Decimal("1.00")


def test_r_bill_04_the_topup_day_is_the_kyiv_day():
    """23:30 UTC on Feb 28 is already March 1 in Kyiv: valid through March 31, not March 30."""
    stepped_tariff()
    client = make_client()
    with time_machine.travel(datetime(2026, 2, 28, 23, 30, tzinfo=dt_timezone.utc), tick=False):
        entry = wallet_topup(client=client, amount=Decimal("1000"), key="late")
    assert entry.grace_period.valid_through == date(2026, 3, 31)


def test_r_bill_04_periods_never_stack_or_extend(tariff):
    """Two step-2 top-ups: each has its own 30 days; together they give no more than the later one."""
    client = make_client()
    _topup(client, "2026-03-01 10:00", 1000, "a")
    _topup(client, "2026-03-01 11:00", 1000, "b")  # the same day: not 60 days
    _topup(client, "2026-03-20 10:00", 2000, "c")
    assert sorted(p.valid_through for p in GracePeriod.objects.all()) == [date(2026, 3, 31), date(2026, 3, 31),
                                                                          date(2026, 4, 19)]
    assert price_at(client, "2026-04-19 23:59") == Decimal("0.90")
    assert price_at(client, "2026-04-20 00:00") == Decimal("1.00")


def test_r_bill_04_step_one_topups_open_no_period(tariff):
    client = make_client()
    _topup(client, "2026-03-01 10:00", 999, "small")
    assert not GracePeriod.objects.exists()
    assert price_at(client, "2026-03-02 10:00") == Decimal("1.00")


def test_r_bill_04_steps_are_per_single_topup_not_cumulative(tariff):
    client = make_client()
    for i in range(3):
        _topup(client, f"2026-03-0{i + 1} 10:00", 600, f"t{i}")  # 1,800 UAH in total, never 1,000 at once
    assert not GracePeriod.objects.exists()


def test_r_bill_04_grace_prices_only_where_the_step_has_a_line(tariff):
    """Step lines are for Ukraine: abroad the regular price still applies during the period."""
    client = make_client()
    _topup(client, "2026-03-01 10:00", 5000, "big")
    with time_machine.travel(kyiv("2026-03-02 10:00"), tick=False):
        assert sms_price(client=client, recipient="+48512345678", segments=2).amount == Decimal("2.00")
        assert sms_price(client=client, recipient=KYIVSTAR, segments=2).amount == Decimal("1.60")


def test_r_bill_04_current_period_summary_for_your_price_is_x_until_date(tariff):
    client = make_client()
    _topup(client, "2026-03-01 10:00", 5000, "mar-1")
    _topup(client, "2026-03-15 10:00", 1000, "mar-15")
    with time_machine.travel(kyiv("2026-03-20 12:00"), tick=False):
        summary = grace_period_current(client=client)
    assert (summary.step, summary.price, summary.regular, summary.valid_through) == (
        3, Decimal("0.80"), Decimal("1.00"), date(2026, 3, 31))
    assert [p.valid_through for p in summary.others] == [date(2026, 4, 14)]
    with time_machine.travel(kyiv("2026-04-02 12:00"), tick=False):
        summary = grace_period_current(client=client)
    assert (summary.step, summary.price, summary.valid_through) == (2, Decimal("0.90"), date(2026, 4, 14))
    with time_machine.travel(kyiv("2026-04-15 00:00"), tick=False):
        assert grace_period_current(client=client) is None
