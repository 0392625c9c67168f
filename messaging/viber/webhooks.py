"""A provider webhook to events: the signature first (``signing``), then the body
(``wire``'s event list). The Django view that receives them calls ``webhook_parse`` and turns a
``WebhookInvalid`` into its 4xx; then ``provider.status_apply`` per message."""
from __future__ import annotations

import json
from collections.abc import Mapping

from django.conf import settings

from .provider import InboundEvent, StatusEvent, WebhookMalformed
from .signing import signature_verify
from .wire import event_from_json

MAX_EVENTS = 1000


def events_parse(raw_body: bytes) -> list[StatusEvent | InboundEvent]:
    """The events of a webhook body; ``WebhookMalformed`` names what is wrong."""
    try:
        body = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookMalformed("The webhook body is not JSON.") from None
    events = body.get("events") if isinstance(body, dict) else None
    if not isinstance(events, list):
        raise WebhookMalformed('The webhook body must be an object with an "events" list.')
    if len(events) > MAX_EVENTS:
        raise WebhookMalformed(f"At most {MAX_EVENTS} events per webhook.")
    out = []
    for i, item in enumerate(events):
        try:
            out.append(event_from_json(item))
        except ValueError as exc:
            raise WebhookMalformed(f"Event {i}: {exc}.") from None
    return out


def webhook_parse(*, raw_body: bytes, headers: Mapping, secret: str | None = None, now: float | None = None,
                  nonces=None) -> list[StatusEvent | InboundEvent]:
    """Verified events of one webhook request: raises ``WebhookSignatureInvalid``,
    ``WebhookExpired``, ``WebhookReplayed`` or ``WebhookMalformed`` (all ``WebhookInvalid``).
    ``secret`` defaults to settings.SMSPORTAL_VIBER_WEBHOOK_SECRET, ``nonces`` (where used nonces
    are kept) to Django's default cache."""
    secret = settings.SMSPORTAL_VIBER_WEBHOOK_SECRET if secret is None else secret
    signature_verify(secret=secret, raw_body=raw_body, headers=headers, now=now, nonces=nonces)
    return events_parse(raw_body)
