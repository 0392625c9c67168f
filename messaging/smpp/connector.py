"""The SMPP connector of one route: owns its bind, submits queued messages, reads receipts.

One thread owns one smpplib `Client` (smpplib has no locks). The loop never blocks on the
network for long: it selects on the SMPP socket (and on a PostgreSQL LISTEN connection that
wakes it when a message is queued), keeps a window of outstanding submit_sm, answers
enquire_link, and writes what it learned to the database in short batches.

Never submit twice: a part's row is committed as SUBMITTING before its PDU is written, and a
part is only ever written from the claim that created it.
"""
from __future__ import annotations

import logging
import random
import select
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass

import psycopg
import smpplib.client
import smpplib.consts
import smpplib.exceptions
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from messaging import segments
from messaging.models import InboundMessage, Message, MessagePart, Route
from messaging.services import NOTIFY_CHANNEL, messages_transition, receipts_store
from messaging.status import Status

from .receipts import is_receipt, normalize_message_id, parse_receipt

log = logging.getLogger("smsportal.connector")

THROTTLED = {smpplib.consts.SMPP_ESME_RTHROTTLED, smpplib.consts.SMPP_ESME_RMSGQFUL}
CLAIM_BATCH = 500
FLUSH_INTERVAL = 0.02  # seconds between database writes of results while busy
RESPONSE_TIMEOUT = 30.0
APPLY_INTERVAL = 0.1  # at most this often a receipts-matching task is enqueued


@dataclass
class PendingPart:
    part_id: int
    message_id: int
    source: str
    destination: str
    payload: segments.PartPayload


class _Wakeup:
    """PostgreSQL LISTEN on the dispatch channel; elsewhere nothing (the idle poll covers it)."""

    def __init__(self, route_id: int):
        self.route_id = str(route_id)
        self.conn = None
        if connection.vendor != "postgresql":
            return
        db = settings.DATABASES["default"]
        try:
            self.conn = psycopg.connect(
                dbname=db["NAME"], user=db.get("USER") or None, password=db.get("PASSWORD") or None,
                host=db.get("HOST") or None, port=db.get("PORT") or None, autocommit=True)
            self.conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        except psycopg.Error as exc:  # the idle poll still works without it
            log.warning("route %s: LISTEN unavailable (%s); polling only", route_id, exc)
            self.conn = None

    def fileno(self):
        return self.conn.fileno() if self.conn else None

    def drain(self) -> bool:
        """True when a notification for this route arrived."""
        if not self.conn:
            return False
        woken = False
        try:
            for note in self.conn.notifies(timeout=0):
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


