"""The Viber provider over HTTP: the TurboSMS-like JSON API of ``messaging.viber.wire``.

``provider_get()`` is this process's adapter for settings.SMSPORTAL_VIBER_BASE_URL / _TOKEN /
_TIMEOUT. It keeps a small pool of keep-alive connections (``http.client``, stdlib only), shared
by the process's threads and dropped after a fork. A request that fails on a reused connection
(the server closed it while idle) is sent once more on a new one; that is safe because a send is
idempotent by its ``sequence_id``. Every socket operation has the timeout: a provider that does
not answer, refuses the connection, drops it, answers 5xx or answers something unreadable raises
``ProviderUnavailable`` (retryable), never hangs. A refused token, a missing base URL or a
404 for the API's path raise ``ProviderNotConfigured``.
"""
from __future__ import annotations

import http.client
import json
import logging
import os
import threading
from urllib.parse import urlsplit

from django.conf import settings

from . import wire
from .provider import (
    Accepted, OutgoingMessage, ProviderError, ProviderNotConfigured, ProviderUnavailable, Refused, StatusEvent,
)

logger = logging.getLogger("smsportal.viber")
POLL_BATCH = 500


class ConnectionPool:
    """Keep-alive connections to one origin; at most ``size`` kept idle (more may be open at once)."""

    def __init__(self, base_url: str, *, timeout: float, size: int = 8):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ProviderNotConfigured(f"The Viber provider's base URL must be http(s)://host[:port]/…, "
                                        f"not {base_url!r}.")
        self.scheme, self.host, self.port = parts.scheme, parts.hostname, parts.port
        self.prefix = parts.path.rstrip("/")
        self.timeout, self.size = timeout, size
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def _connect(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        return cls(self.host, self.port, timeout=self.timeout)

    def _take(self) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's sockets are not ours
                self._idle, self._pid = [], os.getpid()
            if self._idle:
                return self._idle.pop(), True
        return self._connect(), False

    def _give(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if self._pid == os.getpid() and len(self._idle) < self.size:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def post_json(self, path: str, payload: dict, headers: dict) -> tuple[int, bytes]:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return self.post(path, body, headers)

    def post(self, path: str, body: bytes, headers: dict) -> tuple[int, bytes]:
        """(HTTP status, body) of one POST of a JSON ``body``; ``ProviderUnavailable`` on any transport
        failure."""
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json", **headers}
        for attempt in (1, 2):
            conn, reused = self._take()
            try:
                conn.request("POST", self.prefix + path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except TimeoutError as exc:
                conn.close()
                raise ProviderUnavailable(f"The Viber provider did not answer within {self.timeout:g} s.") from exc
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                if reused and attempt == 1:
                    continue  # a kept-alive connection the server had closed: once more, on a new one
                raise ProviderUnavailable(f"The Viber provider cannot be reached: {type(exc).__name__}: "
                                          f"{exc}.") from exc
            if response.will_close:
                conn.close()
            else:
                self._give(conn)
            return response.status, data
        raise AssertionError("unreachable")


class HttpViberProvider:
    """``provider.ViberProvider`` over the wire format of ``messaging.viber.wire``."""

    def __init__(self, *, base_url: str, token: str, timeout: float = 10.0, pool_size: int = 8):
        if not base_url:
            raise ProviderNotConfigured()
        self.pool = ConnectionPool(base_url, timeout=timeout, size=pool_size)
        self.token = token

    def _call(self, path: str, payload: dict) -> dict:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        status, data = self.pool.post_json(path, payload, headers)
        if status in (401, 403, 404):
            raise ProviderNotConfigured(f"The Viber provider answered HTTP {status} to {path}: check "
                                        "SMSPORTAL_VIBER_BASE_URL and SMSPORTAL_VIBER_TOKEN.")
        if status != 200:
            raise ProviderUnavailable(f"The Viber provider answered HTTP {status}.")
        try:
            answer = json.loads(data)
            code = int(answer["response_code"])
        except (ValueError, TypeError, KeyError):
            raise ProviderUnavailable("The Viber provider's answer is not its JSON envelope.") from None
        if code == wire.TOKEN_INVALID:
            raise ProviderNotConfigured("The Viber provider refused our token (SMSPORTAL_VIBER_TOKEN).")
        if code == wire.BAD_REQUEST:
            raise ProviderError(f"The Viber provider could not read our request: {answer.get('response_status')}.",
                                code="viber_provider_bad_request")
        answer["response_code"] = code
        return answer

    def send(self, message: OutgoingMessage) -> Accepted | Refused:
        answer = self._call(wire.SEND_PATH, wire.send_request(message))
        if answer["response_code"] != wire.OK:
            return wire.refusal_from_wire(answer["response_code"], str(answer.get("response_status") or ""),
                                          str(answer.get("detail") or ""))
        results = answer.get("response_result")
        item = next((r for r in results if isinstance(r, dict) and r.get("phone") == message.phone), None) \
            if isinstance(results, list) else None
        if item is None:
            raise ProviderUnavailable("The Viber provider's answer has no result for the recipient.")
        try:
            code = int(item.get("response_code", 0))
        except (TypeError, ValueError):
            raise ProviderUnavailable("The Viber provider's answer has an unreadable result code.") from None
        if code != wire.OK:
            return wire.refusal_from_wire(code, str(item.get("response_status") or ""), str(item.get("detail") or ""))
        provider_id = item.get("message_id")
        if not isinstance(provider_id, str) or not provider_id:
            raise ProviderUnavailable("The Viber provider accepted the message without giving its id.")
        return Accepted(provider_id)

    def statuses(self, provider_ids: list[str]) -> list[StatusEvent]:
        """The current status of each message (polling, the webhooks' fallback), as events;
        unknown ids give none."""
        events: list[StatusEvent] = []
        for i in range(0, len(provider_ids), POLL_BATCH):
            answer = self._call(wire.STATUS_PATH, {"messages": list(provider_ids[i:i + POLL_BATCH])})
            results = answer.get("response_result")
            if answer["response_code"] != wire.OK or not isinstance(results, list):
                raise ProviderUnavailable(f"The Viber provider's status answer is unusable: "
                                          f"{answer.get('response_status')}.")
            for item in results:
                try:
                    events.extend(wire.status_events_from_poll(item))
                except (ValueError, TypeError, AttributeError):
                    logger.warning("viber status poll: unreadable item %r", item)
        return events

    def close(self) -> None:
        self.pool.close()


_providers: dict[tuple, HttpViberProvider] = {}
_providers_lock = threading.Lock()


def provider_get() -> HttpViberProvider:
    """This process's adapter for the current settings (one connection pool per configuration)."""
    key = (settings.SMSPORTAL_VIBER_BASE_URL, settings.SMSPORTAL_VIBER_TOKEN, settings.SMSPORTAL_VIBER_TIMEOUT)
    with _providers_lock:
        provider = _providers.get(key)
        if provider is None:
            provider = _providers[key] = HttpViberProvider(base_url=key[0], token=key[1], timeout=key[2])
        return provider
