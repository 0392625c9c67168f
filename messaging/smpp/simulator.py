"""SMSC simulator: a real SMPP 3.4 server over TCP for tests, demos and load runs.

Pure Python + smpplib (no Django). One asyncio event loop serves every session.

Usage::

    from messaging.smpp.simulator import SmscSimulator, SimulatorConfig

    sim = SmscSimulator(SimulatorConfig(port=0, receipt_delay=0.0))
    sim.start()                 # loop in a daemon thread; returns once listening
    ...connect an ESME to 127.0.0.1:sim.port...
    sim.stats["submits"], sim.messages[msg_id].short_message
    sim.inject_mo(source="+380671234567", destination="DemoShop", text="STOP")
    sim.stop()

Behaviour (what an ESME sees):

* ``bind_transmitter`` / ``bind_receiver`` / ``bind_transceiver`` -> ``*_resp`` status 0,
  system_id ``"SMPPSIM"`` and the ``sc_interface_version`` TLV (0x34). When
  ``config.system_id`` / ``config.password`` are set, any other value -> ESME_RBINDFAIL
  (0x0D). A bind on a bound session -> ESME_RALYBND (0x05); more than ``max_binds``
  sessions of one system_id (0 = unlimited) -> ESME_RALYBND as well.
* Requests before a bind -> their response with ESME_RINVBNDSTS (0x04), except
  ``enquire_link`` which is answered in any state.
* ``submit_sm`` -> ``submit_sm_resp`` with a message id unique over the process lifetime
  (``id_format="hex"``: lower-case hex, ``"decimal"``: digits). A receiver bind may not
  submit (ESME_RINVBNDSTS). Error responses carry no body (SMPP 3.4 section 4.4.2).
* TPS cap (``tps`` > 0): more accepted submits than ``tps`` within a sliding 1-second window
  per system_id -> ESME_RTHROTTLED (0x58), no message record, no receipt.
* Outcome: destination ending in ``undeliverable_suffix`` (default ``"0000"``) is always
  UNDELIV (err:001, message_state 5); otherwise DELIVRD with probability
  ``delivery_ratio`` (``seed`` makes the draw reproducible).
* Receipts: when ``registered_delivery & 0x03`` is 1 (or 3), a ``deliver_sm`` receipt is
  sent ``receipt_delay`` seconds after the submit; when it is 2 ("failure only") only
  UNDELIV outcomes get one. The receipt has esm_class 0x04, source/destination swapped,
  data_coding 0, the text
  ``id:<id> sub:001 dlvrd:001 submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DELIVRD
  err:000 text:<first 20 chars>`` (dates in UTC) and the TLVs receipted_message_id
  (0x001E) and message_state (0x0427, 2 DELIVERED / 5 UNDELIVERABLE); UNDELIV receipts
  also carry network_error_code (0x0423) = GSM/1. ``receipt_id_format`` ("same", "hex",
  "decimal") lets the *text* id differ in base from the TLV/submit_sm_resp id, as some
  operators do. The receipt goes to the submitting session when it is a bound
  transceiver, else to a bound receiver/transceiver of the same system_id (round robin);
  if none is bound it waits in a queue until one binds.
* Concatenated messages are plain submits: each part gets its own id and receipt.
* ``deliver_sm_resp`` is matched to the outstanding deliver_sm (counted in
  ``receipts_acked`` / ``mo_acked``). Unacknowledged deliver_sm of a session that goes
  away are dropped, or re-queued when ``redeliver_unacked=True``.
* Memory across restarts (``state_dir``): every accepted submit (id, addresses, a hash of its
  coding and bytes, the client's user_message_reference TLV when sent, the receipt owed) is
  written to ``<state_dir>/smsc-state.sqlite3`` and fsynced before its submit_sm_resp goes out,
  and a receipt stays owed until its deliver_sm_resp (status 0) comes. A simulator started
  again on the same dir answers query_sm for the old ids, hands out ids above them, and sends
  every owed receipt (when due) once a receiver binds; an unacknowledged receipt of a session
  that goes away is sent again on the next bind, as a real SMSC does. ``counts()`` (control
  command ``counts``) tells the accepted submits over all runs and the duplicates among them.
* ``query_sm`` -> ``query_sm_resp`` (message_id, final_date, message_state ENROUTE(1)
  until the receipt time, then 2 or 5, error_code); unknown id -> ESME_RQUERYFAIL (0x67).
  It is accepted from any bound session (smpplib's client only lets RX/TRX send it).
* ``enquire_link`` -> ``enquire_link_resp``; ``unbind`` -> ``unbind_resp`` then close;
  unknown or unsupported commands -> ``generic_nack`` ESME_RINVCMDID (0x03).
* ``response_delay`` > 0: every accepted submit is answered that many seconds later (an
  operator's latency: a window of submits is in flight at once); the record and receipt are
  made at once.
* ``disconnect_probability``: per submit, the chance that the socket is closed abruptly
  instead of answering it (no record, no response).
* ``receipt_ratio`` < 1: that share of the requested receipts is sent, the rest are lost
  (counted in ``receipts_lost``); ``query_sm`` still answers their final state.
* ``receipt_tlvs=False``: receipts carry only the text form (no receipted_message_id /
  message_state TLVs), as some operators send them.
* Scripted faults (thread-safe, for tests): ``inject_submit_error(status, destination=None,
  count=1)`` answers the next matching submits with an error status (no record);
  ``drop_submit_responses(destination=None, count=1)`` accepts the next matching submits
  (record and receipt) but never answers them; ``unbind_all()`` sends an SMSC-initiated
  ``unbind`` to every bound session and closes it when the ``unbind_resp`` comes;
  ``freeze_all()`` stops reading and answering the current sessions but keeps them open (a
  hung SMSC).

Hot-path PDUs (submit_sm in, submit_sm_resp/deliver_sm out, deliver_sm_resp in) use a
small struct-based codec; everything else goes through smpplib's command classes.
"""
from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import hashlib
import heapq
import itertools
import logging
import os
import random
import sqlite3
import struct
import threading
import time
from dataclasses import dataclass, fields as dataclass_fields
from typing import Callable, Optional

from smpplib import smpp

logger = logging.getLogger("smsportal.smsc")

__all__ = [
    "SimulatorConfig",
    "SmscSimulator",
    "MessageRecord",
    "decode_submit_sm",
    "encode_deliver_sm",
    "gsm_decode",
    "gsm_encode",
]

# --- SMPP constants -------------------------------------------------------------------

GENERIC_NACK = 0x80000000
BIND_RECEIVER = 0x00000001
BIND_TRANSMITTER = 0x00000002
QUERY_SM = 0x00000003
SUBMIT_SM = 0x00000004
DELIVER_SM = 0x00000005
UNBIND = 0x00000006
BIND_TRANSCEIVER = 0x00000009
ENQUIRE_LINK = 0x00000015
RESP = 0x80000000
SUBMIT_SM_RESP = SUBMIT_SM | RESP
DELIVER_SM_RESP = DELIVER_SM | RESP
QUERY_SM_RESP = QUERY_SM | RESP
UNBIND_RESP = UNBIND | RESP
ENQUIRE_LINK_RESP = ENQUIRE_LINK | RESP

ESME_ROK = 0x00
ESME_RINVCMDLEN = 0x02
ESME_RINVCMDID = 0x03
ESME_RINVBNDSTS = 0x04
ESME_RALYBND = 0x05
ESME_RSYSERR = 0x08
ESME_RINVDSTADR = 0x0B
ESME_RINVMSGID = 0x0C
ESME_RBINDFAIL = 0x0D
ESME_RTHROTTLED = 0x58
ESME_RQUERYFAIL = 0x67

STATE_ENROUTE = 1
STATE_DELIVERED = 2
STATE_UNDELIVERABLE = 5

TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_SAR_MSG_REF_NUM = 0x020C
TLV_SAR_TOTAL_SEGMENTS = 0x020E
TLV_SAR_SEGMENT_SEQNUM = 0x020F
TLV_NETWORK_ERROR_CODE = 0x0423
TLV_MESSAGE_PAYLOAD = 0x0424
TLV_MESSAGE_STATE = 0x0427

_BIND_MODES = {
    BIND_TRANSMITTER: ("transmitter", True, False),
    BIND_RECEIVER: ("receiver", False, True),
    BIND_TRANSCEIVER: ("transceiver", True, True),
}
_BIND_NAMES = {
    BIND_TRANSMITTER: "bind_transmitter",
    BIND_RECEIVER: "bind_receiver",
    BIND_TRANSCEIVER: "bind_transceiver",
}

# Requests of SMPP 3.4 answered with their own *_resp + ESME_RINVBNDSTS before a bind:
# query_sm, deliver_sm, unbind, replace_sm, cancel_sm, submit_multi, data_sm.
_KNOWN_REQUESTS = frozenset((QUERY_SM, DELIVER_SM, UNBIND, 0x07, 0x08, 0x21, 0x103))

MAX_PDU_LENGTH = 64 * 1024

_HDR = struct.Struct(">IIII")
_TLV_HDR = struct.Struct(">HH")
_SEQ_MAX = 0x7FFFFFFF


def _header(command_id: int, status: int, sequence: int) -> bytes:
    """A body-less PDU (error responses, enquire_link_resp, unbind_resp, generic_nack)."""
    return _HDR.pack(16, command_id, status, sequence)


# --- message ids ----------------------------------------------------------------------

# One counter per process, shared by every simulator instance: ids never repeat within a
# process. It starts at the milliseconds elapsed since 2024-01-01, so a restarted
# simulator (demo, manual runs) does not hand out the ids of the previous run either,
# unless that run averaged more than 1,000 submits per second of its lifetime.
_ID_COUNTER = itertools.count(max(1, int(time.time() * 1000) - 1_704_067_200_000))


# --- codec ----------------------------------------------------------------------------


class _CodecClient:
    """The minimal "client" smpplib's command classes need.

    Trap: ``smpp.parse_pdu(raw)`` of a *request* PDU without a client raises
    AttributeError (its default client has no ``next_sequence``).
    """

    sequence = 0

    def next_sequence(self) -> int:
        return 0


_CODEC_CLIENT = _CodecClient()


def _parse_with_smpplib(raw: bytes):
    return smpp.parse_pdu(raw, client=_CODEC_CLIENT, allow_unknown_opt_params=True)


def _generate_with_smpplib(command: str, sequence: int, **fields) -> bytes:
    pdu = smpp.make_pdu(command, client=_CODEC_CLIENT, **fields)
    # Trap: a ``sequence=`` kwarg is silently ignored by smpplib: set the attribute.
    pdu.sequence = sequence
    return pdu.generate()


def decode_submit_sm(body: bytes):
    """Decode a submit_sm body (the bytes after the 16-byte header).

    Returns ``(src_ton, src_npi, src, dst_ton, dst_npi, dst, esm_class, protocol_id,
    registered_delivery, data_coding, short_message, tlvs)`` with addresses as bytes and
    ``tlvs`` a ``{tag: value_bytes}`` dict or None. Raises ValueError/IndexError on a
    truncated or malformed body.
    """
    idx = body.index
    p = idx(0) + 1  # service_type
    src_ton = body[p]
    src_npi = body[p + 1]
    p += 2
    q = idx(0, p)
    src = body[p:q]
    p = q + 1
    dst_ton = body[p]
    dst_npi = body[p + 1]
    p += 2
    q = idx(0, p)
    dst = body[p:q]
    p = q + 1
    esm_class = body[p]
    protocol_id = body[p + 1]
    p += 3  # + priority_flag
    p = idx(0, p) + 1  # schedule_delivery_time
    p = idx(0, p) + 1  # validity_period
    registered_delivery = body[p]
    data_coding = body[p + 2]
    sm_length = body[p + 4]
    p += 5
    n = len(body)
    end = p + sm_length
    if end > n:
        raise ValueError("short_message runs past the PDU")
    short_message = body[p:end]
    p = end
    tlvs = None
    while p < n:
        if p + 4 > n:
            raise ValueError("truncated TLV header")
        tag, length = _TLV_HDR.unpack_from(body, p)
        p += 4
        if p + length > n:
            raise ValueError("truncated TLV value")
        if tlvs is None:
            tlvs = {}
        tlvs[tag] = body[p:p + length]
        p += length
    return (src_ton, src_npi, src, dst_ton, dst_npi, dst, esm_class, protocol_id,
            registered_delivery, data_coding, short_message, tlvs)


def encode_deliver_sm(sequence: int, src_ton: int, src_npi: int, src: bytes, dst_ton: int,
                      dst_npi: int, dst: bytes, esm_class: int, data_coding: int,
                      short_message: bytes, tlvs: bytes = b"") -> bytes:
    """Encode a deliver_sm PDU (``tlvs``: already encoded TLVs appended to the body)."""
    if len(short_message) > 254:
        tlvs = _TLV_HDR.pack(TLV_MESSAGE_PAYLOAD, len(short_message)) + short_message + tlvs
        short_message = b""
    body = b"".join((
        b"\x00",  # service_type
        bytes((src_ton, src_npi)), src[:20], b"\x00",
        bytes((dst_ton, dst_npi)), dst[:20], b"\x00",
        bytes((esm_class, 0, 0)),  # esm_class, protocol_id, priority_flag
        b"\x00\x00",  # schedule_delivery_time, validity_period
        bytes((0, 0, data_coding, 0, len(short_message))),
        short_message,
        tlvs,
    ))
    return _HDR.pack(16 + len(body), DELIVER_SM, ESME_ROK, sequence) + body


# --- text helpers ---------------------------------------------------------------------

_GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
assert len(_GSM_BASIC) == 128
_GSM_EXT = {0x0A: "\x0c", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[",
            0x3D: "~", 0x3E: "]", 0x40: "|", 0x65: "€"}
_GSM_TRANS = {i: c for i, c in enumerate(_GSM_BASIC)}
_GSM_TRANS.update({i: "?" for i in range(128, 256)})


_GSM_ENCODE = {c: bytes((i,)) for i, c in enumerate(_GSM_BASIC) if i != 0x1B}
_GSM_ENCODE.update({c: bytes((0x1B, i)) for i, c in _GSM_EXT.items()})


def gsm_encode(text: str) -> bytes:
    """GSM 03.38 default alphabet + extension table, one septet per octet.

    Raises ValueError for a character outside the alphabet.
    """
    try:
        return b"".join([_GSM_ENCODE[c] for c in text])
    except KeyError as exc:
        raise ValueError("not in the GSM 7-bit alphabet: %r" % exc.args[0]) from None


def gsm_decode(raw: bytes) -> str:
    """GSM 03.38 default alphabet, one septet per octet (how SMPP carries data_coding 0)."""
    if 0x1B not in raw:
        return raw.decode("latin-1").translate(_GSM_TRANS)
    out = []
    escape = False
    for b in raw:
        b &= 0x7F
        if escape:
            out.append(_GSM_EXT.get(b, _GSM_BASIC[b]))
            escape = False
        elif b == 0x1B:
            escape = True
        else:
            out.append(_GSM_BASIC[b])
    return "".join(out)


def decode_text(payload: bytes, data_coding: int) -> str:
    """Best-effort text of a short message payload (UDH already removed)."""
    if data_coding == 8:
        return payload.decode("utf-16-be", errors="replace")
    if data_coding == 0 or (data_coding & 0xF4) == 0xF0:
        return gsm_decode(payload)
    if data_coding in (2, 4) or (data_coding & 0xF4) == 0xF4:
        return payload.hex()
    if data_coding == 1:
        return payload.decode("ascii", errors="replace")
    return payload.decode("latin-1")


def _split_udh(short_message: bytes, esm_class: int):
    """(udh bytes or None, payload) of a short message."""
    if esm_class & 0x40 and short_message:
        end = 1 + short_message[0]
        return short_message[:end], short_message[end:]
    return None, short_message


_date_cache: dict = {}


def _receipt_date(t: float) -> str:
    minute = int(t // 60)
    text = _date_cache.get(minute)
    if text is None:
        if len(_date_cache) > 256:
            _date_cache.clear()
        text = _date_cache[minute] = time.strftime("%y%m%d%H%M", time.gmtime(minute * 60))
    return text


def _smpp_time(t: float) -> str:
    """SMPP absolute time 'YYMMDDhhmmsstnnp' in UTC."""
    return time.strftime("%y%m%d%H%M%S", time.gmtime(t)) + "%d00+" % (int(t * 10) % 10)


# --- configuration and records --------------------------------------------------------


@dataclass
class SimulatorConfig:
    host: str = "127.0.0.1"
    port: int = 2775  # 0 = ephemeral; the real one is SmscSimulator.port after start()
    receipt_delay: float = 1.0  # seconds between submit_sm and its receipt (0 allowed)
    delivery_ratio: float = 1.0  # probability of DELIVRD (else UNDELIV)
    tps: int = 0  # accepted submit_sm per second per system_id; 0 = unlimited
    system_id: Optional[str] = None  # None: any system_id binds
    password: Optional[str] = None  # None: any password binds
    id_format: str = "hex"  # "hex" | "decimal"
    disconnect_probability: float = 0.0  # per submit_sm: close the socket abruptly
    smsc_system_id: str = "SMPPSIM"  # system_id in bind responses
    undeliverable_suffix: str = "0000"  # destinations ending so are always UNDELIV ("" = off)
    receipt_id_format: str = "same"  # id in the receipt *text*: "same" | "hex" | "decimal"
    max_binds: int = 0  # sessions per system_id; 0 = unlimited (more -> ESME_RALYBND)
    max_messages: int = 100_000  # message records kept, ~0.7 kB each (oldest dropped first)
    redeliver_unacked: bool = False  # re-queue unacked deliver_sm when a session goes
    receipt_tlvs: bool = True  # receipted_message_id / message_state TLVs in receipts
    receipt_ratio: float = 1.0  # probability a requested receipt is sent (else lost: only query_sm tells)
    seed: Optional[int] = None  # seed of the delivery_ratio / disconnect draws
    state_dir: Optional[str] = None  # keep accepted submits and unacknowledged receipts here across restarts
    response_delay: float = 0.0  # seconds before a submit_sm_resp goes out (an operator's latency)

    def __post_init__(self):
        if self.id_format not in ("hex", "decimal"):
            raise ValueError("id_format must be 'hex' or 'decimal'")
        if self.receipt_id_format not in ("same", "hex", "decimal"):
            raise ValueError("receipt_id_format must be 'same', 'hex' or 'decimal'")
        if not 0.0 <= self.delivery_ratio <= 1.0:
            raise ValueError("delivery_ratio must be within [0, 1]")
        if not 0.0 <= self.receipt_ratio <= 1.0:
            raise ValueError("receipt_ratio must be within [0, 1]")
        if not 0.0 <= self.disconnect_probability <= 1.0:
            raise ValueError("disconnect_probability must be within [0, 1]")
        if self.receipt_delay < 0 or self.response_delay < 0:
            raise ValueError("receipt_delay and response_delay must be >= 0")
        if self.tps < 0 or self.max_binds < 0 or self.max_messages < 1:
            raise ValueError("tps/max_binds must be >= 0 and max_messages >= 1")


class MessageRecord:
    """One accepted submit_sm (one part of a concatenated message = one record).

    Attributes keep exactly what the ESME sent: ``short_message`` (raw bytes, UDH
    included), ``esm_class``, ``data_coding``, ``tlvs`` (``{tag: bytes}`` or None) and
    ``pdu`` (the whole submit_sm as received). Addresses are str. ``state`` is
    ENROUTE (1) until the receipt time, then DELIVERED (2) or UNDELIVERABLE (5).
    Also readable as ``record["destination"]``.
    """

    __slots__ = (
        "message_id", "system_id", "source", "source_ton", "source_npi", "destination",
        "dest_ton", "dest_npi", "esm_class", "protocol_id", "data_coding",
        "registered_delivery", "short_message", "tlvs", "pdu", "submit_time", "done_time",
        "due", "final_state", "receipt_requested", "receipt_sent_at", "receipt_acked",
    )

    def __init__(self, **kwargs):
        self.receipt_sent_at = None
        self.receipt_acked = False
        for key, value in kwargs.items():
            setattr(self, key, value)

    @property
    def state(self) -> int:
        return self.final_state if time.monotonic() >= self.due else STATE_ENROUTE

    @property
    def stat(self) -> str:
        state = self.state
        if state == STATE_ENROUTE:
            return "ENROUTE"
        return "DELIVRD" if state == STATE_DELIVERED else "UNDELIV"

    @property
    def delivered(self) -> bool:
        return self.final_state == STATE_DELIVERED

    @property
    def message_payload(self) -> Optional[bytes]:
        return self.tlvs.get(TLV_MESSAGE_PAYLOAD) if self.tlvs else None

    @property
    def udh(self) -> Optional[bytes]:
        return _split_udh(self.short_message, self.esm_class)[0]

    @property
    def payload(self) -> bytes:
        """The user data without UDH (``message_payload`` when short_message is empty)."""
        raw = self.short_message or self.message_payload or b""
        return _split_udh(raw, self.esm_class)[1]

    @property
    def text(self) -> str:
        return decode_text(self.payload, self.data_coding)

    @property
    def concat(self) -> Optional[tuple]:
        """(reference, total, seqnum) from the UDH (IE 0x00 / 0x08) or the sar_* TLVs."""
        udh = self.udh
        if udh:
            i = 1
            while i + 1 < len(udh):
                iei, iel = udh[i], udh[i + 1]
                data = udh[i + 2:i + 2 + iel]
                if iei == 0x00 and iel == 3:
                    return data[0], data[1], data[2]
                if iei == 0x08 and iel == 4:
                    return (data[0] << 8) | data[1], data[2], data[3]
                i += 2 + iel
        tlvs = self.tlvs or {}
        if TLV_SAR_MSG_REF_NUM in tlvs and TLV_SAR_TOTAL_SEGMENTS in tlvs:
            return (int.from_bytes(tlvs[TLV_SAR_MSG_REF_NUM], "big"),
                    tlvs[TLV_SAR_TOTAL_SEGMENTS][0],
                    tlvs.get(TLV_SAR_SEGMENT_SEQNUM, b"\x01")[0])
        return None

    def __getitem__(self, key):
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def as_dict(self) -> dict:
        data = {name: getattr(self, name) for name in self.__slots__}
        data.update(state=self.state, text=self.text)
        return data

    def __repr__(self):
        return "<MessageRecord %s %s->%s %s>" % (self.message_id, self.source,
                                                 self.destination, self.stat)


TLV_USER_MESSAGE_REFERENCE = 0x0204
STATE_FILE = "smsc-state.sqlite3"


def text_hash(data_coding: int, short_message: bytes, message_payload: Optional[bytes]) -> str:
    """What makes two submits "the same SMS" for the duplicate counts: the coding and the bytes
    (UDH included, so the parts of one long message differ, and a resend of one part does not)."""
    h = hashlib.blake2b(digest_size=12)
    h.update(bytes((data_coding & 0xFF,)))
    h.update(short_message or b"")
    h.update(b"\x00" + (message_payload or b""))
    return h.hexdigest()


class _StateStore:
    """The simulator's memory across restarts (``SimulatorConfig.state_dir``): one SQLite file
    with a row per accepted submit (ids, addresses, the bytes a receipt needs, a text hash, the
    client's user_message_reference when it sent one) and whether its receipt is still owed.

    Used only on the simulator's loop thread. Writes are buffered and committed in one
    transaction (WAL, synchronous=FULL: fsynced) before the responses they cover are written
    to the sockets, so what an ESME saw accepted survives a SIGKILL of the simulator."""

    def __init__(self, state_dir: str):
        os.makedirs(state_dir, exist_ok=True)
        self.path = os.path.join(state_dir, STATE_FILE)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS submits (message_id TEXT PRIMARY KEY, number INTEGER, system_id TEXT, "
            "source TEXT, source_ton INTEGER, source_npi INTEGER, destination TEXT, dest_ton INTEGER, "
            "dest_npi INTEGER, esm_class INTEGER, protocol_id INTEGER, data_coding INTEGER, "
            "registered_delivery INTEGER, short_message BLOB, message_payload BLOB, text_hash TEXT, "
            "client_ref TEXT, submit_time REAL, done_time REAL, final_state INTEGER, "
            "receipt_requested INTEGER, receipt_acked INTEGER DEFAULT 0)")
        self.db.execute("CREATE INDEX IF NOT EXISTS submits_owed ON submits (receipt_requested, receipt_acked)")
        self.db.execute("CREATE TABLE IF NOT EXISTS runs (started REAL)")
        self.db.execute("INSERT INTO runs (started) VALUES (?)", (time.time(),))
        self._new: list = []
        self._acked: list = []

    def add(self, record: "MessageRecord", number: int, client_ref: Optional[str]) -> None:
        payload = record.message_payload
        self._new.append((
            record.message_id, number, record.system_id, record.source, record.source_ton, record.source_npi,
            record.destination, record.dest_ton, record.dest_npi, record.esm_class, record.protocol_id,
            record.data_coding, record.registered_delivery, bytes(record.short_message), payload,
            text_hash(record.data_coding, record.short_message, payload), client_ref, record.submit_time,
            record.done_time, record.final_state, int(bool(record.receipt_requested)), 0))

    def ack(self, message_id: str) -> None:
        self._acked.append((message_id,))

    @property
    def dirty(self) -> bool:
        return bool(self._new or self._acked)

    def commit(self) -> None:
        if not (self._new or self._acked):
            return
        new, acked = self._new, self._acked
        self._new, self._acked = [], []
        db = self.db
        db.execute("BEGIN")
        try:
            if new:
                db.executemany("INSERT OR REPLACE INTO submits VALUES (%s)" % ",".join("?" * 22), new)
            if acked:
                db.executemany("UPDATE submits SET receipt_acked = 1 WHERE message_id = ?", acked)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def load(self, limit: int) -> list:
        """The last `limit` submits, and every submit whose receipt is still owed, oldest first."""
        return self.db.execute(
            "SELECT * FROM submits WHERE rowid IN (SELECT rowid FROM submits ORDER BY rowid DESC LIMIT ?) "
            "OR (receipt_requested = 1 AND receipt_acked = 0) ORDER BY rowid", (limit,)).fetchall()

    def max_number(self) -> int:
        return self.db.execute("SELECT COALESCE(MAX(number), 0) FROM submits").fetchone()[0]

    def counts(self) -> dict:
        q = self.db.execute
        total = q("SELECT COUNT(*) FROM submits").fetchone()[0]
        by_text = q("SELECT COUNT(*) FROM (SELECT 1 FROM submits GROUP BY destination, text_hash)").fetchone()[0]
        with_ref, refs = q("SELECT COUNT(*), COUNT(DISTINCT COALESCE(system_id, '') || '/' || client_ref) "
                           "FROM submits WHERE client_ref IS NOT NULL").fetchone()
        pending = q("SELECT COUNT(*) FROM submits WHERE receipt_requested = 1 AND receipt_acked = 0").fetchone()[0]
        runs = q("SELECT COUNT(*) FROM runs").fetchone()[0]
        return {"accepted_total": total, "duplicates_by_text": total - by_text,
                "duplicates_by_ref": with_ref - refs, "receipts_pending": pending, "restarts": runs - 1,
                "persistent": True}

    def duplicates(self, limit: int = 20) -> list:
        """[(destination, text hash, times)] of what was accepted more than once."""
        return self.db.execute(
            "SELECT destination, text_hash, COUNT(*) FROM submits GROUP BY destination, text_hash "
            "HAVING COUNT(*) > 1 LIMIT ?", (limit,)).fetchall()

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self.db.close()


_STAT_KEYS = (
    "connections", "sessions", "bound", "binds", "bind_failures", "unbinds", "submits",
    "throttled", "submit_errors", "receipts_sent", "receipts_acked", "receipts_queued",
    "receipts_dropped", "deliver_sm_resp_errors", "mo_sent", "mo_acked", "query_sm",
    "enquire_link", "generic_nack_sent", "generic_nack_received", "disconnects",
    "responses_dropped", "unbinds_sent", "unbind_resps", "receipts_lost", "frozen_bytes",
)


# --- sessions -------------------------------------------------------------------------


class _Session(asyncio.Protocol):
    def __init__(self, sim: "SmscSimulator"):
        self.sim = sim
        self.transport = None
        self.peer = None
        self.buf = b""
        self.out = []
        self.dirty = False
        self.close_after_flush = False
        self.gone = False
        self.mode = None
        self.bound = False
        self.can_tx = False
        self.can_rx = False
        self.system_id = None
        self.seq = 0
        self.outstanding = {}  # deliver_sm sequence -> MessageRecord (receipt) or MO tuple
        self.unbinding = False  # we sent an unbind and wait for its response
        self.frozen = False  # freeze_all(): a hung SMSC, reads and writes nothing

    def next_seq(self) -> int:
        self.seq = self.seq + 1 if self.seq < _SEQ_MAX else 1
        return self.seq

    def connection_made(self, transport):
        self.transport = transport
        self.peer = transport.get_extra_info("peername")
        self.sim._session_made(self)

    def connection_lost(self, exc):
        self.sim._session_lost(self)

    def data_received(self, data):
        self.sim._on_data(self, data)

    # Back-pressure: stop reading from an ESME that does not read what we send.
    def pause_writing(self):
        self.transport.pause_reading()

    def resume_writing(self):
        self.transport.resume_reading()

    def describe(self) -> str:
        peer = "%s:%s" % self.peer[:2] if self.peer else "?"
        return "system_id=%s mode=%s peer=%s" % (self.system_id, self.mode, peer)


# --- the simulator --------------------------------------------------------------------


class SmscSimulator:
    """SMPP 3.4 SMSC simulator. See the module docstring for the behaviour.

    ``stats`` (plain dict, updated on the loop thread): counters ``connections``, ``binds``,
    ``bind_failures``, ``unbinds``, ``submits`` (accepted), ``throttled``,
    ``submit_errors``, ``receipts_sent``, ``receipts_acked``, ``receipts_dropped``,
    ``deliver_sm_resp_errors``, ``mo_sent``, ``mo_acked``, ``query_sm``, ``enquire_link``,
    ``generic_nack_sent``, ``generic_nack_received``, ``disconnects``; gauges
    ``sessions`` (open connections), ``bound`` and ``receipts_queued`` (receipts and MOs
    waiting for a receiver to bind).

    ``messages``: ``{message_id: MessageRecord}``, the last ``max_messages`` submits.
    """

    def __init__(self, config: Optional[SimulatorConfig] = None, **overrides):
        if config is None:
            config = SimulatorConfig(**overrides)
        elif overrides:
            values = {f.name: getattr(config, f.name) for f in dataclass_fields(config)}
            values.update(overrides)
            config = SimulatorConfig(**values)
        self.config = config
        self.port: Optional[int] = None
        self.stats: dict = dict.fromkeys(_STAT_KEYS, 0)
        self.messages: dict = {}
        self._order = collections.deque()
        self._rng = random.Random(config.seed)
        self._sessions: set = set()
        self._receivers: dict = {}  # system_id -> [rx-capable bound sessions]
        self._bound_count: collections.Counter = collections.Counter()
        self._pending: dict = {}  # system_id (None = any) -> deque of receipts/MOs
        self._tps_windows: dict = {}
        self._submit_script: list = []  # [destination or None, status or None (drop), remaining]
        self._heap: list = []
        self._heap_tiebreak = itertools.count()
        self._pump_handle = None
        self._pump_when = 0.0
        self._rr = 0
        self._dirty: list = []
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._server = None
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._stopped.set()
        self._store: Optional[_StateStore] = None  # config.state_dir: memory across restarts

    # --- lifecycle --------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> "SmscSimulator":
        """Run the event loop in a daemon thread; return once the port is listening."""
        with self._lock:
            if self._thread is not None:
                return self
            self._stopped.clear()
            ready = threading.Event()
            errors: list = []
            self._thread = threading.Thread(target=self._run, args=(ready, errors),
                                            name="smsc-simulator", daemon=True)
            self._thread.start()
        if not ready.wait(timeout):
            raise RuntimeError("SMSC simulator did not start within %.1fs" % timeout)
        if errors:
            self._thread.join(timeout)
            self._thread = None
            self._stopped.set()
            raise errors[0]
        return self

    def _run(self, ready: threading.Event, errors: list) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            self._server = loop.run_until_complete(loop.create_server(
                lambda: _Session(self), self.config.host, self.config.port,
                reuse_address=True, backlog=128))
        except Exception as exc:  # bind errors (port in use, bad host)
            errors.append(exc)
            loop.close()
            ready.set()
            return
        self.port = self._server.sockets[0].getsockname()[1]
        self._loop = loop
        if self.config.state_dir:
            try:
                self._restore(self.config.state_dir)
            except Exception as exc:  # an unreadable state dir: refuse to start rather than forget
                errors.append(exc)
                self._server.close()
                loop.run_until_complete(self._server.wait_closed())
                self._server = self._loop = None
                loop.close()
                ready.set()
                return
        logger.info("SMSC simulator listening on %s:%s", self.config.host, self.port)
        ready.set()
        try:
            loop.run_forever()
        finally:
            try:
                for session in list(self._sessions):
                    if session.transport is not None:
                        session.transport.abort()
                for _ in range(3):  # let connection_lost callbacks run
                    loop.run_until_complete(asyncio.sleep(0))
                loop.run_until_complete(self._server.wait_closed())
            finally:
                self._server = None
                self._loop = None
                if self._pump_handle is not None:
                    self._pump_handle.cancel()
                    self._pump_handle = None
                loop.close()
                if self._store is not None:
                    self._store.close()
                    self._store = None
                with self._lock:
                    self._thread = None
                self._stopped.set()
                logger.info("SMSC simulator stopped")

    def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        self._loop.stop()

    def stop(self, timeout: float = 5.0) -> None:
        """Close every session and stop the loop. Safe from any thread and signal handler."""
        with self._lock:
            loop, thread = self._loop, self._thread
        if thread is None:
            return
        if loop is None:  # still starting
            thread.join(timeout)
            return
        try:
            loop.call_soon_threadsafe(self._shutdown)
        except RuntimeError:  # loop already closed
            pass
        if threading.current_thread() is not thread:
            thread.join(timeout)

    def serve_forever(self, stats_interval: float = 10.0) -> None:
        """Run until stop() (e.g. from a signal handler) or KeyboardInterrupt.

        Logs a counter line through ``smsportal.smsc`` every ``stats_interval`` seconds
        when the counters moved (0 = never).
        """
        self.start()
        last = None
        try:
            while not self._stopped.wait(stats_interval if stats_interval > 0 else 3600.0):
                if stats_interval <= 0:
                    continue
                snap = dict(self.stats)
                key = tuple(sorted(snap.items()))
                if key != last:
                    last = key
                    logger.info(
                        "smsc counters: bound=%(bound)d sessions=%(sessions)d submits=%(submits)d "
                        "throttled=%(throttled)d receipts_sent=%(receipts_sent)d "
                        "receipts_acked=%(receipts_acked)d queued=%(receipts_queued)d "
                        "mo=%(mo_sent)d query_sm=%(query_sm)d", snap)
        finally:
            self.stop()

    @property
    def running(self) -> bool:
        return self._loop is not None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def _restore(self, state_dir: str) -> None:
        """Opens the state dir (loop thread, before the first session): the submits of earlier
        runs count for duplicates and answer query_sm, ids continue above theirs, and every
        receipt still owed goes out again when it is due and a receiver is bound."""
        global _ID_COUNTER
        store = self._store = _StateStore(state_dir)
        _ID_COUNTER = itertools.count(max(next(_ID_COUNTER), store.max_number() + 1))
        now, wall = time.monotonic(), time.time()
        owed = 0
        for row in store.load(self.config.max_messages):
            (message_id, _number, system_id, source, source_ton, source_npi, destination, dest_ton, dest_npi,
             esm_class, protocol_id, data_coding, registered_delivery, short_message, message_payload, _hash,
             _ref, submit_time, done_time, final_state, receipt_requested, receipt_acked) = row
            record = MessageRecord(
                message_id=message_id, system_id=system_id, source=source, source_ton=source_ton,
                source_npi=source_npi, destination=destination, dest_ton=dest_ton, dest_npi=dest_npi,
                esm_class=esm_class, protocol_id=protocol_id, data_coding=data_coding,
                registered_delivery=registered_delivery, short_message=bytes(short_message or b""),
                tlvs={TLV_MESSAGE_PAYLOAD: bytes(message_payload)} if message_payload else None, pdu=b"",
                submit_time=submit_time, done_time=done_time, due=now + (done_time - wall),
                final_state=final_state, receipt_requested=bool(receipt_requested))
            record.receipt_acked = bool(receipt_acked)
            self.messages[message_id] = record
            self._order.append(message_id)
            if receipt_requested and not receipt_acked:
                owed += 1
                if record.due > now:
                    heapq.heappush(self._heap, (record.due, next(self._heap_tiebreak), record, None))
                else:
                    self._queue(system_id, record)
        if self._heap:
            self._schedule_pump(self._heap[0][0])
        logger.info("state %s: %d submit(s) remembered, %d receipt(s) owed", store.path,
                    store.counts()["accepted_total"], owed)

    def counts(self) -> dict:
        """What the SMSC accepted, over every run that shared the state dir (without one: over
        the records this process keeps): ``accepted_total``, ``duplicates_by_text`` (accepted
        submits beyond the first of each destination and text), ``duplicates_by_ref`` (beyond the
        first of each user_message_reference), ``receipts_pending`` (requested, not yet
        acknowledged by a deliver_sm_resp), ``restarts``, ``persistent``."""
        def run():
            if self._store is not None:
                self._store.commit()
                return self._store.counts()
            records = list(self.messages.values())
            texts = {(r.destination, text_hash(r.data_coding, r.short_message, r.message_payload)) for r in records}
            refs = [(r.system_id, r.tlvs[TLV_USER_MESSAGE_REFERENCE]) for r in records
                    if r.tlvs and TLV_USER_MESSAGE_REFERENCE in r.tlvs]
            return {"accepted_total": len(records), "duplicates_by_text": len(records) - len(texts),
                    "duplicates_by_ref": len(refs) - len(set(refs)),
                    "receipts_pending": sum(1 for r in records if r.receipt_requested and not r.receipt_acked),
                    "restarts": 0, "persistent": False}
        return self.call(run)

    def duplicates(self, limit: int = 20) -> list:
        """[(destination, text hash, times accepted)] of submits accepted more than once."""
        def run():
            if self._store is not None:
                self._store.commit()
                return [list(row) for row in self._store.duplicates(limit)]
            seen = collections.Counter(
                (r.destination, text_hash(r.data_coding, r.short_message, r.message_payload))
                for r in self.messages.values())
            return [[d, h, n] for (d, h), n in seen.items() if n > 1][:limit]
        return self.call(run)

    # --- thread-safe helpers ----------------------------------------------------------

    def call(self, fn: Callable, *args, timeout: float = 5.0):
        """Run ``fn(*args)`` on the simulator's loop and return its result."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("the SMSC simulator is not running")
        if threading.current_thread() is self._thread:
            return fn(*args)
        future: concurrent.futures.Future = concurrent.futures.Future()

        def run():
            try:
                future.set_result(fn(*args))
            except BaseException as exc:
                future.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return future.result(timeout)

    def inject_mo(self, source: str, destination: str, text: str = "",
                  system_id: Optional[str] = None, data_coding: Optional[int] = None,
                  short_message: Optional[bytes] = None, esm_class: int = 0x00,
                  source_ton: int = 1, source_npi: int = 1,
                  dest_ton: int = 5, dest_npi: int = 0) -> bool:
        """Send a mobile-originated deliver_sm (esm_class 0) to a bound receiver/transceiver.

        ``text`` goes out as data_coding 0 (GSM 03.38 septets, one per octet, so "@" is
        0x00) when it is ASCII and GSM-representable, else as UCS-2 (data_coding 8).
        ``short_message``/``data_coding`` override that. ``system_id`` None means the
        configured system_id, or else any bound session. Returns True when sent now,
        False when queued until a receiver binds.
        """
        if short_message is None:
            if data_coding is None:
                data_coding = 0 if text.isascii() else 8
                if data_coding == 0:
                    try:
                        short_message = gsm_encode(text)
                    except ValueError:  # e.g. a backtick
                        data_coding = 8
            if short_message is None:
                if data_coding == 0:
                    short_message = gsm_encode(text)
                elif data_coding == 8:
                    short_message = text.encode("utf-16-be")
                elif data_coding == 1:
                    short_message = text.encode("ascii")
                else:
                    short_message = text.encode("latin-1")
        elif data_coding is None:
            data_coding = 0
        if system_id is None:
            system_id = self.config.system_id
        mo = (source_ton, source_npi, source.encode("latin-1"), dest_ton, dest_npi,
              destination.encode("latin-1"), esm_class, data_coding, short_message)
        return self.call(self._inject_mo_now, mo, system_id)

    def inject_submit_error(self, status: int, destination: Optional[str] = None, count: int = 1) -> None:
        """Answer the next ``count`` submits (to ``destination``, or any) with ``status``."""
        self.call(self._submit_script.append, [destination, status, count])

    def drop_submit_responses(self, destination: Optional[str] = None, count: int = 1) -> None:
        """Accept the next ``count`` submits (to ``destination``, or any) but never answer them."""
        self.call(self._submit_script.append, [destination, None, count])

    def _scripted(self, destination: str):
        for entry in self._submit_script:
            if entry[0] is None or entry[0] == destination:
                entry[2] -= 1
                if entry[2] <= 0:
                    self._submit_script.remove(entry)
                return (entry[1],)
        return None

    def unbind_all(self, system_id: Optional[str] = None) -> int:
        """Send an SMSC-initiated unbind to every bound session (of one system_id); each is
        closed when its unbind_resp arrives. Returns how many."""
        def run():
            victims = [s for s in self._sessions if s.bound and (system_id is None or s.system_id == system_id)]
            for s in victims:
                self._unregister(s)
                s.unbinding = True
                self._send(s, _header(UNBIND, ESME_ROK, s.next_seq()))
            self.stats["unbinds_sent"] += len(victims)
            self._flush()
            return len(victims)
        return self.call(run)

    def freeze_all(self, system_id: Optional[str] = None) -> int:
        """Stop answering every current session (of one system_id) while keeping its TCP
        connection open, as a hung SMSC does: only the ESME's watchdog can tell. Returns how many."""
        def run():
            victims = [s for s in self._sessions if system_id is None or s.system_id == system_id]
            for s in victims:
                s.frozen = True
            return len(victims)
        return self.call(run)

    def disconnect_all(self, system_id: Optional[str] = None) -> int:
        """Abruptly close every session (of one system_id); returns how many."""
        def run():
            victims = [s for s in self._sessions
                       if system_id is None or s.system_id == system_id]
            for s in victims:
                s.transport.abort()
            self.stats["disconnects"] += len(victims)
            return len(victims)
        return self.call(run)

    def bound_sessions(self) -> list:
        """[(system_id, mode, peer)] of the bound sessions."""
        return self.call(lambda: [(s.system_id, s.mode, s.peer)
                                  for s in self._sessions if s.bound])

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0,
                 interval: float = 0.005) -> bool:
        """Poll ``predicate`` until true or timeout; returns its last value."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate():
                return True
            if time.monotonic() >= deadline:
                return bool(predicate())
            time.sleep(interval)

    def get_message(self, message_id: str) -> Optional[MessageRecord]:
        return self.messages.get(message_id)

    # --- session bookkeeping (loop thread) --------------------------------------------

    def _session_made(self, s: _Session) -> None:
        self._sessions.add(s)
        self.stats["connections"] += 1
        self.stats["sessions"] = len(self._sessions)

    def _session_lost(self, s: _Session) -> None:
        if s.gone:
            return
        s.gone = True
        self._sessions.discard(s)
        self.stats["sessions"] = len(self._sessions)
        was_bound = s.bound
        self._unregister(s)
        if was_bound:
            logger.info("session closed without unbind: %s", s.describe())
        if s.outstanding:
            unacked = list(s.outstanding.values())
            s.outstanding.clear()
            if (self.config.redeliver_unacked or self._store is not None) and self._loop is not None:
                for item in unacked:
                    if isinstance(item, MessageRecord):
                        self._route_receipt(item, None)
                    else:
                        self._route_mo(item, s.system_id)
                self._flush()

    def _unregister(self, s: _Session) -> None:
        if not s.bound:
            return
        s.bound = False
        self._bound_count[s.system_id] -= 1
        if s.can_rx:
            receivers = self._receivers.get(s.system_id)
            if receivers and s in receivers:
                receivers.remove(s)
        self.stats["bound"] -= 1

    # --- output -----------------------------------------------------------------------

    def _send(self, s: _Session, data: bytes) -> None:
        if s.frozen:
            return
        s.out.append(data)
        if not s.dirty:
            s.dirty = True
            self._dirty.append(s)

    def _flush(self) -> None:
        store = self._store
        if store is not None and store.dirty:
            store.commit()  # what the responses below confirm is on disk first
        dirty = self._dirty
        if not dirty:
            return
        self._dirty = []
        for s in dirty:
            s.dirty = False
            transport = s.transport
            if s.out:
                if transport is not None and not transport.is_closing():
                    transport.write(s.out[0] if len(s.out) == 1 else b"".join(s.out))
                s.out = []
            if s.close_after_flush and transport is not None:
                transport.close()

    # --- input ------------------------------------------------------------------------

    def _on_data(self, s: _Session, data: bytes) -> None:
        if s.frozen:
            self.stats["frozen_bytes"] += len(data)
            return  # a hung SMSC: the TCP session stays up, nothing is read or answered
        buf = s.buf + data if s.buf else data
        n = len(buf)
        pos = 0
        now = wall = 0.0
        unpack = _HDR.unpack_from
        try:
            while n - pos >= 16 and not s.close_after_flush:
                length, command_id, status, seq = unpack(buf, pos)
                if length < 16 or length > MAX_PDU_LENGTH:
                    self._send(s, _header(GENERIC_NACK, ESME_RINVCMDLEN, seq))
                    self.stats["generic_nack_sent"] += 1
                    s.close_after_flush = True
                    pos = n
                    break
                end = pos + length
                if end > n:
                    break
                if command_id == SUBMIT_SM:
                    if not now:
                        now = time.monotonic()
                        wall = time.time()
                    if not self._on_submit(s, buf[pos:end], seq, now, wall):
                        return  # the session was dropped on purpose
                elif command_id == DELIVER_SM_RESP:
                    self._on_deliver_sm_resp(s, status, seq)
                else:
                    self._on_other(s, command_id, status, seq, buf, pos, end)
                pos = end
            s.buf = buf[pos:] if pos < n else b""
        finally:
            self._flush()

    def _on_submit(self, s: _Session, raw: bytes, seq: int, now: float, wall: float) -> bool:
        stats = self.stats
        config = self.config
        if not s.can_tx:
            self._send(s, _header(SUBMIT_SM_RESP, ESME_RINVBNDSTS, seq))
            stats["submit_errors"] += 1
            return True
        if config.disconnect_probability and self._rng.random() < config.disconnect_probability:
            stats["disconnects"] += 1
            logger.info("dropping session on purpose (disconnect_probability): %s",
                        s.describe())
            self._flush()
            s.transport.abort()
            return False
        tps = config.tps
        if tps:
            window = self._tps_windows.get(s.system_id)
            if window is None:
                window = self._tps_windows[s.system_id] = collections.deque()
            cutoff = now - 1.0
            while window and window[0] <= cutoff:
                window.popleft()
            if len(window) >= tps:
                self._send(s, _header(SUBMIT_SM_RESP, ESME_RTHROTTLED, seq))
                stats["throttled"] += 1
                return True
            window.append(now)
        try:
            (src_ton, src_npi, src, dst_ton, dst_npi, dst, esm_class, protocol_id,
             registered_delivery, data_coding, short_message, tlvs) = decode_submit_sm(raw[16:])
        except (ValueError, IndexError, struct.error):
            self._send(s, _header(SUBMIT_SM_RESP, ESME_RINVCMDLEN, seq))
            stats["submit_errors"] += 1
            return True
        if not dst:
            self._send(s, _header(SUBMIT_SM_RESP, ESME_RINVDSTADR, seq))
            stats["submit_errors"] += 1
            return True
        respond = True
        if self._submit_script:
            scripted = self._scripted(dst.decode("latin-1"))
            if scripted is not None:
                status, = scripted
                if status is not None:
                    self._send(s, _header(SUBMIT_SM_RESP, status, seq))
                    stats["submit_errors"] += 1
                    return True
                respond = False

        number = next(_ID_COUNTER)
        message_id = format(number, "x") if config.id_format == "hex" else str(number)
        destination = dst.decode("latin-1")
        suffix = config.undeliverable_suffix
        if (suffix and destination.endswith(suffix)) or (
                config.delivery_ratio < 1.0 and self._rng.random() >= config.delivery_ratio):
            final_state = STATE_UNDELIVERABLE
        else:
            final_state = STATE_DELIVERED
        delay = config.receipt_delay
        wanted = registered_delivery & 0x03
        receipt = wanted == 1 or wanted == 3 or (wanted == 2 and final_state != STATE_DELIVERED)
        if receipt and config.receipt_ratio < 1.0 and self._rng.random() >= config.receipt_ratio:
            receipt = False  # lost on the way, as operators' receipts sometimes are
            stats["receipts_lost"] += 1
        record = MessageRecord(
            message_id=message_id, system_id=s.system_id, source=src.decode("latin-1"),
            source_ton=src_ton, source_npi=src_npi, destination=destination,
            dest_ton=dst_ton, dest_npi=dst_npi, esm_class=esm_class, protocol_id=protocol_id,
            data_coding=data_coding, registered_delivery=registered_delivery,
            short_message=short_message, tlvs=tlvs, pdu=raw, submit_time=wall,
            done_time=wall + delay, due=now + delay, final_state=final_state,
            receipt_requested=receipt,
        )
        messages = self.messages
        messages[message_id] = record
        order = self._order
        order.append(message_id)
        if len(order) > config.max_messages:
            for _ in range(len(order) - config.max_messages):
                messages.pop(order.popleft(), None)
        stats["submits"] += 1
        if self._store is not None:
            ref = tlvs.get(TLV_USER_MESSAGE_REFERENCE) if tlvs else None
            self._store.add(record, number, ref.hex() if ref is not None else None)
        mid = message_id.encode()
        if respond and config.response_delay > 0:
            self._loop.call_later(config.response_delay, self._respond_late, s,
                                  _HDR.pack(17 + len(mid), SUBMIT_SM_RESP, ESME_ROK, seq) + mid + b"\x00")
        elif respond:
            self._send(s, _HDR.pack(17 + len(mid), SUBMIT_SM_RESP, ESME_ROK, seq) + mid + b"\x00")
        else:
            stats["responses_dropped"] += 1
        if receipt:
            if delay <= 0:
                self._route_receipt(record, s)
            else:
                heapq.heappush(self._heap, (record.due, next(self._heap_tiebreak), record, s))
                if self._pump_handle is None or record.due < self._pump_when:
                    self._schedule_pump(record.due)
        return True

    def _respond_late(self, s: _Session, pdu: bytes) -> None:
        if not s.gone:
            self._send(s, pdu)
            self._flush()

    def _on_deliver_sm_resp(self, s: _Session, status: int, seq: int) -> None:
        item = s.outstanding.pop(seq, None)
        if status:
            self.stats["deliver_sm_resp_errors"] += 1
        if item is None:
            return
        if isinstance(item, MessageRecord):
            if not status:
                item.receipt_acked = True
                self.stats["receipts_acked"] += 1
                if self._store is not None:
                    self._store.ack(item.message_id)
        elif not status:
            self.stats["mo_acked"] += 1

    def _on_other(self, s: _Session, command_id: int, status: int, seq: int,
                  buf: bytes, pos: int, end: int) -> None:
        if command_id in _BIND_MODES:
            self._on_bind(s, command_id, seq, buf[pos:end])
        elif command_id == ENQUIRE_LINK:
            self.stats["enquire_link"] += 1
            self._send(s, _header(ENQUIRE_LINK_RESP, ESME_ROK, seq))
        elif command_id & RESP:
            if command_id == UNBIND_RESP and s.unbinding:
                self.stats["unbind_resps"] += 1
                s.close_after_flush = True
            if command_id == GENERIC_NACK:
                self.stats["generic_nack_received"] += 1
                s.outstanding.pop(seq, None)
            # enquire_link_resp, unbind_resp and other responses: nothing to do
        elif not s.bound:
            if command_id in _KNOWN_REQUESTS:
                self._send(s, _header(command_id | RESP, ESME_RINVBNDSTS, seq))
            else:
                self._send(s, _header(GENERIC_NACK, ESME_RINVCMDID, seq))
                self.stats["generic_nack_sent"] += 1
        elif command_id == QUERY_SM:
            self._on_query_sm(s, seq, buf[pos:end])
        elif command_id == UNBIND:
            self.stats["unbinds"] += 1
            logger.info("unbind: %s", s.describe())
            self._unregister(s)
            self._send(s, _header(UNBIND_RESP, ESME_ROK, seq))
            s.close_after_flush = True
        else:
            self._send(s, _header(GENERIC_NACK, ESME_RINVCMDID, seq))
            self.stats["generic_nack_sent"] += 1

    def _on_bind(self, s: _Session, command_id: int, seq: int, raw: bytes) -> None:
        resp_id = command_id | RESP
        name = _BIND_NAMES[command_id]
        if s.bound:
            self._send(s, _header(resp_id, ESME_RALYBND, seq))
            self.stats["bind_failures"] += 1
            logger.info("%s refused (already bound): %s", name, s.describe())
            return
        try:
            pdu = _parse_with_smpplib(raw)
            system_id = (pdu.system_id or b"").decode("latin-1")
            password = (pdu.password or b"").decode("latin-1")
        except Exception:
            self._send(s, _header(GENERIC_NACK, ESME_RINVCMDLEN, seq))
            self.stats["generic_nack_sent"] += 1
            return
        config = self.config
        peer = "%s:%s" % s.peer[:2] if s.peer else "?"
        if ((config.system_id is not None and system_id != config.system_id)
                or (config.password is not None and password != config.password)):
            self._send(s, _header(resp_id, ESME_RBINDFAIL, seq))
            self.stats["bind_failures"] += 1
            logger.info("%s refused (bad credentials): system_id=%s peer=%s",
                        name, system_id, peer)
            return
        if config.max_binds and self._bound_count[system_id] >= config.max_binds:
            self._send(s, _header(resp_id, ESME_RALYBND, seq))
            self.stats["bind_failures"] += 1
            logger.info("%s refused (max_binds=%d reached): system_id=%s peer=%s",
                        name, config.max_binds, system_id, peer)
            return
        mode, can_tx, can_rx = _BIND_MODES[command_id]
        s.mode, s.can_tx, s.can_rx = mode, can_tx, can_rx
        s.system_id = system_id
        s.bound = True
        self._bound_count[system_id] += 1
        self.stats["binds"] += 1
        self.stats["bound"] += 1
        self._send(s, _generate_with_smpplib(name + "_resp", seq,
                                             system_id=config.smsc_system_id,
                                             sc_interface_version=0x34))
        logger.info("%s ok: %s", name, s.describe())
        if can_rx:
            self._receivers.setdefault(system_id, []).append(s)
            self._drain_pending(system_id)

    def _on_query_sm(self, s: _Session, seq: int, raw: bytes) -> None:
        self.stats["query_sm"] += 1
        try:
            pdu = _parse_with_smpplib(raw)
            message_id = (pdu.message_id or b"").decode("latin-1")
        except Exception:
            self._send(s, _header(QUERY_SM_RESP, ESME_RINVCMDLEN, seq))
            return
        record = self.messages.get(message_id)
        if record is None:
            self._send(s, _header(QUERY_SM_RESP, ESME_RQUERYFAIL, seq))
            return
        state = record.state
        final = state != STATE_ENROUTE
        self._send(s, _generate_with_smpplib(
            "query_sm_resp", seq, message_id=message_id,
            final_date=_smpp_time(record.done_time) if final else "",
            message_state=state,
            error_code=1 if state == STATE_UNDELIVERABLE else 0))

    # --- receipts and MO ----------------------------------------------------------------

    def _schedule_pump(self, when: float) -> None:
        if self._pump_handle is not None:
            self._pump_handle.cancel()
        # the loop clock is time.monotonic() (asyncio's default)
        self._pump_handle = self._loop.call_at(when, self._pump)
        self._pump_when = when

    def _pump(self) -> None:
        self._pump_handle = None
        heap = self._heap
        limit = time.monotonic() + 0.0005
        pop = heapq.heappop
        while heap and heap[0][0] <= limit:
            _, _, record, preferred = pop(heap)
            self._route_receipt(record, preferred)
        self._flush()
        if heap:
            self._schedule_pump(heap[0][0])

    def _pick_receiver(self, system_id, preferred: Optional[_Session]) -> Optional[_Session]:
        if preferred is not None and preferred.can_rx and preferred.bound:
            return preferred
        if system_id is None:
            candidates = [s for group in self._receivers.values() for s in group]
        else:
            candidates = self._receivers.get(system_id)
        if not candidates:
            return None
        self._rr += 1
        return candidates[self._rr % len(candidates)]

    def _queue(self, key, item) -> None:
        queue = self._pending.get(key)
        if queue is None:
            queue = self._pending[key] = collections.deque()
        if len(queue) >= self.config.max_messages:
            queue.popleft()
            self.stats["receipts_dropped"] += 1
        queue.append(item)
        self.stats["receipts_queued"] += 1

    def _route_receipt(self, record: MessageRecord, preferred: Optional[_Session]) -> None:
        target = self._pick_receiver(record.system_id, preferred)
        if target is None:
            self._queue(record.system_id, record)
            return
        self._send_receipt(target, record)

    def _send_receipt(self, s: _Session, record: MessageRecord) -> None:
        message_id = record.message_id
        delivered = record.final_state == STATE_DELIVERED
        text_id = message_id
        fmt = self.config.receipt_id_format
        if fmt != "same" and fmt != self.config.id_format:
            number = int(message_id, 16 if self.config.id_format == "hex" else 10)
            text_id = format(number, "x") if fmt == "hex" else str(number)
        raw = record.short_message or record.message_payload or b""
        payload = _split_udh(raw, record.esm_class)[1]
        if record.data_coding == 8:
            payload = payload[:40]
        else:
            payload = payload[:40] if 0x1B in payload[:40] else payload[:20]
        snippet = decode_text(payload, record.data_coding)[:20]
        text = "id:%s sub:001 dlvrd:%s submit date:%s done date:%s stat:%s err:%s text:%s" % (
            text_id, "001" if delivered else "000", _receipt_date(record.submit_time),
            _receipt_date(time.time()), "DELIVRD" if delivered else "UNDELIV",
            "000" if delivered else "001", snippet)
        mid = message_id.encode()
        tlvs = (_TLV_HDR.pack(TLV_RECEIPTED_MESSAGE_ID, len(mid) + 1) + mid + b"\x00"
                + struct.pack(">HHB", TLV_MESSAGE_STATE, 1, record.final_state))
        if not self.config.receipt_tlvs:
            tlvs = b""
        elif not delivered:
            tlvs += _TLV_HDR.pack(TLV_NETWORK_ERROR_CODE, 3) + b"\x03\x00\x01"
        seq = s.next_seq()
        self._send(s, encode_deliver_sm(
            seq, record.dest_ton, record.dest_npi, record.destination.encode("latin-1"),
            record.source_ton, record.source_npi, record.source.encode("latin-1"),
            0x04, 0, text.encode("ascii", "replace"), tlvs))
        outstanding = s.outstanding
        outstanding[seq] = record
        if len(outstanding) > self.config.max_messages:  # an ESME that never acks
            outstanding.pop(next(iter(outstanding)))
        record.receipt_sent_at = time.time()
        self.stats["receipts_sent"] += 1

    def _inject_mo_now(self, mo: tuple, system_id: Optional[str]) -> bool:
        sent = self._route_mo(mo, system_id)
        self._flush()
        return sent

    def _route_mo(self, mo: tuple, system_id: Optional[str]) -> bool:
        target = self._pick_receiver(system_id, None)
        if target is None:
            self._queue(system_id, mo)
            return False
        seq = target.next_seq()
        self._send(target, encode_deliver_sm(seq, *mo))
        target.outstanding[seq] = mo
        self.stats["mo_sent"] += 1
        return True

    def _drain_pending(self, system_id: str) -> None:
        for key in (system_id, None):
            queue = self._pending.get(key)
            while queue:
                item = queue.popleft()
                self.stats["receipts_queued"] -= 1
                if isinstance(item, MessageRecord):
                    self._route_receipt(item, None)
                else:
                    self._route_mo(item, system_id)
