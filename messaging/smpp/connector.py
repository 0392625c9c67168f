"""The SMPP connector of a route: its binds submit queued parts, read receipts and inbound SMS.

Shape
    One `Connector` per route (`manage.py smpp_connector --route NAME`; one process per route in
    production) runs `route.binds` binds, one thread each. A bind owns its TCP session(s): an
    smpplib `Client` connects and binds (transceiver, or a transmitter + a receiver for bind mode
    `tx_rx`), then the bind frames PDUs itself on a non-blocking socket with a read buffer (one
    recv for many PDUs, a struct codec for the hot PDUs), TCP_NODELAY on. It keeps a window of
    `route.window_size` outstanding submit_sm, sends enquire_link after a quiet
    `enquire_link_interval` and drops a link whose answer does not come (watchdog), answers an
    SMSC-initiated unbind, and reconnects with exponential backoff and jitter (longer after
    ESME_RALYBND: operators refuse fast rebinds). The route's TPS limit holds across all binds and
    processes (messaging.smpp.throttle); an SMSC that answers ESME_RTHROTTLED / ESME_RMSGQFUL
    makes the bind slow down (AIMD) and resend the same part, byte for byte.

    Work arrives by PostgreSQL LISTEN/NOTIFY (payload: route id) and an idle poll (for what a
    lost LISTEN connection missed). A bind claims two windows of parts at a time with SELECT … FOR
    UPDATE SKIP LOCKED, so two binds or two processes never send the same part; what it learned since its last claim
    (accepted parts, errors, receipts, MO) goes in the same transaction (one PostgreSQL pipeline,
    messaging.services.dispatch). That transaction runs on the bind's database thread while the
    bind keeps reading and writing its socket. Receipts and MO messages are stored, and committed,
    before their deliver_sm is answered. When a bind is idle-ish it asks query_sm for parts still without a
    final status (10 min, 1 h, 6 h, 24 h after submission, then daily for 7 days: R-MSG-04) and
    stores final answers as receipts; the beat job "Delivery-report matching and expiry" matches
    them with the receipts and closes the 7-day window.

Never submit twice
    A part's claim (status SUBMITTING) is committed before its PDU is written, and only the bind
    that claimed it writes it. Parts a bind claimed but never wrote (it stops, or loses its link
    first) go back to QUEUED; a part answered "throttled" is resent by the same bind with the
    same bytes; a part refused with a temporary error goes back to QUEUED for a retry after a
    backoff (the SMSC refused it: sending it again is no duplicate). A part written without an
    answer is never written again: it is in doubt. A bind whose database connection breaks (its
    SMPP link is fine) reads the answers to what is in flight before it drops the session, and
    what it then cannot store (accepted parts, receipts, claimed parts never written) it keeps
    for its next session: a database outage leaves nothing in doubt.

POLICY for parts in doubt
    A part is *in doubt* when it was written to the SMSC and no submit_sm_resp was read for it:
    the connector crashed or was killed with it in flight (found SUBMITTING without an SMSC id
    when a connector starts and no other connector of the route is alive, or 2 minutes later by
    the beat job), its response timed out (30 s), or the link broke before the answer came. The
    SMSC may or may not have accepted it, and SMPP gives no way to ask (query_sm needs the id we
    never got). So an in-doubt part is:

    1. never resent: a duplicate SMS is worse for the recipient and the client than a missing
       one, and the client paid for one;
    2. flagged (`error_code = "in_doubt"`, status stays SUBMITTING), counted and logged when a
       connector starts and whenever one is found;
    3. settled by a receipt if one comes: a receipt whose SMSC id no part has, at least a
       minute old, that names the part's recipient (source address), whose `text:` field is the
       start of the part's text, and whose submit date is within 15 minutes of when the part was
       written, settles it (the part takes the receipt's id and status; the message follows);
    4. otherwise, when the 7-day receipt window (R-MSG-04) closes, EXPIRED with error_code
       `in_doubt`, and it stays charged: the operator may well have delivered it, and a refund
       would pay the client for something it probably got. Staff see these parts by their error
       code.

    Why: the client is charged per part accepted, and SMPP guarantees nothing about a PDU whose
    response was lost; resending risks a duplicate to a person, never resending risks one lost
    SMS. We take the lost SMS, make it rare and visible, and keep the receipt as the proof.

    The window bounds how many parts a crash can leave in doubt: per bind, `window_size` written
    and unanswered, plus at most one and a half claims committed but not yet written (a claim is
    two windows, at most 256 parts, and the next is asked for when half of one is left): four
    windows at worst, 40 parts for a window of 10. A clean stop (SIGTERM) leaves none: a
    stopping bind writes nothing new, waits for its answers and gives its unwritten claim back.
"""
from __future__ import annotations

import logging
import random
import select
import socket
import struct
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from datetime import timezone as dt_timezone

import psycopg
import smpplib.client
import smpplib.consts
import smpplib.exceptions
from django.conf import settings
from django.db import DatabaseError, InterfaceError, close_old_connections, connection
from django.utils import timezone

from messaging import segments
from messaging.models import Route
from messaging.services import NOTIFY_CHANNEL
from messaging.services.binds import heartbeat_run
from messaging.services.dispatch import (
    GENERIC_NACK,
    IN_DOUBT_AFTER,
    PERMANENT,
    THROTTLE,
    ClaimedPart,
    connector_flush,
    parts_due_for_query,
    parts_flag_in_doubt,
    parts_in_doubt_count,
    parts_release,
    smpp_error_kind,
)

from .receipts import STATE_STAT, canonical_id, receipt_from_fields
from .throttle import AdaptiveRate, limiter_for_route

log = logging.getLogger("smsportal.connector")

