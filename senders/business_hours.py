"""Kyiv business hours for the moderation target (R-SND-04: a decision within 2 business hours).

Business hours are 09:00–18:00 Europe/Kyiv, Monday to Friday, except the public days off of the
real calendar (`holidays.Ukraine`). Under martial law Ukraine has had no public days off since
2023, so the library's default category is empty for those years and every weekday counts;
the day the law changes, a `holidays` update brings the days off back with no code change.
Staff can add extra days off with the SMSPORTAL_EXTRA_DAYS_OFF setting (ISO dates).
"""
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from django.conf import settings

from smsportal.kyiv import KYIV

OPEN, CLOSE = time(9, 0), time(18, 0)
MODERATION_TARGET = timedelta(hours=2)


@lru_cache(maxsize=16)
def _days_off(year: int) -> frozenset:
    try:
        import holidays  # noqa: PLC0415
    except ImportError:  # pragma: no cover - the package is in requirements
        days = set()
    else:
        days = set(holidays.Ukraine(years=year).keys())
    extra = {date.fromisoformat(d) for d in getattr(settings, "SMSPORTAL_EXTRA_DAYS_OFF", [])}
    return frozenset(days | {d for d in extra if d.year == year})


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _days_off(day.year)


def _next_open(day: date) -> datetime:
    day += timedelta(days=1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, OPEN, tzinfo=KYIV)


def business_deadline(start: datetime, duration: timedelta = MODERATION_TARGET) -> datetime:
    """The moment `duration` of business time has passed since `start`."""
    t = start.astimezone(KYIV)
    remaining = duration
    while True:
        day = t.date()
        if not is_business_day(day) or t.time() >= CLOSE:
            t = _next_open(day)
            continue
        if t.time() < OPEN:
            t = datetime.combine(day, OPEN, tzinfo=KYIV)
        close = datetime.combine(day, CLOSE, tzinfo=KYIV)
        if t + remaining <= close:
            return t + remaining
        remaining -= close - t
        t = _next_open(day)


def business_time_between(start: datetime, end: datetime) -> timedelta:
    """Business time from `start` to `end` (zero when `end` is earlier)."""
    total = timedelta(0)
    t = start.astimezone(KYIV)
    end = end.astimezone(KYIV)
    while t < end:
        day = t.date()
        if not is_business_day(day) or t.time() >= CLOSE:
            t = _next_open(day)
            continue
        if t.time() < OPEN:
            t = datetime.combine(day, OPEN, tzinfo=KYIV)
            continue
        close = datetime.combine(day, CLOSE, tzinfo=KYIV)
        total += min(close, end) - t
        t = close
    return total
