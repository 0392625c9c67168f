"""Delivery-status webhooks: the client's endpoint (URL and signing secret), the outbox of events,
and their delivery.

Writing (hot path): when messages change status, `webhook_events_record` adds one outbox row per
message of a client that wants webhooks, in one set-based INSERT … SELECT (PostgreSQL), inside the
status change's transaction; after commit a Celery task delivers them. Messages of clients
without an endpoint cost one empty join.

Delivering: `webhooks_deliver` claims the due events of one (client, URL) under SKIP LOCKED,
leases them (moves their next attempt past the request's timeout) and commits; only then POSTs
`{"events": [...]}` (at most WEBHOOK_BATCH per request) with

    X-Smsportal-Timestamp: <unix seconds>
    X-Smsportal-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>

and records the answer in a new transaction. 2xx: delivered. 4xx other than 408/429: the client's
server refused them: failed, not retried. Network errors, timeouts, 408, 429, 3xx (redirects are
not followed) and 5xx: retried after `retry_delay(attempts)` (exponential, jittered) until 24 h
after the event, then failed. Delivery is at least once (a worker killed mid-POST retries after the
lease): receivers dedupe on the event `id`.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import random
import secrets
import socket
import time
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy

from smsportal.celery import task_enqueue
from smsportal.money import money_json

if TYPE_CHECKING:
    from accounts.models import Client  # annotations only: messaging never imports accounts' models

from ..exceptions import MessagingError
from ..models import Campaign, Message, WebhookDelivery, WebhookEndpoint, WebhookEvent
from ..selectors import webhook_endpoint_get
from ..status import FINAL, Status

log = logging.getLogger("smsportal.messaging.webhooks")

SIGNATURE_HEADER = "X-Smsportal-Signature"
TIMESTAMP_HEADER = "X-Smsportal-Timestamp"
EVENT_TYPE = "message.status"
WEBHOOK_BATCH = 100  # events per POST
GIVE_UP_AFTER = timedelta(hours=24)
# Statuses that make an event: every final one, and `submitted` for endpoints that ask for it.
EVENT_STATUSES = frozenset(FINAL) | {Status.SUBMITTED}
PENDING, DELIVERED, FAILED = (WebhookEvent.State.PENDING, WebhookEvent.State.DELIVERED,
                              WebhookEvent.State.FAILED)
_EVENT = WebhookEvent._meta.db_table
_ENDPOINT = WebhookEndpoint._meta.db_table
_MESSAGE = Message._meta.db_table
_CAMPAIGN = Campaign._meta.db_table


class WebhookError(MessagingError):
    code = "invalid_webhook"


class WebhookUrlInvalid(WebhookError):
    code = "invalid_callback_url"


class WebhookNotConfigured(WebhookError):
    code = "webhook_not_configured"
    default_detail = ("A callback_url needs a webhook signing secret: create one in Webhooks on the API keys page "
                      "first.")


class WebhookNotFound(WebhookError):
    code = "webhook_not_configured"
    status = 404
    default_detail = gettext_lazy("No webhook is set up for this account.")


def _timeout() -> float:
    return float(getattr(settings, "SMSPORTAL_WEBHOOK_TIMEOUT", 5.0))


def _allow_private() -> bool:
    return bool(getattr(settings, "SMSPORTAL_WEBHOOK_ALLOW_PRIVATE", False))


# --- the endpoint -----------------------------------------------------------------------------


def _address_refused(ip: str) -> bool:
    addr = ipaddress.ip_address(ip)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return not addr.is_global or addr.is_multicast


def webhook_url_check(url: str) -> str:
    """A webhook URL as it will be stored, or WebhookUrlInvalid: http or https, a host, no user
    and password, at most 500 characters; unless SMSPORTAL_WEBHOOK_ALLOW_PRIVATE, no loopback,
    private, link-local or reserved address and no `localhost` (the same check runs again on the
    resolved addresses at each delivery)."""
    url = (url or "").strip()
    if len(url) > 500:
        raise WebhookUrlInvalid(gettext_lazy("The webhook URL is longer than 500 characters."))
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        raise WebhookUrlInvalid(gettext_lazy("This is not a valid URL.")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookUrlInvalid(gettext_lazy("The webhook URL must start with http:// or https:// and name a host."))
    if parts.username or parts.password:
        raise WebhookUrlInvalid(gettext_lazy("Put no user name or password in the webhook URL; verify the signature instead."))
    if any(ch.isspace() for ch in url):
        raise WebhookUrlInvalid(gettext_lazy("The webhook URL may not contain spaces."))
    if not _allow_private():
        host = parts.hostname.rstrip(".").lower()
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
            raise WebhookUrlInvalid(gettext_lazy("The webhook URL must be reachable from the internet, not a local name."))
        try:
            refused = _address_refused(host)
        except ValueError:
            refused = False  # a host name: its addresses are checked when we deliver
        if refused:
            raise WebhookUrlInvalid(gettext_lazy("The webhook URL must be reachable from the internet, not a private, "
                                      "loopback or reserved address."))
    return url


def _new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def webhook_endpoint_set(*, client: Client, url: str, submitted_events: bool = False, actor=None
                         ) -> tuple[WebhookEndpoint, str | None]:
    """Sets (or, with an empty URL, clears) the client's webhook URL. Returns the endpoint and the
    new signing secret when this made one (the first time: show it once), else None."""
    from accounts.services import audit_record  # noqa: PLC0415

    url = webhook_url_check(url) if (url or "").strip() else ""
    new = _new_secret()
    with transaction.atomic():
        # get_or_create: two first saves at once make one endpoint (the loser updates it), not a 500.
        endpoint, created = WebhookEndpoint.objects.select_for_update().get_or_create(
            client=client, defaults={"url": url, "secret": new, "submitted_events": submitted_events,
                                     "secret_created_at": timezone.now()})
        raw = new if created else None
        if not created:
            endpoint.url, endpoint.submitted_events = url, submitted_events
            endpoint.save(update_fields=["url", "submitted_events", "updated_at"])
        _submitted_cache_clear()
        transaction.on_commit(_submitted_cache_clear)
        audit_record(code="messaging.webhook.set", actor=actor, client=client, target=url,
                     details={"submitted_events": submitted_events})
    return endpoint, raw


def webhook_secret_regenerate(*, client: Client, actor=None) -> tuple[WebhookEndpoint, str]:
    """A new signing secret (the old one stops at once). Makes the endpoint if there is none."""
    from accounts.services import audit_record  # noqa: PLC0415

    raw = _new_secret()
    with transaction.atomic():
        endpoint, created = WebhookEndpoint.objects.select_for_update().get_or_create(
            client=client, defaults={"secret": raw, "secret_created_at": timezone.now()})
        if not created:
            endpoint.secret, endpoint.secret_created_at = raw, timezone.now()
            endpoint.save(update_fields=["secret", "secret_created_at", "updated_at"])
        audit_record(code="messaging.webhook.secret_regenerated", actor=actor, client=client, target=endpoint.url)
    return endpoint, raw


def webhook_secrets_reencrypt() -> int:
    """Stores every signing secret again under the first of SMSPORTAL_ENCRYPTION_KEYS (after a
    key rotation, `manage.py secrets_reencrypt`). Returns how many endpoints were rewritten."""
    done = 0
    for pk in WebhookEndpoint.objects.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=pk).first()
            if endpoint is not None:
                endpoint.save(update_fields=["secret"])  # the field encrypts under the first key
                done += 1
    return done


def webhook_endpoint_delete(*, client: Client, actor=None) -> None:
    """Removes the client's webhook URL and signing secret (WebhookNotConfigured, 404, when there
    is none). Events still waiting fail at their next attempt: nothing can sign them any more; a
    later `callback_url` needs a new secret first."""
    from accounts.services import audit_record  # noqa: PLC0415

    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().filter(client=client).first()
        if endpoint is None:
            raise WebhookNotFound()
        url = endpoint.url
        endpoint.delete()
        _submitted_cache_clear()
        transaction.on_commit(_submitted_cache_clear)
        audit_record(code="messaging.webhook.deleted", actor=actor, client=client, target=url)


def webhook_test_send(*, client: Client, actor=None) -> WebhookEvent:
    """Queues a `webhook.test` event to the client's webhook URL (to check the receiver and its
    signature check); it is delivered and retried like any other."""
    endpoint = webhook_endpoint_get(client=client)
    if endpoint is None or not endpoint.url:
        raise WebhookError(gettext_lazy("Set a webhook URL first."), code="webhook_not_configured")
    now = timezone.now()
    with transaction.atomic():
        event = WebhookEvent.objects.create(
            client=client, url=endpoint.url, event="test", next_attempt_at=now, created_at=now,
            payload={"type": "webhook.test", "message_id": None, "status": "test", "occurred_at": now.isoformat()})
        transaction.on_commit(webhooks_kick)
    return event


INBOUND_EVENT_TYPE = "message.inbound"


def webhook_inbound_record(*, client_id: int, payload: dict, now=None) -> WebhookEvent | None:
    """Queues a `message.inbound` event (a recipient's Viber message to the client's sender,
    R-VIB-06) to the client's webhook URL; None when the client has no URL. Call inside the
    transaction that stores the inbound message; delivered and retried like a status event."""
    url = WebhookEndpoint.objects.filter(client_id=client_id).exclude(url="").values_list("url", flat=True).first()
    if not url:
        return None
    now = now or timezone.now()
    event = WebhookEvent.objects.create(client_id=client_id, url=url, event="inbound", next_attempt_at=now,
                                        created_at=now, payload={"type": INBOUND_EVENT_TYPE, "message_id": None,
                                                                 **payload, "occurred_at": now.isoformat()})
    transaction.on_commit(webhooks_kick)
    return event


def callback_url_check(*, client: Client, url: str | None) -> str:
    """A per-send `callback_url` as stored on its messages ('' when none): valid, and the client
    has a signing secret to sign it with."""
    if not url:
        return ""
    url = webhook_url_check(url)
    if not WebhookEndpoint.objects.filter(client=client).exists():
        raise WebhookNotConfigured()
    return url


# --- writing events (hot path) ----------------------------------------------------------------


def _price_sql(col: str) -> str:
    # As money_json: 2 decimal places, or 4 when it has fractions of a kopeck.
    return f"CASE WHEN {col} = round({col}, 2) THEN round({col}, 2)::text ELSE {col}::text END"


_SQL_EVENTS_INSERT = (
    f"INSERT INTO {_EVENT} (public_id, client_id, message_id, url, event, payload, state, attempts, "
    f"next_attempt_at, last_error, created_at) "
    f"SELECT gen_random_uuid(), m.client_id, m.id, COALESCE(NULLIF(m.callback_url, ''), NULLIF(c.callback_url, ''), "
    f"w.url), m.status, jsonb_build_object("
    f"'message_id', m.public_id, 'campaign_id', c.public_id, 'recipient', m.recipient, 'sender', m.sender, "
    f"'status', m.status, 'error_code', NULLIF(m.error_code, ''), 'error_detail', NULLIF(m.error_detail, ''), "
    f"'segments', m.segments, 'price', jsonb_build_object('amount', {_price_sql('m.price')}, "
    f"'currency', m.price_currency), 'created_at', m.created_at, 'submitted_at', m.submitted_at, "
    f"'done_at', m.done_at, 'occurred_at', %(now)s::timestamptz), "
    f"%(pending)s, 0, %(now)s, '', %(now)s "
    f"FROM {_MESSAGE} AS m JOIN {_ENDPOINT} AS w ON w.client_id = m.client_id "
    f"LEFT JOIN {_CAMPAIGN} AS c ON c.id = m.campaign_id "
    f"WHERE m.id = ANY(%(ids)s::bigint[]) AND m.status = %(status)s "
    f"AND COALESCE(NULLIF(m.callback_url, ''), NULLIF(c.callback_url, ''), w.url) <> ''")


def webhook_events_record(*, message_ids, status: str, now=None) -> int:
    """Adds a status event for each of these messages (that just moved to `status`) whose client
    has a webhook endpoint and a URL for it (the message's or campaign's callback_url, else the
    endpoint's). One INSERT … SELECT. Call inside the status change's transaction.
    Returns how many events were written (their delivery is kicked after commit)."""
    if status not in EVENT_STATUSES:
        return 0
    ids = list(message_ids)
    if not ids:
        return 0
    now = now or timezone.now()
    sql = _SQL_EVENTS_INSERT
    if status == Status.SUBMITTED:
        sql += " AND w.submitted_events"
    with connection.cursor() as cur:
        cur.execute(sql, {"ids": ids, "status": status, "now": now, "pending": PENDING})
        written = cur.rowcount
    if written:
        transaction.on_commit(webhooks_kick)
    return written


# Which clients want `submitted` events, as the connector's hot path sees it: read again every
# few seconds (and at once in the process that changes an endpoint), so a flush of accepted parts
# costs no query at all while nobody asks for them.
SUBMITTED_CACHE_SECONDS = 10.0
_submitted_clients = {"at": -1e9, "ids": frozenset()}


def _clients_wanting_submitted() -> frozenset:
    now = time.monotonic()
    if now - _submitted_clients["at"] > SUBMITTED_CACHE_SECONDS:
        _submitted_clients["ids"] = frozenset(
            WebhookEndpoint.objects.filter(submitted_events=True).values_list("client_id", flat=True))
        _submitted_clients["at"] = now
    return _submitted_clients["ids"]


def _submitted_cache_clear() -> None:
    _submitted_clients["at"] = -1e9


def webhook_events_submitted(*, paid, now=None) -> int:
    """`submitted` events for messages that just became SUBMITTED: `paid` rows are (message id,
    client id, …) as the connector's capture gets them."""
    wanted = _clients_wanting_submitted()
    if not wanted:
        return 0
    ids = [r[0] for r in paid if r[1] in wanted]
    return webhook_events_record(message_ids=ids, status=Status.SUBMITTED, now=now) if ids else 0


def webhook_inbound_sms_record(*, inbound, is_stop=lambda text: False, now=None) -> int:
    """`message.inbound` events (as `webhook_inbound_record`, with `channel` "sms") for stored
    inbound SMS whose client has a webhook URL: one query for the endpoints, one INSERT. Call
    inside the transaction that stores them. Returns how many were written."""
    inbound = [m for m in inbound if m.client_id]
    if not inbound:
        return 0
    urls = dict(WebhookEndpoint.objects.filter(client_id__in={m.client_id for m in inbound}).exclude(url="")
                .values_list("client_id", "url"))
    if not urls:
        return 0
    now = now or timezone.now()
    events = [WebhookEvent(client_id=m.client_id, url=urls[m.client_id], event="inbound", next_attempt_at=now,
                           created_at=now, payload={
                               "type": INBOUND_EVENT_TYPE, "message_id": None, "channel": "sms",
                               "inbound_id": str(m.pk), "sender": m.destination, "phone": m.source, "text": m.text,
                               "media_url": None, "session_id": None, "reply_to_message_id": None,
                               "stop": bool(is_stop(m.text)), "received_at": _iso(m.received_at),
                               "occurred_at": now.isoformat()})
              for m in inbound if m.client_id in urls]
    WebhookEvent.objects.bulk_create(events)
    transaction.on_commit(webhooks_kick)
    return len(events)


def _iso(value):
    return value.isoformat() if value else None


def event_payload(m: Message, now) -> dict:
    return {"message_id": str(m.public_id), "campaign_id": str(m.campaign.public_id) if m.campaign_id else None,
            "recipient": m.recipient, "sender": m.sender, "status": m.status, "error_code": m.error_code or None,
            "error_detail": m.error_detail or None, "segments": m.segments, "price": money_json(m.price),
            "created_at": _iso(m.created_at), "submitted_at": _iso(m.submitted_at), "done_at": _iso(m.done_at),
            "occurred_at": _iso(now)}


def webhooks_kick() -> None:
    """Starts a delivery now (after the commit that wrote events); the periodic job catches up
    if the broker cannot be reached."""
    try:
        task_enqueue("messaging.webhooks_deliver")
    except Exception:  # noqa: BLE001 — the 30-second job delivers them anyway
        log.warning("could not enqueue a webhook delivery; the periodic job will deliver", exc_info=True)


# --- delivering -------------------------------------------------------------------------------


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The X-Smsportal-Signature value: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signature_valid(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: int = 300,
                    now: float | None = None) -> bool:
    """What a receiver does (shown in the API docs): constant-time compare, recent timestamp."""
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
    except (TypeError, ValueError):
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature or "")


