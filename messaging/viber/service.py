"""Accepting Viber sends (R-VIB-01…09, R-SND-07, R-BILL-08): the seam the API, the website and
the campaigns call. A Viber message is a `Message` row with `channel="viber"` and its
`ViberDetail`; it is validated, priced in EUR at the dated rate (charged in UAH), held, and stored
in one transaction, like an SMS send (messaging.services.send), and goes out through the Viber
dispatcher (a queued Viber message is all it needs).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .provider import ViberType


@dataclass(frozen=True)
class ViberRequest:
    """What a client asks to send on Viber (API fields of `POST /api/v1/messages/` with
    `"channel": "viber"`, and the website's Viber tab)."""

    sender: str
    text: str = ""
    viber_type: str = ViberType.ADVERTISING
    image_url: str = ""
    button_caption: str = ""
    button_url: str = ""
    ttl: int | None = None              # seconds; None = the default
    fallback_sender: str = ""           # the SMS leg (hybrid Viber → SMS); both empty = none
    fallback_text: str = ""
    send_at: datetime | None = None
    callback_url: str | None = None


def viber_send(*, client, recipients: list[str], request: ViberRequest, actor=None):
    """Accepts a Viber send; returns `messaging.services.send.SendResult` (messages with their
    `viber` details, total price). Raises `MessagingError` subclasses with stable codes."""
    raise NotImplementedError


def viber_estimate(*, client, recipients: list[str], request: ViberRequest) -> dict:
    """What `viber_send` would do, without doing it: price (UAH and EUR, rate), counts, refusals."""
    raise NotImplementedError
