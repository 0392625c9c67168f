"""Contractual periods counted on the Kyiv calendar (RULES.md: "Periods given in years, months or
calendar days are calendar periods counted on Kyiv dates, never a fixed number of days").

Every deadline of the contract goes through here: the 2-day explanation window after a block
(R-ACC-06), dormancy after 3 years (R-ACC-07), destruction 1 year after termination (R-ACC-08),
the 30-day grace period (R-BILL-04), the 10-day overdraft term (R-BILL-09), the 10-day refund term
(R-BILL-12), announcement periods (R-SVC-01, R-SVC-02, R-BILL-13), termination notice.

Years and months move along the calendar: a month after 31 January is 28 (29) February, a year
after 29 February is 28 February (end-of-month clamping). Days are calendar days: a day after
Kyiv's 30 March (a 23-hour DST day) is 31 March at the same wall-clock time, not 24 hours later.
"""
import calendar
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from .kyiv import KYIV


def add_calendar_days(day: date, days: int) -> date:
    return day + timedelta(days=days)


def add_calendar_months(day: date, months: int) -> date:
    """`day` moved by `months` calendar months; a day past the month's end becomes its last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_calendar_years(day: date, years: int) -> date:
    return add_calendar_months(day, 12 * years)


def _shift(day: date, *, days: int = 0, months: int = 0, years: int = 0) -> date:
    day = add_calendar_months(day, months + 12 * years) if (months or years) else day
    return add_calendar_days(day, days) if days else day


def kyiv_shift(at: datetime, *, days: int = 0, months: int = 0, years: int = 0) -> datetime:
    """The same Kyiv wall-clock time, `days`/`months`/`years` later (or earlier, with negatives) on the
    Kyiv calendar; an instant (aware datetime) comes back."""
    local = at.astimezone(KYIV)
    day = _shift(local.date(), days=days, months=months, years=years)
    return datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=KYIV)


def kyiv_day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=KYIV)


def kyiv_last_day(start: datetime | date, *, days: int = 0, months: int = 0, years: int = 0) -> date:
    """The last Kyiv day of a period of `days`/`months`/`years` counted from `start`'s Kyiv day (the
    day after it is day 1): a 10-day term from 1 March ends on 11 March inclusive."""
    if isinstance(start, datetime):
        start = start.astimezone(KYIV).date()
    return _shift(start, days=days, months=months, years=years)


def kyiv_period_end(start: datetime | date, *, days: int = 0, months: int = 0, years: int = 0) -> datetime:
    """The exclusive end of that period: midnight (Kyiv) starting the day after its last day."""
    return kyiv_day_start(kyiv_last_day(start, days=days, months=months, years=years) + timedelta(days=1))


def kyiv_now_date() -> date:
    return timezone.now().astimezone(KYIV).date()


def kyiv_earliest_start_covering(day: date, *, days: int = 0, months: int = 0, years: int = 0) -> date:
    """The earliest start day whose period (as `kyiv_last_day` counts it) still covers `day`: a period
    that started on an earlier Kyiv day has run out by `day`. Used to query "over 3 years ago"."""
    start = _shift(day, days=-days, months=-months, years=-years)
    while kyiv_last_day(start, days=days, months=months, years=years) < day:
        start += timedelta(days=1)
    while kyiv_last_day(start - timedelta(days=1), days=days, months=months, years=years) >= day:
        start -= timedelta(days=1)
    return start


def kyiv_period_over(start: datetime | date, at: datetime | None = None, *, days: int = 0, months: int = 0,
                     years: int = 0) -> bool:
    """Whether the period counted from `start` has run out at `at` (default now)."""
    return (at or timezone.now()) >= kyiv_period_end(start, days=days, months=months, years=years)
