"""Kyiv time: the calendar every day-based rule of smsportal follows (grace periods, overdraft due
dates, invoice years, block deadlines, business hours, statistics per day or month)."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

KYIV = ZoneInfo("Europe/Kyiv")


def kyiv_date(at: datetime | None = None) -> date:
    """The Kyiv calendar day of `at` (default now)."""
    return (at or timezone.now()).astimezone(KYIV).date()


def kyiv_midnight(day: date) -> datetime:
    """The first instant of `day` in Kyiv (correct across the DST switches)."""
    return datetime.combine(day, time.min, tzinfo=KYIV)


def end_of_day_after(day: date, days: int) -> datetime:
    """The exclusive end of the `days`-th day after `day`: midnight starting the day after it."""
    return kyiv_midnight(day + timedelta(days=days + 1))


def kyiv_day_end(at: datetime, *, days_after: int = 0) -> datetime:
    """The last second of the Kyiv calendar day `days_after` days after `at`'s day."""
    day = at.astimezone(KYIV).date() + timedelta(days=days_after)
    return datetime.combine(day, time(23, 59, 59), tzinfo=KYIV)
