"""SMS segmentation and encoding (rule R-MSG-02). Pure Python, no Django.

Encoding
    A text whose every character is in the GSM 03.38 default alphabet (basic
    table) or its extension table is GSM-7; otherwise the whole text is UCS-2.

Units
    GSM-7: septets; an extension character costs 2 (ESC + code).
    UCS-2: UTF-16 code units; a character outside the BMP costs 2.

Parts (the provider's size table is the contract)
    One part holds 160 GSM-7 / 70 UCS-2 units. A longer text is split into
    concatenated parts: every part but the last holds at most 152 / 66 units,
    the last at most 153 / 67. A 2-unit character (escape pair, surrogate
    pair) is never cut between two parts.

Why the split is minimal (count == the least n that can hold the text)
    Let the "reach" of k non-last parts be the longest prefix of the text that
    k parts of <= 152 units can carry. Greedy filling (take characters while
    the next one fits) achieves the reach for every k: by induction, if greedy
    part k ends at or after any other layout's part k, then greedy part k+1
    starts no later and, since costs are positive, can carry at least up to
    where the other layout's part k+1 ends. So a layout with n parts exists
    iff the rest after greedy n-1 parts fits the last part (<= 153). The loop
    in ``_part_ends`` adds greedy non-last parts exactly while the rest does
    not fit one last part, i.e. it stops at the least such n. The tests check
    this against an exhaustive search of every cut set.

The same counting algorithm lives in ``messaging/static/messaging/segments.js``
for the live counter in the UI; tests compare both.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

__all__ = [
    "GSM7",
    "UCS2",
    "DATA_CODING",
    "LIMITS",
    "MAX_PARTS",
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "Segmentation",
    "PartPayload",
    "segment",
    "encoding_of",
    "units_of",
    "encode",
    "decode",
    "udh_concat",
    "submit_payloads",
    "parse_concat_udh",
]

GSM7 = "gsm7"
UCS2 = "ucs2"
DATA_CODING = {GSM7: 0x00, UCS2: 0x08}  # SMPP data_coding

# (single part, every part but the last, the last part) -- R-MSG-02 size table
LIMITS = {GSM7: (160, 152, 153), UCS2: (70, 66, 67)}
MAX_PARTS = 255  # the 8-bit concatenation UDH cannot count further

ESC = 0x1B
# 3GPP TS 23.038 default alphabet; index == code; "\x1b" marks the escape slot
# (0x1B), which is no character of its own.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
assert len(GSM7_BASIC) == 128
# extension table: character -> code sent after ESC
GSM7_EXTENSION = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}

_BASIC_SET = frozenset(GSM7_BASIC) - {"\x1b"}
_EXT_SET = frozenset(GSM7_EXTENSION)
_GSM_SET = _BASIC_SET | _EXT_SET

# str.translate table: text -> one latin-1 char per septet
_ENCODE_TABLE = {ord(ch): chr(code) for code, ch in enumerate(GSM7_BASIC) if code != ESC}
_ENCODE_TABLE.update({ord(ch): "\x1b" + chr(code) for ch, code in GSM7_EXTENSION.items()})
# septet -> character
_DECODE_BASIC = tuple(" " if code == ESC else ch for code, ch in enumerate(GSM7_BASIC))
_DECODE_EXT = {code: ch for ch, code in GSM7_EXTENSION.items()}
_DECODE_TABLE = {code: ch for code, ch in enumerate(_DECODE_BASIC)}  # for str.translate

# one scan of the whole text in C (not a regex per character)
_NON_GSM_RE = re.compile("[^" + "".join(sorted(re.escape(ch) for ch in _GSM_SET)) + "]")
_EXT_RE = re.compile("[" + "".join(sorted(re.escape(ch) for ch in _EXT_SET)) + "]")
_ASTRAL_RE = re.compile("[\U00010000-\U0010FFFF]")


# --------------------------------------------------------------------------- counting


def _doubles(text: str, encoding: str) -> list[int]:
    """Indices of the characters that cost 2 units in ``encoding``."""
    rx = _EXT_RE if encoding == GSM7 else _ASTRAL_RE
    return [m.start() for m in rx.finditer(text)]


def _classify(text: str) -> tuple[str, list[int]]:
    """(encoding, indices of the 2-unit characters); units = len(text) + len(doubles)."""
    encoding = UCS2 if _NON_GSM_RE.search(text) else GSM7
    return encoding, _doubles(text, encoding)


def _part_ends(n: int, doubles: list[int], single: int, nonlast: int, last: int) -> list[int]:
    """End index (exclusive) of every part but the last; [] for one part.

    The text has ``n`` characters; those at the sorted indices ``doubles``
    cost 2 units, the others 1. Greedy: while the rest is more than one last
    part (``last`` units) can take, cut a non-last part that reaches as far as
    ``nonlast`` units allow.
    """
    units = n + len(doubles)
    if units <= single:
        return []
    assert 2 <= nonlast <= last, "a 2-unit character must fit in a part"

    def offset(i: int) -> int:  # units of text[:i]; strictly increasing in i
        return i + bisect_left(doubles, i)

    ends: list[int] = []
    start = 0
    while units - offset(start) > last:
        # the furthest end with units(text[start:end]) <= nonlast; it is < n
        # because the rest holds more than last >= nonlast units
        end = start + nonlast
        if end > n or bisect_left(doubles, end) != bisect_left(doubles, start):
            # 2-unit characters in the window: search the furthest end that fits
            target = offset(start) + nonlast
            hi = min(n, end)
            end = start + bisect_right(range(start, hi + 1), target, key=offset) - 1
        # else: nonlast 1-unit characters fill the part exactly
        ends.append(end)
        start = end
    return ends


@dataclass(frozen=True, slots=True)
class Segmentation:
    encoding: str  # GSM7 or UCS2
    units: int  # total units of the whole text
    parts: tuple[str, ...]  # ''.join(parts) == text; one element when it fits one SMS

    @property
    def count(self) -> int:
        """Number of SMS (the charged count)."""
        return len(self.parts)

    @property
    def data_coding(self) -> int:
        return DATA_CODING[self.encoding]

    @property
    def per_part(self) -> int:
        """Per-part limit for display: 160/70 for one part, else 153/67."""
        single, _nonlast, last = LIMITS[self.encoding]
        return single if len(self.parts) == 1 else last

    @property
    def remaining(self) -> int:
        """How many more 1-unit characters fit before one more part is needed."""
        single, _nonlast, last = LIMITS[self.encoding]
        if len(self.parts) == 1:
            return single - self.units
        return last - units_of(self.parts[-1], self.encoding)


def segment(text: str) -> Segmentation:
    """Encoding, unit count and parts of ``text`` under R-MSG-02.

    The empty text is one (empty) part. Texts needing more than MAX_PARTS
    parts are still segmented; ``submit_payloads`` refuses them.
    """
    encoding, doubles = _classify(text)
    units = len(text) + len(doubles)
    single, nonlast, last = LIMITS[encoding]
    if units <= single:
        return Segmentation(encoding, units, (text,))
    ends = _part_ends(len(text), doubles, single, nonlast, last)
    parts = []
    start = 0
    for end in ends:
        parts.append(text[start:end])
        start = end
    parts.append(text[start:])
    return Segmentation(encoding, units, tuple(parts))


def encoding_of(text: str) -> str:
    return UCS2 if _NON_GSM_RE.search(text) else GSM7


def units_of(text: str, encoding: str | None = None) -> int:
    """Units of ``text`` in ``encoding`` (default: its own encoding)."""
    if encoding is None:
        encoding = encoding_of(text)
    elif encoding not in LIMITS:
        raise ValueError(f"unknown encoding {encoding!r}")
    return len(text) + len(_doubles(text, encoding))


# --------------------------------------------------------------------------- bytes


def encode(text: str, encoding: str) -> bytes:
    """GSM7: GSM 03.38 unpacked (one byte per septet, extension chars as
    ESC + code), as SMPP data_coding 0 carries it. UCS2: UTF-16-BE.

    Raises ValueError for a character that GSM 03.38 cannot carry.
    """
    if encoding == GSM7:
        if not set(text) <= _GSM_SET:
            bad = "".join(sorted(set(text) - _GSM_SET))
            raise ValueError(f"not in the GSM 03.38 alphabet: {bad!r}")
        return text.translate(_ENCODE_TABLE).encode("latin-1")
    if encoding == UCS2:
        # surrogatepass keeps byte count == counted units even for a stray surrogate
        return text.encode("utf-16-be", "surrogatepass")
    raise ValueError(f"unknown encoding {encoding!r}")


def _decode_gsm7(data: bytes) -> str:
    if ESC not in data and (not data or max(data) < 0x80):
        return data.decode("latin-1").translate(_DECODE_TABLE)
    out: list[str] = []
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        i += 1
        if b == ESC:
            if i >= n:  # dangling escape: shown as a space (TS 23.038)
                out.append(" ")
                break
            b = data[i]
            i += 1
            ch = _DECODE_EXT.get(b)
            if ch is None:
                # ESC ESC is reserved (space); an unknown code shows the basic char
                ch = _DECODE_BASIC[b] if b < 0x80 else "\ufffd"
            out.append(ch)
        elif b < 0x80:
            out.append(_DECODE_BASIC[b])
        else:
            out.append("\ufffd")
    return "".join(out)


def decode(data: bytes, data_coding: int) -> str:
    """Inverse of ``encode`` for data_coding 0 (GSM 03.38 unpacked) and 8
    (UTF-16-BE); 3 is Latin-1; anything else is read as Latin-1. Never raises
    on malformed input (bad bytes become U+FFFD)."""
    data = bytes(data)
    if data_coding == DATA_CODING[GSM7]:
        return _decode_gsm7(data)
    if data_coding == DATA_CODING[UCS2]:
        return data.decode("utf-16-be", errors="replace")
    return data.decode("latin-1", errors="replace")


def udh_concat(ref: int, total: int, seq: int) -> bytes:
    """8-bit reference concatenation UDH (IEI 0x00)."""
    return b"\x05\x00\x03" + bytes([ref & 0xFF, total, seq])


@dataclass(frozen=True, slots=True)
class PartPayload:
    esm_class: int
    data_coding: int
    short_message: bytes


ESM_CLASS_UDHI = 0x40


def submit_payloads(text: str, ref: int) -> list[PartPayload]:
    """The submit_sm payloads of ``text``: one per part, same split as
    ``segment`` (so shown, charged and sent counts agree). Deterministic for a
    given (text, ref), so a retried part is byte-identical.

    Raises ValueError when the text needs more than MAX_PARTS parts.
    """
    seg = segment(text)
    dc = DATA_CODING[seg.encoding]
    if seg.count == 1:
        return [PartPayload(0x00, dc, encode(text, seg.encoding))]
    total = seg.count
    if total > MAX_PARTS:
        raise ValueError(f"text needs {total} parts; at most {MAX_PARTS} can be concatenated")
    return [
        PartPayload(ESM_CLASS_UDHI, dc, udh_concat(ref, total, seq) + encode(part, seg.encoding))
        for seq, part in enumerate(seg.parts, start=1)
    ]


def parse_concat_udh(short_message: bytes) -> tuple[int, int, int, bytes] | None:
    """(ref, total, seq, body) from a concatenation UDH (IEI 0x00, 8-bit ref,
    or IEI 0x08, 16-bit ref) at the start of ``short_message``; None when there
    is none or the header is malformed. Call it only when esm_class has UDHI
    (0x40) set: without that flag the first byte is text, not a header length.
    """
    sm = bytes(short_message)
    if len(sm) < 1:
        return None
    udhl = sm[0]
    if udhl == 0 or 1 + udhl > len(sm):
        return None
    header = sm[1 : 1 + udhl]
    body = sm[1 + udhl :]
    found = None
    i = 0
    while i + 2 <= len(header):
        iei, iel = header[i], header[i + 1]
        data = header[i + 2 : i + 2 + iel]
        if len(data) != iel:
            return None  # element runs past the header
        if iei == 0x00 and iel == 3:
            found = (data[0], data[1], data[2])
        elif iei == 0x08 and iel == 4:
            found = ((data[0] << 8) | data[1], data[2], data[3])
        i += 2 + iel
    if i != len(header) or found is None:
        return None
    ref, total, seq = found
    if total == 0 or not 1 <= seq <= total:
        return None  # TS 23.040: such an element is to be ignored
    return ref, total, seq, body