def retry_delay(attempts: int) -> float:
    """Seconds before the next try of events that failed `attempts` times: base × 2^(attempts-1),
    at most the cap, ±10 % jitter (30 s, 1, 2, 4 … min, then hourly, by default)."""
    base = float(getattr(settings, "SMSPORTAL_WEBHOOK_RETRY_BASE_SECONDS", 30.0))
    cap = float(getattr(settings, "SMSPORTAL_WEBHOOK_RETRY_MAX_SECONDS", 3600.0))
    return min(cap, base * 2 ** max(0, attempts - 1)) * random.uniform(0.9, 1.1)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a 3xx is an answer like any other: not followed (it could point anywhere)


_opener = urllib.request.build_opener(_NoRedirect)


class _Refused(Exception):
    pass


def _check_resolved(url: str) -> None:
    if _allow_private():
        return
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for info in socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP):
        if _address_refused(info[4][0]):
            raise _Refused(f"{parts.hostname} resolves to a private or reserved address ({info[4][0]}).")


def webhook_post(url: str, secret: str, body: bytes) -> tuple[int | None, str]:
    """POSTs one signed body. Returns (HTTP status or None, error text). Never raises for the
    network: every failure is an answer to record."""
    timestamp = str(int(time.time()))
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "smsportal-webhooks/1",
        TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, timestamp, body)})
    try:
        _check_resolved(url)
        with _opener.open(request, timeout=_timeout()) as resp:
            resp.read(65536)
            return resp.status, ""
    except _Refused as exc:
        return None, str(exc)[:300]
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, (f"{type(reason).__name__}: {reason}" if str(reason) else type(reason).__name__)[:300]


