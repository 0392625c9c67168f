"""The provider's JSON wire format (TurboSMS-like), shared by the HTTP adapter and the simulator.

Every answer is HTTP 200 with an envelope ``{"response_code", "response_status",
"response_result"}``; ``response_code`` 0 is success.

``POST /message/send.json`` (``Authorization: Bearer <token>``)::

    {"recipients": ["+380671234567"], "sequence_id": "…", "reference": "<our message id>",
     "viber": {"sender": "DemoShop", "type": "advertising", "text": "…", "ttl": 3600,
               "image_url": "https://…/a.png", "caption": "Open", "action": "https://…",
               "count_clicks": 1, "is_transactional": 0}}

    → {"response_code": 0, "response_status": "SUCCESS_MESSAGE_ACCEPTED",
       "response_result": [{"phone": "+380671234567", "response_code": 0, "response_status": "OK",
                            "message_id": "<provider id>"}]}

A refusal of the whole message: ``response_code`` is its number (``provider.WIRE_CODES``, e.g.
408), ``response_status`` its code in upper case (``BUTTON_CAPTION_TOO_LONG``), ``response_result``
null. A refusal of one recipient (stop list, 404): in that recipient's item. The same
``sequence_id`` and recipient again returns the first answer's message id (idempotent).
Envelope codes 100 (bad request), 101 (token missing or refused).

``POST /message/status.json`` ``{"messages": ["<provider id>", …]}`` →
``response_result``: one item per id ``{"message_id", "response_code": 0, "type": "viber",
"status": "delivered", "reason": "", "updated_at": ISO 8601, "click_time": ISO 8601 | null}``
(unknown id: ``response_code`` 404, ``status`` null).

Webhooks (provider → us), signed as ``messaging.viber.signing`` describes, body
``{"events": [...]}`` with items ``{"event_id", "type": "status", "message_id", "status",
"reason", "at"}`` or ``{"event_id", "type": "inbound", "message_id", "phone", "sender", "text",
"media_url", "reply_to", "at"}``.
"""
from __future__ import annotations

from datetime import datetime, timezone

from .provider import (
    REFUSAL_BY_WIRE_CODE, WIRE_CODES, InboundEvent, OutgoingMessage, Refusal, Refused, StatusEvent, ViberType,
)

SEND_PATH = "/message/send.json"
STATUS_PATH = "/message/status.json"
OK = 0
BAD_REQUEST = 100
TOKEN_INVALID = 101
UNKNOWN_MESSAGE = 404
STATUS_NAMES = ("accepted", "sent", "delivered", "seen", "undelivered", "expired", "rejected", "clicked")


def envelope(code: int = OK, status: str = "OK", result=None) -> dict:
    return {"response_code": code, "response_status": status, "response_result": result}


def refusal_envelope(refused: Refused) -> dict:
    return envelope(WIRE_CODES.get(refused.code, 499), refused.code.upper(), None) | {"detail": refused.detail}


def refusal_from_wire(code: int, status: str, detail: str = "") -> Refused:
    known = REFUSAL_BY_WIRE_CODE.get(code)
    if known is not None:
        return Refused(known, detail or status)
    return Refused(Refusal.OTHER, f"The Viber provider refused the message: {status or code}.")


def send_request(message: OutgoingMessage) -> dict:
    viber = {"sender": message.sender, "type": message.viber_type, "text": message.text, "ttl": message.ttl,
             "is_transactional": int(message.viber_type == ViberType.TRANSACTIONAL)}
    if message.image_url:
        viber["image_url"] = message.image_url
    if message.button_caption or message.button_url:
        viber.update(caption=message.button_caption, action=message.button_url, count_clicks=1)
    return {"recipients": [message.phone], "sequence_id": message.idempotency_key, "reference": message.message_id,
            "viber": viber}


