"""The Viber provider simulator: a threaded HTTP server speaking ``messaging.viber.wire``, for
tests, the demo and benchmarks (``manage.py viber_simulator``). No database.

It validates a send as the partners' APIs do (``validation.message_refusals``, same refusal
codes), answers with a provider id (the same one again for the same ``sequence_id`` and
recipient), then plays the recipient's scenario: each step is applied to its own state (what
``/message/status.json`` answers) and, with a callback URL, POSTed there as a signed webhook
(``signing``; one POST per step, in order, retried 5 times on failure). Scenarios by the last two
digits of the recipient's number: ``SCENARIOS`` below.
"""
from __future__ import annotations

import heapq
import http.server
import itertools
import json
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from urllib.parse import urlsplit

from . import wire
from .http import ConnectionPool
from .provider import (
    WIRE_CODES, InboundEvent, OutgoingMessage, ProviderError, Reason, Refusal, Refused, Status, StatusEvent,
    ViberState, status_apply,
)
from .signing import signature_headers
from .validation import message_refusals

# The scenario of a recipient, by the last two digits of its number (d = delay seconds); also
# the help of `manage.py viber_simulator`.
SCENARIOS = """    ..00  undelivered, not_viber_user, at 0.2·d (the Viber→SMS fallback case)
    ..01  sent d, delivered 2d, seen 3d, clicked 4d
    ..02  sent d, undelivered (blocked the sender) 2d
    ..03  sent d, expired when the TTL passes (ttl × ttl_scale)
    ..04  sent d, expired at the TTL, then delivered late d after it (R-VIB-07)
    ..05  rejected (rejected_by_viber) at d
    ..06  sent d, delivered 2d, never seen
    ..07  sent d, delivered 2d, seen 3d, then the user replies reply_after seconds later
          (an inbound event with reply_to = the message's provider id)
    ..08  out of order and twice: seen + delivered in one POST at d, sent 2d, the same seen
          event again (same event id) 2d, delivered again (new event id) 3d, clicked 3d, clicked
          again 4d; ends seen and clicked
    ..09  refused at send: recipient on the stop list (404)
    other sent d, delivered 2d, seen 3d"""

logger = logging.getLogger("smsportal.viber.simulator")
MAX_BODY = 1024 * 1024
POST_ATTEMPTS = 5


@dataclass
class SimulatorConfig:
    host: str = "127.0.0.1"
    port: int = 0
    callback_url: str = ""      # where the signed status and inbound webhooks go; empty = none (poll only)
    secret: str = ""            # their signing secret
    token: str = ""             # the bearer token required; empty = any
    delay: float = 0.5          # d: seconds between the steps of a scenario
    reply_after: float = 2.0    # scenario 07: seconds from seen to the user's reply
    ttl_scale: float = 1.0      # multiplies the TTL before scenarios 03/04 expire (tests: 0.01)
    shared_sender: str = ""     # the shared sender name (transactional refused from it, 415)
    max_records: int = 200_000  # messages remembered (polls, idempotency); the oldest are forgotten

    def __post_init__(self):
        if self.callback_url:
            if urlsplit(self.callback_url).scheme not in ("http", "https"):
                raise ValueError("--callback-url must be an http(s) URL")
            if not self.secret:
                raise ValueError("--secret is required with --callback-url (webhooks are signed)")
        if self.delay < 0 or self.reply_after < 0 or self.ttl_scale <= 0 or self.max_records < 1:
            raise ValueError("--delay and --reply-after must be >= 0, --ttl-scale > 0 and --max-records >= 1")


@dataclass
class _Record:
    provider_id: str
    message: OutgoingMessage
    created: datetime
    state: ViberState = field(default_factory=ViberState)
    click_time: datetime | None = None


def _now() -> datetime:
    return datetime.now(timezone.utc)