def _lease() -> timedelta:
    return timedelta(seconds=_timeout() * 2 + 30)


def _claim(now, batch: int):
    """The due events of one (client, URL), oldest first, leased; committed before any POST."""
    with transaction.atomic():
        head = (WebhookEvent.objects.select_for_update(skip_locked=True)
                .filter(state=PENDING, next_attempt_at__lte=now).order_by("next_attempt_at", "id")
                .values_list("client_id", "url").first())
        if head is None:
            return None
        client_id, url = head
        rows = list(WebhookEvent.objects.select_for_update(skip_locked=True)
                    .filter(state=PENDING, next_attempt_at__lte=now, client_id=client_id, url=url)
                    .order_by("id").values_list("id", "public_id", "payload", "attempts", "created_at")[:batch])
        WebhookEvent.objects.filter(pk__in=[r[0] for r in rows]).update(next_attempt_at=now + _lease())
        secret = WebhookEndpoint.objects.filter(client_id=client_id).values_list("secret", flat=True).first()
    return client_id, url, secret, rows


def webhook_body(rows) -> bytes:
    events = [{"id": str(public_id), "type": EVENT_TYPE, **payload} for _id, public_id, payload, *_ in rows]
    return json.dumps({"events": events}, separators=(",", ":"), ensure_ascii=False).encode()