RESPONSE_TIMEOUT = 30.0  # seconds for a submit_sm_resp; later the part is in doubt
FLUSH_INTERVAL = 0.05  # seconds results may wait for their database write while busy
FLUSH_MAX = 1000  # results that trigger a write at once
CLAIM_WINDOWS = 2.0  # parts claimed per transaction, in windows (bounds what a crash leaves in doubt)
QUERY_CHECK_INTERVAL = 10.0  # seconds between looks for due query_sm while idle
QUERY_BATCH = 50
ENQUIRE_TIMEOUT = 10.0  # seconds for an enquire_link_resp
STOP_DRAIN = 5.0  # seconds a stopping bind waits for answers to what it wrote
LOCK_CLASS = 0x534D  # pg advisory lock (class, route id): held shared by every connector of a route
APPLY_INTERVAL = 0.2  # at most this often a bind enqueues receipt matching

# --- PDU codec (the hot PDUs; the rest goes through smpplib) -------------------------------------

GENERIC_NACK_ID = 0x80000000
QUERY_SM = 0x00000003
QUERY_SM_RESP = 0x80000003
SUBMIT_SM = 0x00000004
SUBMIT_SM_RESP = 0x80000004
DELIVER_SM = 0x00000005
DELIVER_SM_RESP = 0x80000005
UNBIND = 0x00000006
UNBIND_RESP = 0x80000006
ENQUIRE_LINK = 0x00000015
ENQUIRE_LINK_RESP = 0x80000015
ALERT_NOTIFICATION = 0x00000102
ESME_RINVCMDID = 0x03
ESME_RALYBND = 0x05
BIND_FAILURES_SLOW = {0x0D, 0x0E, 0x0F}  # bind failed, bad password, bad system_id: an operator's fix
TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_MESSAGE_PAYLOAD = 0x0424
TLV_MESSAGE_STATE = 0x0427
MAX_PDU = 64 * 1024

_HDR = struct.Struct(">IIII")
_TLV = struct.Struct(">HH")


def _resp(command_id: int, seq: int, status: int = 0, body: bytes = b"") -> bytes:
    return _HDR.pack(16 + len(body), command_id, status, seq) + body


def smpp_time(when: datetime) -> bytes:
    """SMPP absolute time in UTC: YYMMDDhhmmss + tenths + quarter hours + '+'."""
    return when.astimezone(dt_timezone.utc).strftime("%y%m%d%H%M%S").encode() + b"000+"


def parse_sm(body: bytes):
    """(source_ton, source, dest, esm_class, data_coding, short_message, tlvs) of a deliver_sm
    (or submit_sm) body; raises ValueError/IndexError when malformed."""
    idx = body.index
    p = idx(0) + 1  # service_type
    src_ton = body[p]
    p += 2
    q = idx(0, p)
    src = body[p:q]
    p = q + 3
    q = idx(0, p)
    dst = body[p:q]
    p = q + 1
    esm_class = body[p]
    p = idx(0, p + 3) + 1  # schedule_delivery_time
    p = idx(0, p) + 1  # validity_period
    data_coding = body[p + 2]
    sm_length = body[p + 4]
    p += 5
    end = p + sm_length
    n = len(body)
    if end > n:
        raise ValueError("short_message runs past the PDU")
    short_message = body[p:end]
    tlvs = {}
    p = end
    while p + 4 <= n:
        tag, length = _TLV.unpack_from(body, p)
        p += 4
        tlvs[tag] = body[p:p + length]
        p += length
    return src_ton, src, dst, esm_class, data_coding, short_message, tlvs


def _cstr(data: bytes) -> bytes:
    i = data.find(0)
    return data if i < 0 else data[:i]


class LinkDead(Exception):
    """The session is unusable (closed, silent, unbound by the SMSC): reconnect."""


class BindRefused(Exception):
    def __init__(self, status: int, text: str):
        super().__init__(text)
        self.status = status


class _Link:
    """One TCP session: smpplib connects and binds it, then PDUs are framed here."""

    BIND = {"trx": "bind_transceiver", "tx": "bind_transmitter", "rx": "bind_receiver"}

    def __init__(self, route: Route, kind: str, name: str):
        self.route, self.kind, self.name = route, kind, name
        self.client = smpplib.client.Client(route.host, route.port, timeout=10, allow_unknown_opt_params=True,
                                            logger_name=f"smsportal.smpp.{route.name}")
        self.sock: socket.socket | None = None
        self.rbuf = bytearray()
        self.out = bytearray()
        self.last_heard = time.monotonic()
        self.enquire_sent: float | None = None
        self.unbound = False
        self.can_submit = kind in ("trx", "tx")

    def open(self) -> None:
        try:
            self.client.connect()
        except smpplib.exceptions.ConnectionError as exc:
            raise LinkDead(f"connect to {self.route.host}:{self.route.port}: {exc}") from exc
        self.client._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            getattr(self.client, self.BIND[self.kind])(system_id=self.route.system_id, password=self.route.password,
                                                        system_type=self.route.system_type or None)
        except smpplib.exceptions.PDUError as exc:
            status = exc.args[1] if len(exc.args) > 1 else 0
            raise BindRefused(int(status), str(exc.args[0])) from exc
        except (smpplib.exceptions.ConnectionError, OSError, socket.timeout) as exc:
            raise LinkDead(f"bind: {exc!r}") from exc
        self.sock = self.client._socket
        self.sock.setblocking(False)
        self.last_heard = time.monotonic()

    def fileno(self) -> int:
        return self.sock.fileno()

    def next_seq(self) -> int:
        return self.client.next_sequence()

    def write(self, data: bytes) -> None:
        self.out += data
        self.send_pending()

    def send_pending(self) -> None:
        if not self.out:
            return
        try:
            sent = self.sock.send(self.out)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            raise LinkDead(f"send: {exc}") from exc
        del self.out[:sent]

    def read(self) -> list[tuple[int, int, int, bytes]]:
        """Every complete PDU now readable: (command_id, status, sequence, body)."""
        try:
            data = self.sock.recv(1 << 18)
        except (BlockingIOError, InterruptedError):
            return []
        except OSError as exc:
            raise LinkDead(f"recv: {exc}") from exc
        if not data:
            raise LinkDead("closed by the SMSC")
        self.last_heard = time.monotonic()
        self.enquire_sent = None  # anything heard proves the link
        buf = self.rbuf
        buf += data
        pdus = []
        pos, n = 0, len(buf)
        unpack = _HDR.unpack_from
        while n - pos >= 16:
            length, command_id, status, seq = unpack(buf, pos)
            if length < 16 or length > MAX_PDU:
                raise LinkDead(f"broken PDU (length {length})")
            end = pos + length
            if end > n:
                break
            pdus.append((command_id, status, seq, bytes(buf[pos + 16:end])))
            pos = end
        del buf[:pos]
        return pdus

    def close(self) -> None:
        try:
            self.client.state = smpplib.consts.SMPP_CLIENT_STATE_OPEN  # we unbound (or the link is gone)
            self.client.disconnect()
        except Exception:  # noqa: BLE001 (closing a broken socket)
            pass
        self.sock = None


