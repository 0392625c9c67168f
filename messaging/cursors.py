"""The opaque cursor of a newest-first keyset list (messages, replies): the (time, id) of the
last row of a page, URL-safe base64. The API and the website pages share it."""
import base64
import binascii
from datetime import datetime

from smsportal import boundary


class BadCursor(ValueError):
    pass


def cursor_encode(key) -> str | None:
    if key is None:
        return None
    at, pk = key
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{pk}".encode()).decode().rstrip("=")


def cursor_decode(raw: str) -> tuple[datetime, int]:
    """(aware datetime, id) of a cursor, or BadCursor."""
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        at, pk = text.split("|")
        at = datetime.fromisoformat(at)
        if at.tzinfo is None or not boundary.datetime_in_range(at):
            raise BadCursor(raw)
        return at, int(pk)
    except (ValueError, UnicodeError, binascii.Error):
        raise BadCursor(raw) from None