def _outcome(status: int | None) -> str:
    """DELIVERED, FAILED (stop: the receiver refused them) or PENDING (retry)."""
    if status is not None and 200 <= status < 300:
        return DELIVERED
    if status is not None and 400 <= status < 500 and status not in (408, 429):
        return FAILED
    return PENDING


def _record(client_id, url, rows, status, error, duration_ms, now) -> None:
    outcome = _outcome(status)
    ids = [r[0] for r in rows]
    fields = {"attempts": F("attempts") + 1, "last_attempt_at": now, "last_http_status": status,
              "last_error": error or (f"HTTP {status}" if status and outcome != DELIVERED else "")}
    with transaction.atomic():
        WebhookDelivery.objects.create(client_id=client_id, url=url[:500], events=len(rows), http_status=status,
                                       error=error[:300], duration_ms=duration_ms)
        if outcome == DELIVERED:
            WebhookEvent.objects.filter(pk__in=ids).update(state=DELIVERED, delivered_at=now, next_attempt_at=None,
                                                           **fields)
            return
        if outcome == FAILED:
            WebhookEvent.objects.filter(pk__in=ids).update(state=FAILED, next_attempt_at=None, **fields)
            return
        by_next: dict = {}
        for pk, _pid, _payload, attempts, created_at in rows:
            nxt = now + timedelta(seconds=retry_delay(attempts + 1))
            key = None if nxt > created_at + GIVE_UP_AFTER else nxt
            by_next.setdefault(key, []).append(pk)
        for nxt, pks in by_next.items():
            if nxt is None:
                WebhookEvent.objects.filter(pk__in=pks).update(state=FAILED, next_attempt_at=None, **fields)
            else:
                WebhookEvent.objects.filter(pk__in=pks).update(next_attempt_at=nxt, **fields)


