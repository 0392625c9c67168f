"""The submit_sm payloads of a message's parts, byte-identical on every try."""
from functools import lru_cache

from ... import segments


@lru_cache(maxsize=256)
def _payloads_ref0(text: str) -> tuple[segments.PartPayload, ...]:
    return tuple(segments.submit_payloads(text, ref=0))


def part_payloads(text: str, ref: int) -> list[segments.PartPayload]:
    """`segments.submit_payloads(text, ref)`, byte for byte, with the split of a campaign's
    shared text computed once (only the concatenation reference differs between messages).
    `ref` is the message's pk: its low byte is the reference, stable for the message (a resent
    part is byte-identical) and never shared by consecutive messages to one phone."""
    base = _payloads_ref0(text)
    if len(base) == 1:
        return list(base)
    ref_byte = bytes((ref & 0xFF,))
    return [segments.PartPayload(p.esm_class, p.data_coding, p.short_message[:3] + ref_byte + p.short_message[4:])
            for p in base]