def messages_from_send_request(body: dict) -> list[OutgoingMessage]:
    """The simulator's reading of a send request (ValueError when it is not one)."""
    if not isinstance(body, dict) or not isinstance(body.get("viber"), dict):
        raise ValueError("a JSON object with 'recipients' and 'viber' is required")
    recipients = body.get("recipients")
    if not isinstance(recipients, list) or not recipients or not all(isinstance(r, str) for r in recipients):
        raise ValueError("'recipients' must be a non-empty list of phone numbers")
    v = body["viber"]
    try:
        ttl = int(v.get("ttl", 86_400))
    except (TypeError, ValueError):
        raise ValueError("'ttl' must be a number of seconds") from None
    kind = v.get("type") or (ViberType.TRANSACTIONAL if v.get("is_transactional") else ViberType.ADVERTISING)
    fields = {name: v.get(key) or "" for name, key in (("sender", "sender"), ("text", "text"),
                                                       ("image_url", "image_url"), ("button_caption", "caption"),
                                                       ("button_url", "action"))}
    if not all(isinstance(x, str) for x in fields.values()) or not isinstance(kind, str):
        raise ValueError("sender, text, image_url, caption, action and type must be strings")
    sequence = str(body.get("sequence_id") or "")
    reference = str(body.get("reference") or "")
    return [OutgoingMessage(message_id=reference, phone=phone, viber_type=kind, ttl=ttl, sequence_id=sequence,
                            **fields) for phone in recipients]


# --- events -------------------------------------------------------------------------------------
def timestamp(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value) -> datetime:
    if not isinstance(value, str):
        raise ValueError("a time must be an ISO 8601 string")
    at = datetime.fromisoformat(value)
    if at.tzinfo is None:
        raise ValueError("a time must carry its UTC offset")
    return at


def status_event_json(event: StatusEvent) -> dict:
    return {"event_id": event.event_id, "type": "status", "message_id": event.provider_id, "status": event.status,
            "reason": event.reason, "at": timestamp(event.at)}


def inbound_event_json(event: InboundEvent) -> dict:
    return {"event_id": event.event_id, "type": "inbound", "message_id": event.provider_id, "phone": event.phone,
            "sender": event.sender, "text": event.text, "media_url": event.media_url, "reply_to": event.reply_to,
            "at": timestamp(event.at)}


def event_from_json(item) -> StatusEvent | InboundEvent:
    """One webhook event (ValueError when malformed)."""
    if not isinstance(item, dict):
        raise ValueError("each event must be an object")

    def text(key: str, *, required: bool = False, limit: int = 4000) -> str:
        value = item.get(key)
        if value is None or value == "":
            if required:
                raise ValueError(f"'{key}' is required")
            return ""
        if not isinstance(value, str) or len(value) > limit or "\x00" in value:
            raise ValueError(f"'{key}' must be a string of at most {limit} characters")
        return value

    kind = item.get("type")
    event_id = text("event_id", required=True, limit=200)
    provider_id = text("message_id", required=True, limit=200)
    at = parse_time(item.get("at"))
    if kind == "status":
        status = text("status", required=True, limit=40)
        if status not in STATUS_NAMES:
            raise ValueError(f"unknown status {status!r}")
        return StatusEvent(provider_id=provider_id, status=status, at=at, reason=text("reason", limit=200),
                           event_id=event_id)
    if kind == "inbound":
        return InboundEvent(event_id=event_id, provider_id=provider_id, phone=text("phone", required=True, limit=20),
                            sender=text("sender", limit=40), at=at, text=text("text"),
                            media_url=text("media_url", limit=2000), reply_to=text("reply_to", limit=200))
    raise ValueError(f"unknown event type {kind!r}")


def status_events_from_poll(item: dict) -> list[StatusEvent]:
    """A status poll's item as events: its current status, and a click when there was one. Their
    ids are derived from the status, so the same answer polled twice is the same event."""
    provider_id = str(item.get("message_id") or "")
    status = item.get("status")
    if not provider_id or item.get("response_code", OK) != OK or status not in STATUS_NAMES:
        return []
    at = parse_time(item.get("updated_at"))
    out = [StatusEvent(provider_id=provider_id, status=status, at=at, reason=str(item.get("reason") or ""),
                       event_id=f"poll:{provider_id}:{status}")]
    if item.get("click_time"):
        out.append(StatusEvent(provider_id=provider_id, status="clicked", at=parse_time(item["click_time"]),
                               event_id=f"poll:{provider_id}:clicked"))
    return out