def webhooks_deliver(*, now=None, batch: int = WEBHOOK_BATCH, max_requests: int = 200,
                     budget_seconds: float = 25.0) -> int:
    """POSTs due events, one (client, URL) batch per request, until none is due, or after
    `max_requests` or `budget_seconds` (slow receivers do not hold a worker for long; the next
    run goes on). Returns how many events were delivered. No lock is held during a POST."""
    delivered = 0
    stop_at = time.monotonic() + budget_seconds
    for _ in range(max_requests):
        at = now or timezone.now()
        claimed = _claim(at, batch)
        if claimed is None:
            break
        client_id, url, secret, rows = claimed
        if not rows:
            continue
        if secret is None:  # the endpoint was removed: nobody can verify these any more
            _record(client_id, url, rows, None, "No webhook endpoint (signing secret) for this client.", 0, at)
            WebhookEvent.objects.filter(pk__in=[r[0] for r in rows]).update(state=FAILED, next_attempt_at=None)
            continue
        t0 = time.monotonic()
        status, error = webhook_post(url, secret, webhook_body(rows))
        duration_ms = int((time.monotonic() - t0) * 1000)
        _record(client_id, url, rows, status, error, duration_ms, now or timezone.now())
        if _outcome(status) == DELIVERED:
            delivered += len(rows)
        log.info("webhook %s: %s event(s) → %s %s", url, len(rows), status, error)
        if time.monotonic() > stop_at:
            break
    return delivered