class _Wakeup:
    """PostgreSQL LISTEN on the dispatch channel; without that connection nothing (the idle poll
    covers it)."""

    def __init__(self, route_id: int):
        self.route_id = str(route_id)
        self.conn = _pg_connect(f"route {route_id}: LISTEN")
        if self.conn is not None:
            try:
                self.conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
            except psycopg.Error as exc:
                log.warning("route %s: LISTEN failed (%s); polling only", route_id, exc)
                self.close()

    def fileno(self):
        return self.conn.fileno()

    def drain(self) -> bool:
        """True when a notification for this route arrived."""
        if not self.conn:
            return False
        woken = False
        try:
            for note in self.conn.notifies(timeout=0, stop_after=1000):
                woken = woken or note.payload in ("", self.route_id)
        except psycopg.Error:
            self.close()
        return woken

    def close(self):
        if self.conn:
            try:
                self.conn.close()
            finally:
                self.conn = None


def _pg_connect(purpose: str):
    db = connection.settings_dict
    try:
        return psycopg.connect(dbname=db["NAME"], user=db.get("USER") or None, password=db.get("PASSWORD") or None,
                               host=db.get("HOST") or None, port=db.get("PORT") or None, autocommit=True)
    except psycopg.Error as exc:
        log.warning("%s unavailable (%s)", purpose, exc)
        return None


# --- the route ----------------------------------------------------------------------------------


class Connector:
    """Serves one route until `stop` is set: settles what an earlier run left in doubt, then runs
    the route's binds (one thread each) and waits for them."""

    def __init__(self, route_id: int, stop: threading.Event | None = None, *,
                 response_timeout: float = RESPONSE_TIMEOUT, query_interval: float | None = None,
                 idle_poll: float | None = None, binds: int | None = None):
        self.route_id = route_id
        self.stop = stop or threading.Event()
        self.response_timeout = response_timeout
        self.query_interval = query_interval if query_interval is not None else float(
            getattr(settings, "SMSPORTAL_QUERY_CHECK_INTERVAL", QUERY_CHECK_INTERVAL))
        self.idle_poll = idle_poll if idle_poll is not None else float(settings.SMSPORTAL_CONNECTOR_IDLE_POLL)
        self.bind_count = binds
        self.binds: list[_Bind] = []
        self.in_doubt_at_start = 0
        self.started = threading.Event()
        self._lock_conn = None

    @property
    def stats(self) -> dict:
        total: dict = {"in_doubt_at_start": self.in_doubt_at_start}
        for b in self.binds:
            for k, v in b.stats.items():
                total[k] = total.get(k, 0) + v
        return total

    def run(self) -> None:
        try:
            delay = 1.0
            while True:
                try:
                    close_old_connections()
                    route = Route.objects.get(pk=self.route_id)
                    self._settle_previous_run(route)
                    break
                except (DatabaseError, InterfaceError, psycopg.Error) as exc:
                    log.warning("route %s: database unavailable at start (%s)", self.route_id, exc)
                    connection.close()
                    if self.stop.wait(delay * random.uniform(0.5, 1.5)):
                        return
                    delay = min(delay * 2, 30.0)
            count = self.bind_count or route.binds
            limiter = limiter_for_route(route.pk, route.tps_limit)
            self.binds = [_Bind(self, i, limiter) for i in range(count)]
            threads = [threading.Thread(target=b.run, name=f"bind-{route.name}-{i}", daemon=True)
                       for i, b in enumerate(self.binds)]
            for t in threads:
                t.start()
            beat_done = threading.Event()
            beat = threading.Thread(target=heartbeat_run, args=(self, beat_done), name=f"heartbeat-{route.name}",
                                    daemon=True)
            beat.start()
            self.started.set()
            while any(t.is_alive() for t in threads):
                for t in threads:
                    t.join(timeout=0.5)
            beat_done.set()
            beat.join(timeout=10)
        finally:
            self.started.set()
            if self._lock_conn is not None:
                self._lock_conn.close()
            connection.close()

    def _settle_previous_run(self, route: Route) -> None:
        """Parts a dead connector left SUBMITTING without an SMSC id are in doubt (the policy in
        the module docstring). Alone on the route (no other connector holds its lock), all of
        them are; otherwise only those older than any live response timeout."""
        alone = True
        conn = self._lock_conn = _pg_connect(f"route {route.name}: connector lock")
        if conn is not None:
            alone = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_CLASS, route.pk]).fetchone()[0]
            if alone:
                conn.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_CLASS, route.pk])
            conn.execute("SELECT pg_advisory_lock_shared(%s, %s)", [LOCK_CLASS, route.pk])
        new = parts_flag_in_doubt(route_id=route.pk, older_than=None if alone else IN_DOUBT_AFTER)
        self.in_doubt_at_start = parts_in_doubt_count(route_id=route.pk)
        if self.in_doubt_at_start:
            log.warning("route %s: %s part(s) in doubt (%s found now): written before a crash or a timeout, "
                        "never resent; a matching receipt settles them, else they expire after 7 days",
                        route.name, self.in_doubt_at_start, new)