class ViberSimulator:
    def __init__(self, config: SimulatorConfig):
        self.config = config
        self.records: dict[str, _Record] = {}
        self.sequences: dict[tuple[str, str], str] = {}
        self.stats = {"sends": 0, "accepted": 0, "refused": 0, "replays": 0, "polls": 0, "webhooks": 0,
                      "webhooks_failed": 0}
        self._lock = threading.Lock()
        self._heap: list[tuple[float, int, object]] = []
        self._counter = itertools.count()
        self._wake = threading.Condition(self._lock)
        self._outbox: queue.Queue = queue.Queue()
        self._stopping = threading.Event()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._callback = None
        if config.callback_url:
            parts = urlsplit(config.callback_url)
            self._callback = ConnectionPool(f"{parts.scheme}://{parts.netloc}", timeout=5.0, size=2)
            self._callback_path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    # --- lifecycle ----------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server else self.config.port

    def start(self) -> ViberSimulator:
        self._server = http.server.ThreadingHTTPServer((self.config.host, self.config.port), _handler(self))
        self._server.daemon_threads = True
        for target in (partial(self._server.serve_forever, poll_interval=0.1), self._schedule_loop, self._post_loop):
            thread = threading.Thread(target=target, daemon=True, name="viber-simulator")
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()
        self._outbox.put(None)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._callback is not None:
            self._callback.close()

    # --- the API ------------------------------------------------------------------------------
    def send(self, body) -> dict:
        try:
            messages = wire.messages_from_send_request(body)
        except ValueError as exc:
            return wire.envelope(wire.BAD_REQUEST, "BAD_REQUEST", None) | {"detail": str(exc)}
        with self._lock:
            self.stats["sends"] += 1
        content = [r for r in message_refusals(messages[0], shared_sender=self.config.shared_sender)
                   if r.code != Refusal.PHONE_INVALID]
        if content:
            with self._lock:
                self.stats["refused"] += len(messages)
            return wire.refusal_envelope(content[0])
        results = [self._accept(message) for message in messages]
        return wire.envelope(wire.OK, "SUCCESS_MESSAGE_ACCEPTED", results)

    def _accept(self, message: OutgoingMessage) -> dict:
        refusal = next((r for r in message_refusals(message) if r.code == Refusal.PHONE_INVALID), None)
        if refusal is None and message.phone.endswith("09"):
            refusal = Refused(Refusal.STOP_LIST, "The recipient is on the stop list.")
        if refusal is not None:
            with self._lock:
                self.stats["refused"] += 1
            return {"phone": message.phone, "response_code": WIRE_CODES[refusal.code],
                    "response_status": refusal.code.upper(), "detail": refusal.detail, "message_id": None}
        key = (message.idempotency_key, message.phone)
        with self._lock:
            known = self.sequences.get(key) if message.sequence_id else None
            if known is not None:
                self.stats["replays"] += 1
                return {"phone": message.phone, "response_code": wire.OK, "response_status": "OK",
                        "message_id": known}
            provider_id = str(uuid.uuid4())
            record = _Record(provider_id=provider_id, message=message, created=_now())
            record.state = ViberState(status=Status.ACCEPTED, at=record.created)
            self.records[provider_id] = record
            if message.sequence_id:
                self.sequences[key] = provider_id
            while len(self.records) > self.config.max_records:  # a long demo run: forget the oldest
                old = self.records.pop(next(iter(self.records)))
                self.sequences.pop((old.message.idempotency_key, old.message.phone), None)
            self.stats["accepted"] += 1
            self._plan(record)
        return {"phone": message.phone, "response_code": wire.OK, "response_status": "OK",
                "message_id": provider_id}

    def status(self, body) -> dict:
        ids = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or len(ids) > 1000:
            return wire.envelope(wire.BAD_REQUEST, "BAD_REQUEST", None) | {
                "detail": "'messages' must be a list of at most 1000 message ids"}
        out = []
        with self._lock:
            self.stats["polls"] += 1
            for provider_id in ids:
                record = self.records.get(provider_id)
                if record is None:
                    out.append({"message_id": provider_id, "response_code": wire.UNKNOWN_MESSAGE,
                                "response_status": "NOT_FOUND", "status": None})
                    continue
                state = record.state
                out.append({"message_id": provider_id, "response_code": wire.OK, "response_status": "OK",
                            "type": "viber", "status": state.status, "reason": state.reason,
                            "updated_at": wire.timestamp(state.at or record.created),
                            "click_time": wire.timestamp(record.click_time) if record.click_time else None})
        return wire.envelope(wire.OK, "OK", out)

    # --- scenarios ------------------------------------------------------------------------------
    def _plan(self, record: _Record) -> None:
        """Schedules the recipient's scenario (called with the lock held)."""
        d, pid = self.config.delay, record.provider_id
        suffix = record.message.phone[-2:]
        ttl = record.message.ttl * self.config.ttl_scale
        steps: list[tuple[float, list[tuple[str, str, str]]]]  # (offset, [(status, reason, event id)])

        def ev(status, reason=""):
            return [(status, reason, str(uuid.uuid4()))]

        if suffix == "00":
            steps = [(0.2 * d, ev(Status.UNDELIVERED, Reason.NOT_VIBER_USER))]
        elif suffix == "01":
            steps = [(d, ev(Status.SENT)), (2 * d, ev(Status.DELIVERED)), (3 * d, ev(Status.SEEN)),
                     (4 * d, ev(Status.CLICKED))]
        elif suffix == "02":
            steps = [(d, ev(Status.SENT)), (2 * d, ev(Status.UNDELIVERED, Reason.BLOCKED))]
        elif suffix == "03":
            steps = [(d, ev(Status.SENT)), (max(ttl, 2 * d), ev(Status.EXPIRED))]
        elif suffix == "04":
            expire = max(ttl, 2 * d)
            steps = [(d, ev(Status.SENT)), (expire, ev(Status.EXPIRED)), (expire + d, ev(Status.DELIVERED))]
        elif suffix == "05":
            steps = [(d, ev(Status.REJECTED, Reason.REJECTED_BY_VIBER))]
        elif suffix == "06":
            steps = [(d, ev(Status.SENT)), (2 * d, ev(Status.DELIVERED))]
        elif suffix == "08":
            seen, delivered = ev(Status.SEEN), ev(Status.DELIVERED)
            steps = [(d, seen + delivered), (2 * d, ev(Status.SENT)), (2 * d, seen),
                     (3 * d, [(Status.DELIVERED, "", str(uuid.uuid4()))]), (3 * d, ev(Status.CLICKED)),
                     (4 * d, ev(Status.CLICKED))]
        else:
            steps = [(d, ev(Status.SENT)), (2 * d, ev(Status.DELIVERED)), (3 * d, ev(Status.SEEN))]
        start = time.monotonic()
        for offset, events in steps:
            self._at(start + offset, ("status", pid, events))
        if suffix == "07":
            self._at(start + 3 * d + self.config.reply_after, ("inbound", pid, None))

    def _at(self, due: float, action) -> None:
        heapq.heappush(self._heap, (due, next(self._counter), action))
        self._wake.notify()

    def _schedule_loop(self) -> None:
        while not self._stopping.is_set():
            with self._wake:
                while not self._stopping.is_set() and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._wake.wait(timeout)
                if self._stopping.is_set():
                    return
                _due, _n, action = heapq.heappop(self._heap)
                body = self._play(action)
            if body is not None and self._callback is not None:
                self._outbox.put(body)

    def _play(self, action) -> bytes | None:
        """Applies one step to the message's state (lock held) and returns its webhook body."""
        kind, pid, events = action
        record = self.records.get(pid)
        if record is None:  # forgotten (max_records)
            return None
        now = _now()
        if kind == "inbound":
            message = record.message
            inbound = InboundEvent(event_id=str(uuid.uuid4()), provider_id=str(uuid.uuid4()), phone=message.phone,
                                   sender=message.sender, at=now, text="Thank you, I will come on Friday.",
                                   reply_to=pid)
            items = [wire.inbound_event_json(inbound)]
        else:
            items = []
            for status, reason, event_id in events:
                event = StatusEvent(provider_id=pid, status=status, at=now, reason=reason, event_id=event_id)
                new = status_apply(record.state, event)
                if new is not None:
                    record.state = new
                    if status == Status.CLICKED:
                        record.click_time = now
                items.append(wire.status_event_json(event))
        return json.dumps({"events": items}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def _post_loop(self) -> None:
        while True:
            body = self._outbox.get()
            if body is None or self._stopping.is_set():
                return
            for attempt in range(POST_ATTEMPTS):
                headers = signature_headers(secret=self.config.secret, raw_body=body)
                try:
                    status, _ = self._callback.post(self._callback_path, body, headers)
                except ProviderError as exc:
                    status, error = 0, exc.detail
                else:
                    error = f"HTTP {status}"
                if 200 <= status < 300:
                    with self._lock:
                        self.stats["webhooks"] += 1
                    break
                logger.warning("webhook to %s failed (%s), attempt %s", self.config.callback_url, error, attempt + 1)
                if self._stopping.wait(0.2 * 2 ** attempt):
                    return
            else:
                with self._lock:
                    self.stats["webhooks_failed"] += 1

    # for tests in this process
    def events_due(self) -> int:
        with self._lock:
            return len(self._heap) + self._outbox.qsize()


def _handler(sim: ViberSimulator):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: every answer has its Content-Length
        # One segment per answer (headers and body buffered, flushed after each request) and no
        # Nagle: otherwise every keep-alive answer waits for the client's delayed ACK (~40 ms).
        wbufsize = 64 * 1024
        disable_nagle_algorithm = True
        server_version = "ViberSimulator/1"

        def do_POST(self):  # noqa: N802
            length = self.headers.get("Content-Length")
            if length is None or not length.isdigit() or int(length) > MAX_BODY:
                self.close_connection = True
                return self._answer(413 if length and length.isdigit() else 411, {"detail": "body size"})
            raw = self.rfile.read(int(length))
            path = self.path.split("?", 1)[0]
            if path not in (wire.SEND_PATH, wire.STATUS_PATH):
                return self._answer(404, {"detail": "not found"})
            token = sim.config.token
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Bearer ") or (token and auth[len("Bearer "):] != token):
                return self._answer(200, wire.envelope(wire.TOKEN_INVALID, "INVALID_TOKEN", None))
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                return self._answer(200, wire.envelope(wire.BAD_REQUEST, "BAD_REQUEST", None) | {
                    "detail": "the body is not JSON"})
            answer = sim.send(body) if path == wire.SEND_PATH else sim.status(body)
            self._answer(200, answer)

        def _answer(self, status: int, payload: dict) -> None:
            data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt, *args):
            logger.debug("%s " + fmt, self.address_string(), *args)

    return Handler