KEEP = timedelta(days=30)  # delivered and failed events, and the delivery log, are kept this long


def webhook_events_purge(*, now=None, keep: timedelta = KEEP, batch: int = 10_000) -> int:
    """The nightly clean-up: events (their payloads hold recipients' numbers) and deliveries older
    than `keep` are deleted, in batches. Returns how many events went."""
    cutoff = (now or timezone.now()) - keep
    total = 0
    while True:
        ids = list(WebhookEvent.objects.filter(created_at__lt=cutoff).order_by("id").values_list("id", flat=True)[:batch])
        if not ids:
            break
        total += WebhookEvent.objects.filter(pk__in=ids).delete()[0]
    WebhookDelivery.objects.filter(created_at__lt=cutoff).delete()
    return total



# Viber's steps after delivery (seen, clicked) as events of their own: the message's status is
# unchanged (`delivered`), the event says what happened.
VIBER_EVENTS = frozenset({"seen", "clicked"})
_SQL_VIBER_EVENTS_INSERT = (
    _SQL_EVENTS_INSERT.replace("w.url), m.status, jsonb_build_object(",
                               "w.url), %(event)s, jsonb_build_object('event', %(event)s::text, 'channel', m.channel, ")
    .replace("AND m.status = %(status)s ", ""))
assert _SQL_VIBER_EVENTS_INSERT != _SQL_EVENTS_INSERT


def webhook_events_viber(*, message_ids, event: str, now=None) -> int:
    """A `seen` or `clicked` event for each of these Viber messages whose client has a webhook URL
    (as `webhook_events_record`). Call inside the transaction that records it."""
    ids = list(message_ids)
    if event not in VIBER_EVENTS or not ids:
        return 0
    now = now or timezone.now()
    with connection.cursor() as cur:
        cur.execute(_SQL_VIBER_EVENTS_INSERT, {"ids": ids, "event": event, "now": now, "pending": PENDING})
        written = cur.rowcount
    if written:
        transaction.on_commit(webhooks_kick)
    return written
