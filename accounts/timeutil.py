"""Kyiv calendar helpers for account deadlines."""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

KYIV = ZoneInfo("Europe/Kyiv")


def kyiv_day_end(at: datetime, *, days_after: int = 0) -> datetime:
    """The last second of the Kyiv calendar day `days_after` days after `at`'s day."""
    day = at.astimezone(KYIV).date() + timedelta(days=days_after)
    return datetime.combine(day, time(23, 59, 59), tzinfo=KYIV)
