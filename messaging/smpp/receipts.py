"""Reading delivery receipts out of deliver_sm PDUs (TLVs first, then the text form)."""
import re

_FIELD = re.compile(r"(id|stat|err):\s*([^\s]+)", re.IGNORECASE)
_STATE_STAT = {1: "ENROUTE", 2: "DELIVRD", 3: "EXPIRED", 4: "DELETED", 5: "UNDELIV", 6: "ACCEPTD",
               7: "UNKNOWN", 8: "REJECTD"}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("latin-1", errors="replace")
    return str(value)


def is_receipt(esm_class: int | None) -> bool:
    return bool(esm_class) and (esm_class & 0x3C) == 0x04


def normalize_message_id(value: str) -> str:
    """One spelling of an SMSC message id: stripped, lower-case hex/decimal as given."""
    return _text(value).strip().strip("\x00").lower()


def parse_receipt(pdu) -> tuple[str, str, str, str] | None:
    """(smsc_message_id, stat, err, raw text) of a receipt deliver_sm, or None when unreadable."""
    raw = _text(getattr(pdu, "short_message", None))
    fields = {k.lower(): v for k, v in _FIELD.findall(raw)}
    msg_id = _text(getattr(pdu, "receipted_message_id", None)) or fields.get("id", "")
    state = getattr(pdu, "message_state", None)
    stat = _STATE_STAT.get(state) if isinstance(state, int) else None
    stat = stat or fields.get("stat", "").upper()
    err = fields.get("err", "")
    msg_id = normalize_message_id(msg_id)
    if not msg_id or not stat:
        return None
    return msg_id, stat[:16], err[:16], raw[:500]
