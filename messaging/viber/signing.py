"""Signed provider webhooks (docs VIBER.md, "Webhook signing in use"): the provider sends

    X-Signature: hex(HMAC-SHA256(secret, raw body + "." + nonce + "." + timestamp))
    X-Timestamp: Unix seconds
    X-Nonce:     8–128 characters [A-Za-z0-9_-], new for every request

``signature_verify`` checks the signature on the raw body in constant time, refuses a timestamp
more than 5 minutes away from now, and then refuses a nonce already seen (kept in Django's cache,
settings.CACHES — Redis in production — for twice that window, so a replay is refused as long as
its timestamp could still pass). The nonce is only recorded once the signature is good, so a
forger cannot burn the provider's nonces.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Mapping

from django.core.cache import cache

from .provider import WebhookExpired, WebhookInvalid, WebhookReplayed, WebhookSignatureInvalid

MAX_AGE_SECONDS = 300
SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Timestamp"
NONCE_HEADER = "X-Nonce"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
_TIMESTAMP = re.compile(r"^\d{1,12}$")
_CACHE_PREFIX = "viber:webhook-nonce:"


def signature_compute(*, secret: str, raw_body: bytes, nonce: str, timestamp: str) -> str:
    message = raw_body + b"." + nonce.encode("ascii") + b"." + timestamp.encode("ascii")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_headers(*, secret: str, raw_body: bytes, now: float | None = None, nonce: str | None = None) -> dict:
    """The three headers a provider (the simulator) sends with ``raw_body``."""
    nonce = nonce or secrets.token_hex(16)
    timestamp = str(int(time.time() if now is None else now))
    return {SIGNATURE_HEADER: signature_compute(secret=secret, raw_body=raw_body, nonce=nonce, timestamp=timestamp),
            TIMESTAMP_HEADER: timestamp, NONCE_HEADER: nonce}


def signature_verify(*, secret: str, raw_body: bytes, headers: Mapping, now: float | None = None,
                     max_age: int = MAX_AGE_SECONDS, nonces=None) -> None:
    """Raises ``WebhookSignatureInvalid``, ``WebhookExpired`` or ``WebhookReplayed`` (all
    ``WebhookInvalid``), else returns. ``headers``: any mapping (Django's ``request.headers`` or a
    plain dict; names are matched without regard to case). ``nonces``: a Django cache (default
    ``django.core.cache.cache``)."""
    if not secret:
        raise WebhookInvalid("Viber webhooks are not configured (no signing secret).",
                             code="viber_webhook_not_configured")
    signature, timestamp, nonce = (_header(headers, name) for name in
                                   (SIGNATURE_HEADER, TIMESTAMP_HEADER, NONCE_HEADER))
    if not signature or not timestamp or not nonce:
        raise WebhookSignatureInvalid(f"The {SIGNATURE_HEADER}, {TIMESTAMP_HEADER} and {NONCE_HEADER} headers are "
                                      "required.")
    if not _TIMESTAMP.match(timestamp) or not _NONCE.match(nonce):
        raise WebhookSignatureInvalid("The webhook timestamp or nonce is malformed.")
    expected = signature_compute(secret=secret, raw_body=raw_body, nonce=nonce, timestamp=timestamp)
    if not hmac.compare_digest(expected.encode("ascii"), signature.strip().lower().encode("ascii", "replace")):
        raise WebhookSignatureInvalid()
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > max_age:
        raise WebhookExpired()
    if not (cache if nonces is None else nonces).add(_CACHE_PREFIX + nonce, 1, timeout=2 * max_age):
        raise WebhookReplayed()


def _header(headers: Mapping, name: str) -> str:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if str(k).lower() == lowered), None)
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return (value or "").strip()
