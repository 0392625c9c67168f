"""The 10-a-day cap (R-CMP-03): how many messages one client already has for one recipient on
one Kyiv calendar day. Counted are the messages meant to go out that day (by `send_at`), except
those that never went and never will (refused, cancelled, failed)."""
from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext

from compliance.hours import frequency_cap_exempt as _compliance_frequency_cap_exempt
from smsportal.cache import Versions
from smsportal.kyiv import kyiv_date, kyiv_midnight

from ..models import Message
from ..status import Status

NOT_COUNTED = (Status.REFUSED, Status.CANCELLED, Status.FAILED)


def daily_cap() -> int:
    return settings.SMSPORTAL_DAILY_CAP


def frequency_cap_exempt(*, client_id: int, message_type: str, versions: Versions | None = None) -> bool:
    """Whether staff exempted `client_id`'s messages of `message_type` from the cap: service
    messages approved for round-the-clock sending (compliance.hours; cached, no query when
    `versions` is given and the process has seen it)."""
    return _compliance_frequency_cap_exempt(client_id=client_id, message_type=message_type, versions=versions)


def kyiv_day_bounds(at: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the Kyiv calendar day of `at`."""
    day = kyiv_date(at)
    return kyiv_midnight(day), kyiv_midnight(day + timedelta(days=1))


def daily_counts(*, client_id: int, phones, at: datetime) -> dict[str, int]:
    """{phone: messages of `client_id` to it on `at`'s Kyiv day}, for the phones that have any."""
    phones = list(phones)
    if not phones:
        return {}
    start, end = kyiv_day_bounds(at)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT recipient, count(*) FROM {Message._meta.db_table} "
            "WHERE client_id = %s AND recipient = ANY(%s) AND send_at >= %s AND send_at < %s "
            "AND NOT (status = ANY(%s)) GROUP BY recipient",
            [client_id, phones, start, end, list(NOT_COUNTED)])
        return dict(cursor.fetchall())


FREQUENCY_CAP = "frequency_cap"
"""The reason code of a message refused by the 10-a-day cap."""


def frequency_cap_detail(cap: int | None = None) -> str:
    """What the client reads about a message refused by the cap."""
    return gettext("The recipient already gets %(cap)s messages from this account on that day: no more can be "
                   "sent to them until the next day (Kyiv time).") % {"cap": cap or daily_cap()}


def over_daily_cap(*, client_id: int, message_type: str, phones: list[str], at: datetime,
                   versions: Versions | None = None) -> set[str]:
    """Of `phones` (distinct recipients of one send going at `at`), those for whom this send
    would be the 11th or later message of `client_id` on `at`'s Kyiv day (R-CMP-03). One query;
    none when the client is exempt."""
    if frequency_cap_exempt(client_id=client_id, message_type=message_type, versions=versions):
        return set()
    cap = daily_cap()
    if len(phones) > _MANY:
        return phones_at_cap(client_id=client_id, at=at, cap=cap) & set(phones)
    counts = daily_counts(client_id=client_id, phones=phones, at=at)
    return {phone for phone, n in counts.items() if n >= cap}


_MANY = 1000  # beyond this many recipients, ask for those at the cap rather than send the list


def phones_at_cap(*, client_id: int, at: datetime, cap: int) -> set[str]:
    """The recipients who already have `cap` or more messages of `client_id` on `at`'s Kyiv day
    (R-CMP-03): for a campaign, whose 100,000 numbers are cheaper to intersect here than to send."""
    start, end = kyiv_day_bounds(at)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT recipient FROM {Message._meta.db_table} "
            "WHERE client_id = %s AND send_at >= %s AND send_at < %s AND NOT (status = ANY(%s)) "
            "GROUP BY recipient HAVING count(*) >= %s",
            [client_id, start, end, list(NOT_COUNTED), cap])
        return {phone for (phone,) in cursor.fetchall()}
