"""Legal sending hours (R-CMP-07), Kyiv time: 09:00–20:00 on business days, 11:00–18:00 on
weekends and public holidays. A message outside the window is not refused: it waits for the next
opening (`send_time_for`), and the client is told why (`OUTSIDE_SENDING_HOURS`). Staff approve
a client's service messages (codes, bank confirmations, taxi) for round-the-clock sending;
advertising always keeps the window.

Which days are public holidays, in this order:
1. a staff `CalendarDay` for that date (admin) decides, whatever the weekday;
2. else a holiday of the `holidays` package's Ukrainian calendar, as the
   SMSPORTAL_SENDING_HOURS_HOLIDAYS setting says:
   - "named" (default): every holiday the law names, days off or not. Under martial law Ukraine
     has had no public days off since 2023 (`holidays.Ukraine()` is empty for those years), but
     Independence Day, Christmas and the rest are still holidays by name (the package's
     "workday" category). The short window is never wrong on such a day, the long one may be;
   - "days_off": only the public days off (the package's default category), so under martial
     law a holiday on a weekday gets the business-day window;
3. else Saturday and Sunday are weekends, the other days business days.

Everything here is computed from a `SendingCalendar` (the staff days, loaded once per process and
checked against a version counter: `sending_calendar_get`) and needs no query
of its own; a caller judging a batch gets the calendar and the `Versions` once and passes them.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Client
from smsportal.cache import VersionedCache, Versions
from smsportal.kyiv import KYIV
from smsportal.message_types import MessageType

from .models import CalendarDay, SendingHoursExemption

BUSINESS_DAY_WINDOW = (time(9, 0), time(20, 0))
REST_DAY_WINDOW = (time(11, 0), time(18, 0))

OUTSIDE_SENDING_HOURS = "outside_sending_hours"
"""The reason code of a message held for the next opening (API field, website notice)."""

HOLIDAYS_NAMED = "named"
HOLIDAYS_DAYS_OFF = "days_off"
HOLIDAY_MODES = (HOLIDAYS_NAMED, HOLIDAYS_DAYS_OFF)


def holiday_mode() -> str:
    mode = getattr(settings, "SMSPORTAL_SENDING_HOURS_HOLIDAYS", HOLIDAYS_NAMED)
    if mode not in HOLIDAY_MODES:
        raise ValueError(f"SMSPORTAL_SENDING_HOURS_HOLIDAYS must be one of {HOLIDAY_MODES}, not {mode!r}")
    return mode


@lru_cache(maxsize=64)
def public_holidays(year: int, mode: str) -> frozenset[date]:
    """Ukraine's public holidays of `year` from the `holidays` package, as `mode` reads them."""
    import holidays  # noqa: PLC0415 - a few ms to import; only needed once a year is asked

    categories = ("public", "workday") if mode == HOLIDAYS_NAMED else ("public",)
    return frozenset(holidays.Ukraine(years=year, categories=categories).keys())


class SendingCalendar:
    """The sending window of every Kyiv day: staff overrides (date → CalendarDay.Kind) over
    the `holidays` calendar over the weekday. Immutable; safe to share between threads."""

    __slots__ = ("overrides", "mode")

    def __init__(self, overrides: dict[date, str] | None = None, mode: str | None = None):
        self.overrides = dict(overrides or {})
        self.mode = mode or holiday_mode()
        if self.mode not in HOLIDAY_MODES:
            raise ValueError(f"unknown holiday mode {self.mode!r}")

    def is_rest_day(self, day: date) -> bool:
        """A weekend or public holiday (the short window)."""
        kind = self.overrides.get(day)
        if kind is not None:
            return kind == CalendarDay.Kind.HOLIDAY
        return day.weekday() >= 5 or day in public_holidays(day.year, self.mode)

    def window(self, day: date) -> tuple[datetime, datetime]:
        """[open, close) of `day`, aware in Kyiv time (right across the DST switches)."""
        start, end = REST_DAY_WINDOW if self.is_rest_day(day) else BUSINESS_DAY_WINDOW
        return datetime.combine(day, start, tzinfo=KYIV), datetime.combine(day, end, tzinfo=KYIV)

    def is_open(self, at: datetime) -> bool:
        local = _kyiv(at)
        start, end = self.window(local.date())
        return start <= local < end

    def next_opening(self, at: datetime) -> datetime:
        """The first moment at or after `at` inside a window: `at` itself (in Kyiv time) when
        the window is open, else the next day's opening time."""
        local = _kyiv(at)
        day = local.date()
        start, end = self.window(day)
        if local < start:
            return start
        if local < end:
            return local
        return self.window(day + timedelta(days=1))[0]