# --- one bind -----------------------------------------------------------------------------------


_RESULTS = ("submitted", "complete", "errors", "in_doubt", "expired", "dropped", "receipts", "inbound")


class _Bind:
    """One bind of a route: its thread's loop, its session(s), its window.

    The bind thread alone owns the sockets (and the smpplib clients). Its database work runs on
    a helper thread with its own connection, one transaction ("cycle") at a time: while a cycle
    stores the last results and claims the next parts, the bind thread keeps reading and
    writing. A cycle's claimed parts are written, and the deliver_sm whose receipts it stored
    acknowledged, only when it has committed."""

    def __init__(self, connector: Connector, index: int, limiter):
        self.connector = connector
        self.index = index
        self.stop = connector.stop
        self.limiter = limiter
        self.stats = {"submitted": 0, "receipts": 0, "throttled": 0, "failed": 0, "retried": 0, "inbound": 0,
                      "binds": 0, "in_doubt": 0, "queries": 0, "query_checks": 0, "claims": 0, "claimed": 0,
                      "bind_refused": 0, "cycles": 0}
        self.bound_since = None  # when the current session bound; None while down (the heartbeat)
        self.window = 0
        self.inflight: dict = {}
        # What a session's teardown could not store (the database was gone): kept for the next
        # session, whose first transaction stores it; claimed parts it never wrote go back first.
        for name in _RESULTS:
            setattr(self, name, [])
        self.unreleased: list[int] = []

    def heartbeat(self) -> dict:
        """This bind's state for its heartbeat row (read from the heartbeat thread)."""
        return {"bind": self.index, "bound_since": self.bound_since, "window_in_use": len(self.inflight),
                "window_size": self.window, "submitted": self.stats["submitted"],
                "throttled": self.stats["throttled"]}

    # --- lifecycle ------------------------------------------------------------------------------

    def run(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{threading.current_thread().name}-db")
        self.poke_r, self.poke_w = socket.socketpair()
        self.poke_r.setblocking(False)
        self.poke_w.setblocking(False)
        backoff = 1.0
        try:
            while not self.stop.is_set():
                try:
                    route = self._db(_route_get, self.connector.route_id)
                except (DatabaseError, InterfaceError, psycopg.Error) as exc:
                    log.warning("route %s: database unavailable (%s)", self.connector.route_id, exc)
                    self.stop.wait(min(backoff, 30) * random.uniform(0.5, 1.5))
                    backoff = min(backoff * 2, 60.0)
                    continue
                if not route.is_active:
                    self.stop.wait(5)
                    continue
                self.bound_for = 0.0
                floor = 0.0
                try:
                    self._session(route)
                except BindRefused as exc:
                    self.stats["bind_refused"] += 1
                    if exc.status == ESME_RALYBND:
                        floor = 5.0  # the operator still counts the old bind: give it time
                        log.warning("route %s bind %s: already bound (ESME_RALYBND); backing off", route.name,
                                    self.index)
                    else:
                        floor = 30.0 if exc.status in BIND_FAILURES_SLOW else 2.0
                        log.error("route %s bind %s: bind refused: %s", route.name, self.index, exc)
                except LinkDead as exc:
                    log.warning("route %s bind %s: %s", route.name, self.index, exc)
                except (DatabaseError, InterfaceError, psycopg.Error) as exc:
                    log.error("route %s bind %s: database error: %s", route.name, self.index, exc)
                    floor = 2.0
                except Exception:  # a bug must not silently cost the route a bind
                    log.exception("route %s bind %s: unexpected error", route.name, self.index)
                    floor = 5.0
                if self.stop.is_set():
                    break
                if self.bound_for > 10.0:
                    backoff = 1.0  # it worked for a while: back off from the bottom again
                delay = max(floor, min(backoff, 60.0)) * random.uniform(0.5, 1.5)
                log.info("route %s bind %s: reconnecting in %.1f s", route.name, self.index, delay)
                self.stop.wait(delay)
                backoff = min(max(backoff, floor) * 2, 60.0)
        finally:
            self.pool.submit(_close_db).result()
            self.pool.shutdown(wait=True)
            connection.close()  # this thread's, if anything used one (eager Celery tasks in tests)
            self.poke_r.close()
            self.poke_w.close()

    def _db(self, fn, *args, **kwargs):
        """Runs `fn` on the database thread and waits for it."""
        return self.pool.submit(_on_db_thread, fn, *args, **kwargs).result()

    def _session(self, route: Route) -> None:
        self.route = route
        self.sources: dict[str, bytes] = {}
        self.id_format = route.receipt_id_format
        self.window = max(1, route.window_size)
        self.link_every = max(1, route.enquire_link_interval)
        self.enquire_timeout = min(ENQUIRE_TIMEOUT, max(2.0, self.link_every))
        if route.bind_mode == Route.BindMode.TRANSMITTER_RECEIVER:
            self.links = [_Link(route, "tx", "tx"), _Link(route, "rx", "rx")]
        else:
            self.links = [_Link(route, "trx", "trx")]
        self.tx = self.links[0]
        # Claimed parts are committed SUBMITTING and written at once. A claim is CLAIM_WINDOWS
        # windows: what a crash can leave in doubt is bounded by a few windows (see the policy).
        self.claim_chunk = max(8, min(256, int(self.window * CLAIM_WINDOWS)))
        if route.tps_limit:
            self.claim_chunk = max(1, min(self.claim_chunk, route.tps_limit))
        self.ready: deque[tuple[ClaimedPart, bytes]] = deque()  # claimed (SUBMITTING), not written
        self.inflight: dict[int, tuple[ClaimedPart, bytes, float]] = {}
        self.late: dict[int, ClaimedPart] = {}  # timed out: in doubt unless an answer still comes
        self.parts_left: dict[int, int] = {}  # message id → parts claimed here still unanswered
        self.queries: deque[tuple[int, str, str]] = deque()
        self.qinflight: dict[int, tuple[str, float]] = {}
        self.dead_messages: set[int] = set()
        self.adaptive = AdaptiveRate()
        self.paused_until = 0.0
        self.throttle_pause = 0.05
        self.acks: list[tuple[_Link, int]] = []
        self.cycle = None  # (future, batch, acks, claim) of the transaction under way
        self.pending_since = 0.0
        self.apply_due, self.last_apply = False, 0.0
        self.want_claim = True
        self.next_retry_look = 0.0
        if self.unreleased:
            self._db(parts_release, unwritten=self.unreleased)
            self.unreleased = []
        try:
            for link in self.links:
                link.open()
            self.stats["binds"] += 1
            self.bound_at = time.monotonic()
            self.bound_since = timezone.now()
            log.info("route %s bind %s: bound to %s:%s as %s (%s)", route.name, self.index, route.host, route.port,
                     route.system_id, "+".join(link.kind for link in self.links))
            self.wake = _Wakeup(route.pk)
            try:
                self._loop()
            except (DatabaseError, InterfaceError, psycopg.Error):
                # The database connection broke, not the link: read the answers to what is in
                # flight first (the teardown stores them on a new connection), so a lost
                # database connection leaves nothing in doubt.
                try:
                    self._read_answers(min(STOP_DRAIN, self.connector.response_timeout))
                except LinkDead:
                    pass
                raise
            finally:
                self.wake.close()
        finally:
            self.bound_since = None
            self.bound_for = time.monotonic() - getattr(self, "bound_at", time.monotonic())
            self._teardown()

    def _teardown(self) -> None:
        """Saves what the session learned and gives back what it claimed but never wrote. Parts
        written without an answer are in doubt."""
        for _seq, (part, _body, _sent) in self.inflight.items():
            self.in_doubt.append(part.part_id)
        if self.inflight:
            log.warning("route %s bind %s: %s part(s) written without an answer: in doubt, not resent",
                        self.route.name, self.index, len(self.inflight))
        self.stats["in_doubt"] += len(self.inflight)
        self.inflight.clear()
        try:
            self._cycle_now(send_acks=False)
            if self.ready:
                self._db(parts_release, unwritten=[p.part_id for p, _b in self.ready])
        except (DatabaseError, InterfaceError, psycopg.Error) as exc:
            self.unreleased += [p.part_id for p, _b in self.ready]
            log.error("route %s bind %s: could not save results on the way out (%s); the next session stores them",
                      self.route.name, self.index, exc)
        self.ready.clear()
        for link in self.links:
            link.close()
        if self.apply_due:
            _enqueue_apply(self.route)

    # --- the loop -------------------------------------------------------------------------------

    def _loop(self) -> None:
        next_idle_claim = 0.0
        next_query = time.monotonic() + random.uniform(0, 1) * self.connector.query_interval
        next_timer = 0.0
        idle_poll = self.connector.idle_poll
        while True:
            now = time.monotonic()
            if self.stop.is_set():
                self._drain_and_unbind()
                return
            if now >= next_idle_claim:
                self.want_claim = True
                next_idle_claim = now + idle_poll
            # 1. start a transaction: the results so far and, when the window will want them, more parts
            if self.cycle is None:
                claim = self.claim_chunk if self.want_claim and len(self.ready) <= self.claim_chunk // 2 else 0
                if claim or (self._pending() and (
                        now - self.pending_since >= FLUSH_INTERVAL or not (self.inflight or self.ready)
                        or len(self.submitted) + len(self.receipts) >= FLUSH_MAX)):
                    self._cycle_start(claim)
            # 2. write within the window, the TPS limit and any throttling pause
            wait = self._send(now)
            # 3. query_sm for parts without a final status, when there is nothing else to do
            if (now >= next_query and not self.ready and not self.want_claim and not self.queries
                    and self.cycle is None and len(self.inflight) < self.window // 2 + 1):
                next_query = now + self.connector.query_interval
                self.stats["query_checks"] += 1
                self.queries.extend(self._db(parts_due_for_query, route_id=self.route.pk, limit=QUERY_BATCH))
                if self.queries:
                    wait = self._send(now)
            # 4. wait for the network, the database, a wake-up, or the next timer
            timeout = min(idle_poll, max(0.0, next_idle_claim - now))
            if wait is not None:
                timeout = min(timeout, wait)
            if self._pending() and self.cycle is None:
                timeout = min(timeout, max(0.0, self.pending_since + FLUSH_INTERVAL - now))
            readers = self.links + [self.poke_r] + ([self.wake] if self.wake.conn else [])
            writers = [link for link in self.links if link.out]
            readable, writable, _ = select.select(readers, writers, [], max(0.0, min(timeout, 1.0)))
            for link in writable:
                link.send_pending()
            for r in readable:
                if r is self.wake:
                    if self.wake.drain():
                        self.want_claim = True
                elif r is self.poke_r:
                    self._drain_pokes()
                else:
                    for pdu in r.read():
                        self._handle(r, *pdu)
            if self.cycle is not None and self.cycle[0].done():
                self._cycle_finish()
            now = time.monotonic()
            # 5. timers: enquire_link, watchdog, response timeouts
            if now >= next_timer:
                next_timer = now + 0.25
                self._timers(now)

    def _pending(self) -> bool:
        return bool(self.submitted or self.errors or self.in_doubt or self.receipts or self.inbound or self.expired
                    or self.dropped)

    def _note_pending(self) -> None:
        if not self._pending():
            self.pending_since = time.monotonic()

    def _timers(self, now: float) -> None:
        for link in self.links:
            if link.enquire_sent is not None:
                if now - link.enquire_sent > self.enquire_timeout:
                    raise LinkDead(f"{link.name}: no answer to enquire_link in {self.enquire_timeout:.0f} s")
            elif now - link.last_heard >= self.link_every:
                link.write(_resp(ENQUIRE_LINK, link.next_seq()))
                link.enquire_sent = now
        timeout = self.connector.response_timeout
        if self.inflight:
            first = next(iter(self.inflight.values()))
            if now - first[2] > timeout:
                late = [seq for seq, (_p, _b, sent) in self.inflight.items() if now - sent > timeout]
                self._note_pending()
                for seq in late:
                    part = self.inflight.pop(seq)[0]
                    self.late[seq] = part
                    if len(self.late) > 10_000:  # an answer this late will not come
                        self.late.pop(next(iter(self.late)))
                    self.parts_left.pop(part.message_id, None)
                    self.in_doubt.append(part.part_id)
                self.stats["in_doubt"] += len(late)
                log.warning("route %s bind %s: %s submit_sm without a response in %.0f s: in doubt, not resent",
                            self.route.name, self.index, len(late), timeout)
        if self.qinflight:
            for seq in [s for s, (_sid, sent) in self.qinflight.items() if now - sent > timeout]:
                self.qinflight.pop(seq)
        if self.apply_due and now - self.last_apply >= APPLY_INTERVAL:
            self.apply_due, self.last_apply = False, now
            _enqueue_apply(self.route)

    # --- the database cycle ---------------------------------------------------------------------

    def _cycle_start(self, claim: int = 0) -> None:
        """Hands the results gathered so far, and a claim of `claim` parts, to the database thread."""
        now = time.monotonic()
        retries = claim > 0 and now >= self.next_retry_look
        if retries:
            self.next_retry_look = now + 0.5
        batch = {name: getattr(self, name) for name in _RESULTS}
        for name in _RESULTS:
            setattr(self, name, [])
        acks, self.acks = self.acks, []
        future = self.pool.submit(_on_db_thread, connector_flush, route_id=self.route.pk, claim=claim,
                                  retries=retries, **batch)
        future.add_done_callback(self._poke)
        self.cycle = (future, batch, acks, claim)
        self.stats["cycles"] += 1

    def _poke(self, _future) -> None:
        try:
            self.poke_w.send(b"!")
        except OSError:  # the buffer is full (it is being drained) or the bind is gone
            pass

    def _drain_pokes(self) -> None:
        try:
            while self.poke_r.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    def _cycle_finish(self) -> None:
        """The transaction committed (or failed): write its claim, acknowledge its deliver_sm."""
        future, batch, acks, claim = self.cycle
        self.cycle = None
        try:
            claimed = future.result()
        except Exception:
            # Keep what it was to store for the next try (the teardown's); the SMSC redelivers
            # what stays unacknowledged.
            if any(batch.values()):
                self._note_pending()
            for name in _RESULTS:
                getattr(self, name)[:0] = batch[name]
            raise
        if batch["receipts"]:
            self.apply_due = True
        if acks:
            by_link: dict[_Link, list[bytes]] = {}
            for link, seq in acks:
                by_link.setdefault(link, []).append(_resp(DELIVER_SM_RESP, seq, 0, b"\x00"))
            for link, pdus in by_link.items():
                if link.sock is not None:
                    try:
                        link.write(b"".join(pdus))
                    except LinkDead:
                        pass  # reading it says so too; the SMSC redelivers what stays unacknowledged
        if claim:
            self.want_claim = len(claimed) >= claim
            self.stats["claims"] += 1
            self.stats["claimed"] += len(claimed)
            body = self._submit_body
            parts_left = self.parts_left
            for part in claimed:
                if part.total:
                    parts_left[part.message_id] = part.total
                self.ready.append((part, body(part)))

    def _cycle_now(self, send_acks: bool = True) -> None:
        """Finishes the transaction under way, then stores what is left, and waits for it."""
        if self.cycle is not None:
            self.cycle[0].exception()  # waits
            self._cycle_finish()
        if self._pending() or (self.acks and send_acks):
            if not send_acks:
                self.acks = []
            self._cycle_start(0)
            self.cycle[0].exception()
            self._cycle_finish()

    # --- writing --------------------------------------------------------------------------------

    def _send(self, now: float) -> float | None:
        """Writes what the window, the TPS limit and throttling allow; returns how long to wait
        before more may go (None: nothing waits on a limit)."""
        if now < self.paused_until:
            return self.paused_until - now
        room = self.window - len(self.inflight) - len(self.qinflight)
        if room <= 0:
            return None
        waiting = len(self.ready)
        if not waiting and self.dead_messages:
            self.dead_messages.clear()  # nothing of theirs is left to drop
        if not waiting and not self.queries:
            return None
        if self.inflight and room < min(8, self.window // 4 + 1) and waiting >= room:
            return None  # write in batches: one syscall and one token request for several PDUs
        want = min(room, waiting) if waiting else min(room, len(self.queries))
        granted, wait = self.adaptive.acquire(want)
        if granted and self.limiter is not None:
            granted, wait2 = self.limiter.acquire(granted)
            wait = max(wait, wait2)
        if not granted:
            return max(wait, 0.001)
        if not waiting:
            self._send_queries(granted, now)
            return None
        link = self.tx
        out = []
        pack = _HDR.pack
        inflight, ready = self.inflight, self.ready
        wall = None
        dead = self.dead_messages
        written = 0
        while written < granted and ready:
            part, body = ready.popleft()
            if dead and part.message_id in dead:
                self._note_pending()
                self.dropped.append(part.part_id)  # a sibling failed for good: the message is failed
                self.parts_left.pop(part.message_id, None)
                continue
            if part.valid_until is not None:
                wall = wall or timezone.now()
                if part.valid_until <= wall:
                    self._note_pending()
                    self.expired.append((part.part_id, part.message_id))  # never written: released, expired
                    self.parts_left.pop(part.message_id, None)
                    continue
            seq = link.next_seq()
            out.append(pack(16 + len(body), SUBMIT_SM, 0, seq))
            out.append(body)
            inflight[seq] = (part, body, now)
            written += 1
        if out:
            link.write(b"".join(out))
        return wait if granted < want else None

    def _send_queries(self, n: int, now: float) -> None:
        link = self.tx
        out = []
        for _ in range(min(n, len(self.queries))):
            _pid, sid, sender = self.queries.popleft()
            body = sid.encode("latin-1") + b"\x00" + self._source(sender) + b"\x00"
            seq = link.next_seq()
            out.append(_resp(QUERY_SM, seq, 0, body))
            self.qinflight[seq] = (sid, now)
        self.stats["queries"] += len(out)
        if out:
            link.write(b"".join(out))

    def _source(self, sender: str) -> bytes:
        """source_addr_ton, source_addr_npi and source_addr of a sender, by the route's rules
        (`Route.source_address`: alphanumeric → TON 5, short code, phone number)."""
        cached = self.sources.get(sender)
        if cached is None:
            ton, npi, address = self.route.source_address(sender)
            cached = self.sources[sender] = bytes((ton, npi)) + address.encode("latin-1", "replace")[:20]
        return cached

    def _submit_body(self, part: ClaimedPart) -> bytes:
        route = self.route
        payload = part.payload
        sm = payload.short_message
        validity = smpp_time(part.valid_until) if part.valid_until else b""
        return b"".join((
            (route.system_type or "").encode("latin-1"), b"\x00",
            self._source(part.sender), b"\x00",
            b"\x01\x01", part.recipient.lstrip("+").encode("latin-1"), b"\x00",
            bytes((payload.esm_class, 0, 0)),  # esm_class, protocol_id, priority_flag
            b"\x00",  # schedule_delivery_time: now
            validity, b"\x00",
            bytes((1, 0, payload.data_coding, 0, len(sm))),  # registered_delivery, replace, dc, default id
            sm,
        ))

    # --- what comes in --------------------------------------------------------------------------

    def _handle(self, link: _Link, command_id: int, status: int, seq: int, body: bytes) -> None:
        if command_id == SUBMIT_SM_RESP:
            entry = self.inflight.pop(seq, None)
            if entry is None:
                part = self.late.pop(seq, None)  # answered after all: no longer in doubt
                if part is None:
                    return
                entry = (part, b"", 0.0)
            part, body_sent, _sent = entry
            self._note_pending()
            if status == 0:
                sid = canonical_id(_cstr(body), self.id_format)
                if sid:
                    mid = part.message_id
                    self.submitted.append((part.part_id, mid, sid))
                    left = self.parts_left.get(mid)
                    if left is not None:
                        if left <= 1:
                            del self.parts_left[mid]
                            self.complete.append(mid)
                        else:
                            self.parts_left[mid] = left - 1
                    self.stats["submitted"] += 1
                    self.adaptive.accepted()
                    self.throttle_pause = 0.05
                    return
                status = 0x08  # accepted without an id: nothing could ever match it; treat as an error
            kind = smpp_error_kind(status)
            if kind == THROTTLE and body_sent:
                self.stats["throttled"] += 1
                self.ready.appendleft((part, body_sent))  # the same bytes again, a little later
                self.adaptive.throttled()
                self.paused_until = time.monotonic() + self.throttle_pause
                self.throttle_pause = min(self.throttle_pause * 2, 2.0)
                return
            self.errors.append((part.part_id, part.message_id, status))
            self.parts_left.pop(part.message_id, None)
            self.stats["failed" if kind == PERMANENT else "retried"] += 1
            if kind == PERMANENT:
                self.dead_messages.add(part.message_id)
        elif command_id == DELIVER_SM:
            self._on_deliver_sm(link, seq, body)
        elif command_id == ENQUIRE_LINK:
            link.write(_resp(ENQUIRE_LINK_RESP, seq))
        elif command_id == QUERY_SM_RESP:
            entry = self.qinflight.pop(seq, None)
            if entry is None or status:
                return  # ESME_RQUERYFAIL: the SMSC forgot it; the receipt or the 7 days settle it
            sid_raw = _cstr(body)
            rest = body[len(sid_raw) + 1:]
            final_date = _cstr(rest)
            tail = rest[len(final_date) + 1:]
            if len(tail) < 2:
                return
            state, error = tail[0], tail[1]
            stat = STATE_STAT.get(state)
            if state in (2, 3, 4, 5, 8) and stat:
                self._note_pending()
                sid = canonical_id(sid_raw or entry[0], self.id_format)
                self.receipts.append((sid, stat, f"{error:03d}",
                                      f"query_sm_resp message_state:{state} error_code:{error} "
                                      f"final_date:{final_date.decode('latin-1')}"))
        elif command_id == GENERIC_NACK_ID:
            entry = self.inflight.pop(seq, None)
            if entry is not None:
                self._note_pending()
                self.errors.append((entry[0].part_id, entry[0].message_id, GENERIC_NACK))
                self.parts_left.pop(entry[0].message_id, None)
                self.stats["retried"] += 1
            elif self.qinflight.pop(seq, None) is None:
                log.warning("route %s bind %s: generic_nack %#x for sequence %s", self.route.name, self.index,
                            status, seq)
        elif command_id == ENQUIRE_LINK_RESP:
            link.enquire_sent = None
        elif command_id == UNBIND:
            log.info("route %s bind %s: the SMSC unbinds %s", self.route.name, self.index, link.name)
            self._cycle_now()  # store and acknowledge what came before it
            link.write(_resp(UNBIND_RESP, seq))
            link.send_pending()
            raise LinkDead("unbound by the SMSC")
        elif command_id == UNBIND_RESP:
            link.unbound = True
        elif command_id & 0x80000000 or command_id == ALERT_NOTIFICATION:
            return  # other responses; alert_notification has none
        else:
            link.write(_resp(GENERIC_NACK_ID, seq, ESME_RINVCMDID))

    def _on_deliver_sm(self, link: _Link, seq: int, body: bytes) -> None:
        try:
            src_ton, src, dst, esm_class, data_coding, sm, tlvs = parse_sm(body)
        except (ValueError, IndexError, struct.error):
            link.write(_resp(DELIVER_SM_RESP, seq, 0x02, b"\x00"))  # ESME_RINVCMDLEN
            return
        if not sm and TLV_MESSAGE_PAYLOAD in tlvs:
            sm = tlvs[TLV_MESSAGE_PAYLOAD]
        self._note_pending()
        if (esm_class & 0x3C) == 0x04:  # a delivery receipt
            state = tlvs.get(TLV_MESSAGE_STATE)
            parsed = receipt_from_fields(sm, _cstr(tlvs.get(TLV_RECEIPTED_MESSAGE_ID, b"")),
                                         state[0] if state else None, id_format=self.id_format,
                                         source_addr=src.decode("latin-1"))
            if parsed:
                self.receipts.append(parsed)
                self.stats["receipts"] += 1
            else:
                log.warning("route %s: unreadable receipt %r", self.route.name, sm[:200])
        else:
            concat = segments.parse_concat_udh(sm) if esm_class & 0x40 else None
            text = segments.decode(concat[3] if concat else sm, data_coding)
            source = src.decode("latin-1")
            if src_ton == 1 and source.isdigit():
                source = "+" + source
            part = concat[:3] if concat else _sar(tlvs)  # (ref, total, seq) of a long SMS: joined when stored
            self.inbound.append((source, dst.decode("latin-1"), text, part))
            self.stats["inbound"] += 1
        self.acks.append((link, seq))

    def _read_answers(self, seconds: float) -> None:
        """Writes nothing new and reads for up to `seconds`, until every submit in flight is answered."""
        deadline = time.monotonic() + seconds
        while self.inflight and time.monotonic() < deadline:
            readable, _, _ = select.select(self.links, [], [], 0.1)
            for link in readable:
                for pdu in link.read():
                    self._handle(link, *pdu)

    def _drain_and_unbind(self) -> None:
        """Stopping: write nothing new, wait briefly for answers, save, unbind."""
        self._read_answers(min(STOP_DRAIN, self.connector.response_timeout))
        self._cycle_now()
        for link in self.links:
            link.write(_resp(UNBIND, link.next_seq()))
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline and not all(link.unbound for link in self.links):
            readable, _, _ = select.select(self.links, [], [], 0.1)
            for link in readable:
                try:
                    pdus = link.read()
                except LinkDead:
                    link.unbound = True
                    continue
                for pdu in pdus:
                    if pdu[0] != UNBIND:
                        self._handle(link, *pdu)
            self._cycle_now()


TLV_SAR_MSG_REF_NUM, TLV_SAR_TOTAL_SEGMENTS, TLV_SAR_SEGMENT_SEQNUM = 0x020C, 0x020E, 0x020F


def _sar(tlvs: dict) -> tuple[int, int, int] | None:
    """(ref, total, seq) from the sar_* TLVs some SMSCs use instead of a concatenation UDH."""
    try:
        ref, total, seq = (tlvs[TLV_SAR_MSG_REF_NUM], tlvs[TLV_SAR_TOTAL_SEGMENTS], tlvs[TLV_SAR_SEGMENT_SEQNUM])
    except KeyError:
        return None
    if not ref or not total or not seq:
        return None
    return int.from_bytes(ref, "big"), total[0], seq[0]


def _on_db_thread(fn, *args, **kwargs):
    """Runs on a bind's database thread: a failed statement leaves a fresh connection behind."""
    try:
        return fn(*args, **kwargs)
    except (DatabaseError, InterfaceError, psycopg.Error):
        connection.close()
        raise


def _close_db() -> None:
    connection.close()  # the database thread's own connection (looked up in that thread)


def _route_get(route_id: int) -> Route:
    close_old_connections()
    return Route.objects.get(pk=route_id)


def _enqueue_apply(route: Route) -> None:
    """Asks a worker to match the receipts just stored (the per-minute job does it anyway)."""
    from messaging.tasks import receipts_apply_task  # noqa: PLC0415 (tasks import this module's app)

    try:
        receipts_apply_task.delay()
    except Exception as exc:  # noqa: BLE001 (a broker outage must not stop sending)
        log.warning("route %s: could not enqueue receipt matching: %s", route.name, exc)
