"""Reading delivery receipts out of deliver_sm PDUs (TLVs first, then the text form), and the one
spelling of an SMSC message id that both sides of a match use.

Message ids per route (`Route.receipt_id_format`):

* ``as_is``: the id as the SMSC gave it, stripped and lower-cased, on both sides.
* ``hex``: the SMSC answers submit_sm with a hexadecimal id and writes the receipt's *text* id in
  decimal (some operators zero-pad either). Both sides become the number written as lower-case
  hex without leading zeros ("0001A2F", "1a2f" and "6703" all become "1a2f"). The
  `receipted_message_id` TLV repeats the submit_sm_resp id (SMPP 3.4 5.3.2.12), so it is read
  as hex; a text id is read as decimal when it has only digits, as hex when it has letters a-f.
  Anything that is not a number stays as given (lower-cased).

`ReceiptInbox.raw` keeps the receipt's text; when the deliver_sm had a source address (the
recipient of the original message) it is kept on a first line ``src:<address>``, which the
in-doubt settlement needs (see messaging.smpp.connector).
"""
from __future__ import annotations

import re
from datetime import datetime

STATE_STAT = {1: "ENROUTE", 2: "DELIVRD", 3: "EXPIRED", 4: "DELETED", 5: "UNDELIV", 6: "ACCEPTD",
              7: "UNKNOWN", 8: "REJECTD"}
_FIELD = re.compile(r"\b(id|stat|err):\s*([^\s]+)", re.IGNORECASE)
_TEXT_FIELD = re.compile(r"\btext:(.*)\Z", re.IGNORECASE | re.DOTALL)
_SUBMIT_DATE = re.compile(r"submit date:(\d{10}(?:\d{2})?)\b", re.IGNORECASE)
_HEX = re.compile(r"[0-9a-f]+")
_SRC_PREFIX = "src:"

AS_IS, HEX = "as_is", "hex"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("latin-1", errors="replace")
    return str(value)


def is_receipt(esm_class: int | None) -> bool:
    return bool(esm_class) and (esm_class & 0x3C) == 0x04


def normalize_message_id(value) -> str:
    """One spelling of an SMSC message id as given: stripped, lower-case."""
    return _text(value).strip().strip("\x00").strip().lower()


def canonical_id(value, id_format: str = AS_IS, *, from_text: bool = False) -> str:
    """The spelling stored in `MessagePart.smsc_message_id` and `ReceiptInbox.smsc_message_id`.

    `from_text`: the id comes from a receipt's text (decimal on `hex` routes), not from a
    submit_sm_resp, query_sm_resp or receipted_message_id TLV (hex on `hex` routes)."""
    ident = normalize_message_id(value)
    if id_format != HEX or not ident or not _HEX.fullmatch(ident):
        return ident
    base = 10 if from_text and ident.isdigit() else 16
    return format(int(ident, base), "x")


def raw_with_source(text: str, source_addr: str) -> str:
    return f"{_SRC_PREFIX}{source_addr}\n{text}" if source_addr else text


def raw_source(raw: str) -> tuple[str, str]:
    """(source address, receipt text) of a stored `ReceiptInbox.raw`."""
    if raw.startswith(_SRC_PREFIX) and "\n" in raw:
        head, text = raw.split("\n", 1)
        return head[len(_SRC_PREFIX):], text
    return "", raw


def receipt_from_fields(short_message, receipted_message_id=None, message_state=None, *,
                        id_format: str = AS_IS, source_addr: str = "") -> tuple[str, str, str, str] | None:
    """(smsc_message_id, stat, err, raw) from the parts of a receipt deliver_sm, or None when it
    names no id or no state."""
    text = _text(short_message)
    fields = {k.lower(): v for k, v in _FIELD.findall(text)}
    tlv_id = _text(receipted_message_id).strip("\x00").strip()
    if tlv_id:
        msg_id = canonical_id(tlv_id, id_format)
    else:
        msg_id = canonical_id(fields.get("id", ""), id_format, from_text=True)
    stat = STATE_STAT.get(message_state) if isinstance(message_state, int) else None
    stat = stat or fields.get("stat", "").upper()
    err = fields.get("err", "")
    if not msg_id or not stat:
        return None
    return msg_id, stat[:16], err[:16], raw_with_source(text, source_addr)[:500]


def parse_receipt(pdu, id_format: str = AS_IS) -> tuple[str, str, str, str] | None:
    """(smsc_message_id, stat, err, raw text) of a receipt deliver_sm (an smpplib PDU or anything
    with the same attributes), or None when unreadable."""
    return receipt_from_fields(getattr(pdu, "short_message", None), getattr(pdu, "receipted_message_id", None),
                               getattr(pdu, "message_state", None), id_format=id_format,
                               source_addr=_text(getattr(pdu, "source_addr", None)))


def receipt_snippet(text: str) -> str | None:
    """The `text:` field of a receipt (the first characters of the message), or None."""
    m = _TEXT_FIELD.search(text)
    return m.group(1) if m else None


def receipt_submit_date(text: str) -> datetime | None:
    """The `submit date:` of a receipt as a naive datetime (YYMMDDhhmm or YYMMDDhhmmss), or None."""
    m = _SUBMIT_DATE.search(text)
    if not m:
        return None
    digits = m.group(1)
    try:
        return datetime.strptime(digits, "%y%m%d%H%M%S" if len(digits) == 12 else "%y%m%d%H%M")
    except ValueError:
        return None


def snippet_matches(snippet: str, text: str) -> bool:
    """Whether a receipt's `text:` snippet is the start of `text`. SMSCs cut it at 20 characters,
    trim it, and write what their character set lacks as "?" (Cyrillic often comes back as
    "????"): a "?" matches any character."""
    snippet = snippet.strip()
    if not snippet:
        return False
    head = text.lstrip()[:len(snippet)]
    if len(head) < len(snippet):
        return False
    return all(a == b or a == "?" for a, b in zip(snippet, head))