def _kyiv(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("sending hours need an aware datetime")
    return at.astimezone(KYIV)


_CALENDARS = VersionedCache(maxsize=8)
_EXEMPT_TYPES = VersionedCache(maxsize=4096)


def sending_calendar_get(*, versions: Versions | None = None) -> SendingCalendar:
    """The calendar with every staff `CalendarDay`, from the process's cache: loaded again when
    the "calendar" counter moved (any staff day added, changed or removed; smsportal.cache) or
    the holiday setting changed. One query (the counters) unless `versions` is given."""
    versions = versions or Versions()
    mode = holiday_mode()
    return _CALENDARS.get((versions.key("calendar"), mode), lambda: SendingCalendar(
        dict(CalendarDay.objects.values_list("date", "kind")), mode))


def sending_hours_exempt_types(*, client_id: int, versions: Versions | None = None) -> frozenset[str]:
    """The message types staff approved for round-the-clock sending for this client, from the
    process's cache (the client's "hoursexempt" counter). `versions` of another client are
    not this client's counters: they are read again."""
    if versions is None or versions.client_id != client_id:
        versions = Versions(client_id)
    return _EXEMPT_TYPES.get((versions.key("hoursexempt", per_client=True), client_id), lambda: frozenset(
        SendingHoursExemption.objects.filter(client_id=client_id).values_list("message_type", flat=True)))


_EXEMPT_CLIENTS = VersionedCache(maxsize=8)


def _exempt_clients(versions: Versions | None) -> tuple[frozenset[int], frozenset[int]]:
    """(clients with a round-the-clock exemption of their service messages, those of them whose
    service messages also skip the 10-a-day cap), from the process's cache: loaded again when
    the whole "hoursexempt" scope moved (any exemption added, changed or removed; compliance
    migration 0006). A small table: one row per exempt client."""
    versions = versions or Versions()

    def load():
        rows = list(SendingHoursExemption.objects.filter(message_type=MessageType.SERVICE).values_list(
            "client_id", "frequency_cap_exempt"))
        return frozenset(c for c, _cap in rows), frozenset(c for c, cap in rows if cap)

    return _EXEMPT_CLIENTS.get(versions.key("hoursexempt"), load)


def sending_hours_exempt_clients(versions: Versions | None = None) -> frozenset[int]:
    """Every client whose service messages staff approved for round-the-clock sending (R-CMP-07),
    for the set-based checks of the minute job and the connector's claim. No query when
    `versions` is given and the process has seen it; else one (the counters)."""
    return _exempt_clients(versions)[0]


def frequency_cap_exempt_clients(versions: Versions | None = None) -> frozenset[int]:
    """Every client whose service messages staff exempted from the 10-a-day cap too (R-CMP-03:
    round-the-clock service messages such as one-time codes), cached as
    `sending_hours_exempt_clients`."""
    return _exempt_clients(versions)[1]


def frequency_cap_exempt(*, client_id: int, message_type: str, versions: Versions | None = None) -> bool:
    """Whether `client_id`'s messages of `message_type` skip the 10-a-day cap (R-CMP-03): only
    service messages, and only where staff said so."""
    return message_type == MessageType.SERVICE and client_id in frequency_cap_exempt_clients(versions)


def _calendar(calendar: SendingCalendar | None) -> SendingCalendar:
    return calendar if calendar is not None else sending_calendar_get()


def sending_window(day: date, *, calendar: SendingCalendar | None = None) -> tuple[datetime, datetime]:
    """[open, close) of the Kyiv day `day` as aware datetimes (R-CMP-07)."""
    return _calendar(calendar).window(day)


def is_open(at: datetime, *, calendar: SendingCalendar | None = None) -> bool:
    """Whether a message that is not exempt may go at `at` (R-CMP-07)."""
    return _calendar(calendar).is_open(at)


def next_opening(at: datetime, *, calendar: SendingCalendar | None = None) -> datetime:
    """The earliest moment at or after `at` when the window is open (`at` itself when it is)."""
    return _calendar(calendar).next_opening(at)


class SendTime(NamedTuple):
    send_at: datetime
    reason: str | None  # OUTSIDE_SENDING_HOURS when the message waits for the window


def send_time_for(*, client: Client | int, message_type: str, at: datetime | None = None,
                  calendar: SendingCalendar | None = None, versions: Versions | None = None) -> SendTime:
    """When a message of `client` of `message_type` wanted at `at` (default now) may go
    (R-CMP-07): `at` when the window is open or staff exempted the client's messages of that
    type, else the next opening with the reason `OUTSIDE_SENDING_HOURS`.

    Queries: none when `calendar` and `versions` are given and the process has seen them;
    else one (the version counters) plus a reload of what changed."""
    at = at or timezone.now()
    client_id = client if isinstance(client, int) else client.pk
    if calendar is None:
        versions = versions or Versions(client_id)
        calendar = sending_calendar_get(versions=versions)
    if calendar.is_open(at):
        return SendTime(at, None)
    if message_type in sending_hours_exempt_types(client_id=client_id, versions=versions):
        return SendTime(at, None)
    return SendTime(calendar.next_opening(at), OUTSIDE_SENDING_HOURS)


def sending_hours_notice(send_at: datetime) -> str:
    """What the client reads about a message held for the window (website notice, API detail)."""
    local = send_at.astimezone(KYIV)
    return gettext("Scheduled for %(time)s on %(date)s (Kyiv time): messages go out 09:00–20:00 "
                   "on business days and 11:00–18:00 on weekends and public holidays.") % {
        "time": f"{local:%H:%M}", "date": f"{local:%d.%m.%Y}"}


def business_days_after(day: date, days: int, *, calendar: SendingCalendar | None = None) -> date:
    """The `days`-th Kyiv business day after `day` (not counting `day` itself): weekends and
    public holidays are skipped (the sending-hours calendar: staff days over `holidays`). The
    complaint answer deadline (R-CMP-09, 2 days) and the trademark proof deadline (R-VIB-10, 1 day)."""
    calendar = calendar or sending_calendar_get()
    left = days
    while left > 0:
        day += timedelta(days=1)
        if not calendar.is_rest_day(day):
            left -= 1
    return day
