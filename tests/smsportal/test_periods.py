"""Calendar periods on Kyiv dates (RULES.md: years and months as on a calendar, never a fixed
number of days): end-of-month clamping, leap years, daylight-saving days."""
from datetime import UTC, date, datetime, timedelta

import pytest

from smsportal.kyiv import KYIV
from smsportal.periods import (add_calendar_days, add_calendar_months, add_calendar_years,
                               kyiv_earliest_start_covering, kyiv_last_day, kyiv_period_end, kyiv_period_over,
                               kyiv_shift)


@pytest.mark.parametrize(("start", "months", "expected"), [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
    (date(2026, 3, 31), 1, date(2026, 4, 30)),
    (date(2026, 12, 15), 1, date(2027, 1, 15)),
    (date(2026, 3, 31), -1, date(2026, 2, 28)),
    (date(2026, 5, 31), 13, date(2027, 6, 30)),
])
def test_months_clamp_to_the_end_of_the_month(start, months, expected):
    assert add_calendar_months(start, months) == expected


def test_a_year_after_29_february_is_28_february_and_back():
    assert add_calendar_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_calendar_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert add_calendar_years(date(2025, 2, 28), -1) == date(2024, 2, 28)
    assert add_calendar_days(date(2028, 2, 28), 1) == date(2028, 2, 29)
    # three calendar years are not 3 × 365 days when a 29 February lies between
    assert add_calendar_years(date(2023, 3, 1), 3) - date(2023, 3, 1) == timedelta(days=366 + 365 + 365)


def test_a_calendar_day_across_the_spring_dst_switch_is_23_hours():
    # Kyiv: last Sunday of March 2026 is 29 March, 03:00 → 04:00.
    before = datetime(2026, 3, 28, 12, 0, tzinfo=KYIV)
    after = kyiv_shift(before, days=1)
    assert after.astimezone(KYIV).replace(tzinfo=None) == datetime(2026, 3, 29, 12, 0)
    assert after.astimezone(UTC) - before.astimezone(UTC) == timedelta(hours=23)  # real time elapsed
    # a fixed 24 hours would be 13:00 wall-clock on the switch day
    assert (before.astimezone(UTC) + timedelta(hours=24)).astimezone(KYIV).hour == 13


def test_a_calendar_day_across_the_autumn_dst_switch_is_25_hours():
    # last Sunday of October 2026 is 25 October, 04:00 → 03:00.
    before = datetime(2026, 10, 24, 12, 0, tzinfo=KYIV)
    assert kyiv_shift(before, days=1).astimezone(UTC) - before.astimezone(UTC) == timedelta(hours=25)
    # the day itself is 25 hours long: its end is midnight Kyiv, not 24 hours after its start
    end = kyiv_period_end(date(2026, 10, 25))
    assert end == datetime(2026, 10, 26, 0, 0, tzinfo=KYIV)
    assert end.astimezone(UTC) - datetime(2026, 10, 25, 0, 0, tzinfo=KYIV).astimezone(UTC) == timedelta(hours=25)


def test_period_last_day_and_end_count_from_the_kyiv_day_of_the_start():
    # 23:30 UTC on 28 Feb is already 1 March in Kyiv (UTC+2)
    start = datetime(2026, 2, 28, 22, 30, tzinfo=KYIV).astimezone(KYIV)
    utc_late = datetime.fromisoformat("2026-02-28T22:30:00+00:00")
    assert kyiv_last_day(utc_late, days=10) == date(2026, 3, 11)
    assert kyiv_last_day(start, days=10) == date(2026, 3, 10)
    assert kyiv_period_end(date(2026, 3, 1), days=30) == datetime(2026, 4, 1, tzinfo=KYIV)


def test_period_over_boundary_last_allowed_instant_and_first_refused():
    start = date(2026, 3, 1)
    assert not kyiv_period_over(start, datetime(2026, 3, 11, 23, 59, 59, tzinfo=KYIV), days=10)
    assert kyiv_period_over(start, datetime(2026, 3, 12, 0, 0, tzinfo=KYIV), days=10)


@pytest.mark.parametrize("day", [date(2027, 2, 28), date(2027, 3, 1), date(2028, 2, 29), date(2028, 3, 1),
                                 date(2026, 3, 29), date(2026, 10, 25)])
def test_earliest_start_covering_is_exact(day):
    start = kyiv_earliest_start_covering(day, years=3)
    assert kyiv_last_day(start, years=3) >= day
    assert kyiv_last_day(start - timedelta(days=1), years=3) < day


def test_r_msg_04_and_r_vib_07_windows_are_calendar_days_across_dst():
    from messaging.services.dispatch.receipts import receipt_window_end
    from messaging.viber.provider import status_window_open

    submitted = datetime(2026, 3, 25, 10, 0, tzinfo=KYIV)  # 7 days later crosses 29 March
    assert receipt_window_end(submitted) == datetime(2026, 4, 1, 10, 0, tzinfo=KYIV)
    sent = datetime(2026, 10, 20, 9, 0, tzinfo=KYIV)  # TTL 1 day, then 14 calendar days: across 25 October
    assert status_window_open(sent_at=sent, ttl=86400, now=datetime(2026, 11, 4, 9, 0, tzinfo=KYIV))
    assert not status_window_open(sent_at=sent, ttl=86400, now=datetime(2026, 11, 4, 9, 0, 1, tzinfo=KYIV))