class Connector:
    """Runs one route until `stop` is set. Reconnects with backoff and jitter."""

    def __init__(self, route_id: int, stop: threading.Event | None = None):
        self.route_id = route_id
        self.stop = stop or threading.Event()
        self.idle_poll = settings.SMSPORTAL_CONNECTOR_IDLE_POLL
        self.stats = {"submitted": 0, "receipts": 0, "throttled": 0, "failed": 0, "inbound": 0, "binds": 0}

    # --- lifecycle ----------------------------------------------------------------------------

    def run(self) -> None:
        backoff = 1.0
        try:
            while not self.stop.is_set():
                close_old_connections()
                route = Route.objects.get(pk=self.route_id)
                if not route.is_active:
                    self.stop.wait(5)
                    continue
                self.bound = False
                try:
                    self._session(route)
                except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError) as exc:
                    log.warning("route %s: connection lost or refused: %s", route.name, exc)
                finally:
                    if getattr(self, "client", None) is not None:
                        self.client.disconnect()
                if self.bound:
                    backoff = 1.0  # it worked for a while: start the backoff again from the bottom
                if self.stop.is_set():
                    break
                delay = min(backoff, 60.0) * random.uniform(0.5, 1.5)
                log.info("route %s: reconnecting in %.1f s", route.name, delay)
                self.stop.wait(delay)
                backoff = min(backoff * 2, 60.0)
        finally:
            connection.close()

    def _session(self, route: Route) -> None:
        self.route = route
        self.client = smpplib.client.Client(route.host, route.port, timeout=RESPONSE_TIMEOUT,
                                            allow_unknown_opt_params=True,
                                            logger_name=f"smsportal.smpp.{route.name}")
        self.inflight: dict[int, tuple[PendingPart, float]] = {}
        self.pending: deque[PendingPart] = deque()
        self.submitted: list[tuple[int, int, str]] = []  # (part id, message id, smsc id)
        self.failed: list[tuple[int, int, int]] = []  # (part id, message id, status)
        self.receipts: list[tuple[str, str, str, str]] = []
        self.inbound: list[tuple[str, str, str]] = []
        self.to_ack: list[int] = []  # deliver_sm sequences to answer after their rows commit
        self.parts_left: dict[int, int] = {}  # message id → parts not yet acknowledged
        self.min_interval = 1.0 / route.tps_limit if route.tps_limit else 0.0
        self.next_send_at = 0.0
        self.throttled_until = 0.0
        self.client.connect()
        sock = self.client._socket
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        bind = self.client.bind_transceiver
        bind(system_id=route.system_id, password=route.password, system_type=route.system_type or None)
        self.stats["binds"] += 1
        self.bound = True
        log.info("route %s: bound to %s:%s as %s", route.name, route.host, route.port, route.system_id)
        self.apply_due, self.last_apply = False, 0.0
        wake = _Wakeup(route.pk)
        try:
            self._loop(sock, wake)
        finally:
            wake.close()
            try:
                self._flush()
            except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError) as exc:
                log.warning("route %s: could not answer receipts before closing: %s", route.name, exc)
            if self.apply_due:
                self._enqueue_apply(time.monotonic())
            self._shutdown()

    def _shutdown(self) -> None:
        try:
            if self.client._socket is not None and self.client.state != smpplib.consts.SMPP_CLIENT_STATE_CLOSED:
                self.client.send_pdu(smpplib.smpp.make_pdu("unbind", client=self.client))
        except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError):
            pass
        self.client.disconnect()
        if self.inflight:
            # Written to the socket, answer never read: the SMSC may have them. Not resent.
            log.warning("route %s: %s part(s) left without submit_sm_resp (stay SUBMITTING)",
                        self.route.name, len(self.inflight))

    # --- the loop -----------------------------------------------------------------------------

    def _loop(self, sock, wake: _Wakeup) -> None:
        route = self.route
        window = max(1, route.window_size)
        link_every = max(5, route.enquire_link_interval)
        last_heard = last_link = time.monotonic()
        last_claim = 0.0
        last_flush = time.monotonic()
        want_claim = True
        read_list = [sock] + ([wake.conn] if wake.conn else [])
        while not self.stop.is_set():
            now = time.monotonic()
            # 1. claim work when the buffer is empty and something may be waiting
            if not self.pending and (want_claim or now - last_claim >= self.idle_poll):
                last_claim = now
                want_claim = self._claim(CLAIM_BATCH) >= CLAIM_BATCH
            # 2. fill the window, within the TPS limit and any throttling pause
            while self.pending and len(self.inflight) < window and now >= self.throttled_until:
                if self.min_interval and now < self.next_send_at:
                    break
                self._submit(self.pending.popleft(), now)
                self.next_send_at = max(now, self.next_send_at) + self.min_interval
            # 3. wait for the network (or a wake-up) briefly
            timeout = self.idle_poll
            if self.pending and len(self.inflight) < window:
                timeout = max(0.0, max(self.next_send_at, self.throttled_until) - now)
            if self.apply_due:
                timeout = min(timeout, APPLY_INTERVAL)
            if self.submitted or self.failed or self.receipts or self.inbound:
                timeout = min(timeout, FLUSH_INTERVAL)
            readable, _, _ = select.select(read_list, [], [], min(timeout, 1.0))
            if wake.conn in readable and wake.drain():
                want_claim = True
            if sock in readable:
                last_heard = time.monotonic()
                self._read_available(sock)
            now = time.monotonic()
            # 4. write results in batches
            if (self.submitted or self.failed or self.receipts or self.inbound) and (
                    now - last_flush >= FLUSH_INTERVAL or len(self.submitted) >= 1000 or not readable):
                self._flush()
                last_flush = now
            # 5. keep the link alive; a silent peer is a dead peer
            if now - last_link >= link_every:
                self.client.send_pdu(smpplib.smpp.make_pdu("enquire_link", client=self.client))
                last_link = now
            if now - last_heard > 3 * link_every:
                raise smpplib.exceptions.ConnectionError("no answer to enquire_link")
            self._expire_inflight(now)
            if self.apply_due and now - self.last_apply >= APPLY_INTERVAL:
                self._enqueue_apply(now)

    def _read_available(self, sock) -> None:
        """Reads every PDU already in the socket buffer (at least one)."""
        while True:
            pdu = self.client.read_pdu()
            self._handle(pdu)
            ready, _, _ = select.select([sock], [], [], 0)
            if not ready:
                return

    def _handle(self, pdu) -> None:
        cmd = pdu.command
        if cmd == "submit_sm_resp" or cmd == "generic_nack":
            entry = self.inflight.pop(pdu.sequence, None)
            if entry is None:
                return
            part = entry[0]
            status = int(pdu.status or 0)
            if status == 0 and cmd == "submit_sm_resp":
                smsc_id = normalize_message_id(pdu.message_id)
                if smsc_id:
                    self.submitted.append((part.part_id, part.message_id, smsc_id))
                    return
                status = smpplib.consts.SMPP_ESME_RSYSERR
            if status in THROTTLED:
                self.stats["throttled"] += 1
                self.pending.appendleft(part)  # the same bytes go again, a little later
                self.throttled_until = time.monotonic() + 0.2
                return
            self.failed.append((part.part_id, part.message_id, status))
        elif cmd == "deliver_sm":
            if is_receipt(pdu.esm_class):
                parsed = parse_receipt(pdu)
                if parsed:
                    self.receipts.append(parsed)
            else:
                data = pdu.short_message or b""
                if isinstance(data, str):
                    data = data.encode("latin-1", errors="replace")
                concat = segments.parse_concat_udh(data) if (pdu.esm_class or 0) & 0x40 else None
                body = concat[3] if concat else data
                text = segments.decode(body, int(pdu.data_coding or 0))
                src = pdu.source_addr.decode() if isinstance(pdu.source_addr, bytes) else str(pdu.source_addr or "")
                dst = (pdu.destination_addr.decode() if isinstance(pdu.destination_addr, bytes)
                       else str(pdu.destination_addr or ""))
                self.inbound.append((src, dst, text))
            self.to_ack.append(pdu.sequence)
        elif cmd == "enquire_link":
            resp = smpplib.smpp.make_pdu("enquire_link_resp", client=self.client, sequence=pdu.sequence)
            self.client.send_pdu(resp)
        elif cmd == "unbind":
            resp = smpplib.smpp.make_pdu("unbind_resp", client=self.client, sequence=pdu.sequence)
            self.client.send_pdu(resp)
            raise smpplib.exceptions.ConnectionError("the SMSC unbound")
        # enquire_link_resp, unbind_resp, alert_notification: nothing to do

    def _expire_inflight(self, now: float) -> None:
        late = [seq for seq, (_p, sent) in self.inflight.items() if now - sent > RESPONSE_TIMEOUT]
        if late:
            # No answer in time: the link is not trustworthy; the parts stay SUBMITTING (not resent).
            raise smpplib.exceptions.ConnectionError(f"{len(late)} submit_sm without response")

    # --- claim and submit ---------------------------------------------------------------------

    def _claim(self, limit: int) -> int:
        """Moves up to `limit` queued messages of this route to SUBMITTING and writes their parts."""
        now = timezone.now()
        with transaction.atomic():
            qs = (Message.objects.filter(route_id=self.route_id, status=Status.QUEUED)
                  .order_by("id").values_list("id", "sender", "recipient", "text")[:limit])
            if connection.vendor == "postgresql":
                qs = qs.select_for_update(skip_locked=True, of=("self",))
            rows = list(qs)
            if not rows:
                return 0
            ids = [r[0] for r in rows]
            Message.objects.filter(pk__in=ids).update(status=Status.SUBMITTING, updated_at=now)
            parts, payloads = [], []
            for mid, sender, recipient, text in rows:
                for seq, payload in enumerate(segments.submit_payloads(text, ref=mid % 256), start=1):
                    parts.append(MessagePart(message_id=mid, seq=seq, route_id=self.route_id,
                                             status=Status.SUBMITTING))
                    payloads.append((mid, sender, recipient, payload))
            MessagePart.objects.bulk_create(parts, batch_size=2000)
        for part, (mid, sender, recipient, payload) in zip(parts, payloads):
            self.parts_left[mid] = self.parts_left.get(mid, 0) + 1
            self.pending.append(PendingPart(part.pk, mid, sender, recipient.lstrip("+"), payload))
        return len(rows)

    def _submit(self, part: PendingPart, now: float) -> None:
        route = self.route
        alnum = not part.source.lstrip("+").isdigit()
        pdu = smpplib.smpp.make_pdu(
            "submit_sm", client=self.client,
            service_type=route.system_type or "",
            source_addr_ton=route.alnum_source_ton if alnum else 1,
            source_addr_npi=route.alnum_source_npi if alnum else 1,
            source_addr=part.source,
            dest_addr_ton=1, dest_addr_npi=1, destination_addr=part.destination,
            esm_class=part.payload.esm_class, data_coding=part.payload.data_coding,
            registered_delivery=1, short_message=part.payload.short_message,
        )
        self.client.send_pdu(pdu)
        self.inflight[pdu.sequence] = (part, now)

    # --- results to the database --------------------------------------------------------------

    def _flush(self) -> None:
        submitted, failed, receipts, inbound = self.submitted, self.failed, self.receipts, self.inbound
        acks = self.to_ack
        self.submitted, self.failed, self.receipts, self.inbound, self.to_ack = [], [], [], [], []
        now = timezone.now()
        done_messages = []
        with transaction.atomic():
            if submitted:
                MessagePart.objects.bulk_update(
                    [MessagePart(pk=pid, status=Status.SUBMITTED, smsc_message_id=sid, submitted_at=now)
                     for pid, _mid, sid in submitted],
                    ["status", "smsc_message_id", "submitted_at"], batch_size=1000)
                for _pid, mid, _sid in submitted:
                    left = self.parts_left.get(mid, 1) - 1
                    if left <= 0:
                        self.parts_left.pop(mid, None)
                        done_messages.append(mid)
                    else:
                        self.parts_left[mid] = left
                messages_transition(ids=done_messages, new=Status.SUBMITTED, now=now)
            if failed:
                MessagePart.objects.filter(pk__in=[f[0] for f in failed]).update(status=Status.FAILED, done_at=now)
                by_status: dict[int, list[int]] = {}
                for _pid, mid, status in failed:
                    by_status.setdefault(status, []).append(mid)
                    self.parts_left.pop(mid, None)
                for status, mids in by_status.items():
                    messages_transition(ids=mids, new=Status.FAILED, error_code=f"smpp_{status:#04x}",
                                        error_detail=smpplib.consts.DESCRIPTIONS.get(status, "SMSC error"),
                                        now=now)
            if receipts:
                receipts_store(route_id=self.route_id, receipts=receipts)
            if inbound:
                InboundMessage.objects.bulk_create(
                    [InboundMessage(route_id=self.route_id, source=s, destination=d, text=t) for s, d, t in inbound])
        self.stats["submitted"] += len(submitted)
        self.stats["failed"] += len(failed)
        self.stats["receipts"] += len(receipts)
        self.stats["inbound"] += len(inbound)
        for seq in acks:  # answered only now that the rows are committed
            self.client.send_pdu(smpplib.smpp.make_pdu("deliver_sm_resp", client=self.client, sequence=seq))
        if receipts or submitted:
            self.apply_due = True

    def _enqueue_apply(self, now: float) -> None:
        from messaging.tasks import receipts_apply_task  # noqa: PLC0415 (tasks import this module's app)

        self.apply_due, self.last_apply = False, now
        try:
            receipts_apply_task.delay()
        except Exception as exc:  # the per-minute job matches them anyway
            log.warning("route %s: could not enqueue receipt matching: %s", self.route.name, exc)
