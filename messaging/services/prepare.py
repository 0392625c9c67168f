"""Turning input rows (a phone and optional variables) into priced, routed messages-to-be.

Shared by single sends (any bad row refuses the request), estimates (a report) and campaigns
(bad rows are reported per row; the rest go). Fast enough for 100,000 rows: recipients, segment
counts, prices and routes are each computed once per distinct value.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from djmoney.money import Money

from billing.services import price_context, sms_price
from compliance.selectors import opted_out_phones_cached
from compliance.services import message_type_check
from senders.selectors import sender_rights
from smsportal.cache import Versions
from smsportal.errors import ApplicationError
from smsportal.money import money_json
from smsportal.phones import Recipient, parse_recipient

if TYPE_CHECKING:
    from accounts.models import Client  # annotations only: messaging never imports accounts' models

from .. import segments
from ..exceptions import MessagingError, TextInvalid
from ..models import MessageType, Route
from ..routing import Router

_VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
LONG_MESSAGE_PARTS = 3  # R-MSG-06: beyond this, delivery of a long message is not guaranteed


@dataclass(slots=True)
class PreparedRow:
    row: int  # 1-based position in the input
    recipient: Recipient
    text: str
    encoding: str
    segments: int
    price: Decimal
    route: Route


@dataclass
class Prepared:
    rows: list[PreparedRow] = field(default_factory=list)
    invalid: list[dict] = field(default_factory=list)  # {"row", "value", "reason"}
    refused: list[dict] = field(default_factory=list)  # opted out and the like
    duplicates: int = 0
    total: Decimal = Decimal("0")
    message_type: str = MessageType.SERVICE  # every row is priced as this type (R-BILL-07)

    @property
    def total_money(self) -> Money:
        return Money(self.total, "UAH")


def template_variables(text: str) -> list[str]:
    return sorted(set(_VARIABLE.findall(text)))


def render(text: str, variables: dict) -> str:
    """Fills `{name}` placeholders; a missing one raises KeyError with its name."""
    return _VARIABLE.sub(lambda m: str(variables[m.group(1)]), text)


def check_text(text) -> segments.Segmentation:
    if not isinstance(text, str) or not text.strip():
        raise TextInvalid("The message text is empty.")
    seg = segments.segment(text)
    _check_parts(seg)
    return seg


def _check_parts(seg: segments.Segmentation) -> None:
    if seg.count > settings.SMSPORTAL_MAX_PARTS:
        raise TextInvalid(
            f"The text needs {seg.count} SMS parts; at most {settings.SMSPORTAL_MAX_PARTS} are allowed "
            f"({seg.units} {'GSM-7' if seg.encoding == segments.GSM7 else 'UCS-2'} characters).",
            code="text_too_long")


def prepare_rows(*, client: Client, text: str, rows, progress=None, sender: str = "",
                 message_type: str = MessageType.SERVICE, versions: Versions | None = None) -> Prepared:
    """`rows` yields phones (str) or dicts with a `phone` key and variables. `progress(n)` is
    called every 10,000 rows. `sender` prices each row as from a national or an international
    name with its operator (R-BILL-07); without it, every row is priced as international.
    `message_type` (service or advertising) is priced for every row (R-BILL-07); whether the
    client may send it is the caller's check (compliance.services.message_type_check).
    Price lists, routes, sender names, opt-outs and grace periods come from the process's caches
    as they are now (`versions`: the counters read once for this send; smsportal.cache)."""
    message_type = message_type_check_value(message_type)
    has_vars = bool(_VARIABLE.search(text))
    if not has_vars:
        check_text(text)
    versions = versions or Versions(client.pk)
    pricing = price_context(client=client, versions=versions)
    router = Router.cached(versions)
    blocked = opted_out_phones_cached(client=client, versions=versions)
    rights = sender_rights(client=client, versions=versions) if sender else None
    seg_cache: dict[str, segments.Segmentation] = {}
    price_cache: dict[tuple, Decimal] = {}
    class_cache: dict[str, str] = {}  # operator → national / international, for `sender`
    seen: set[str] = set()
    out = Prepared(message_type=message_type)
    max_invalid = 1000
    for n, item in enumerate(rows, start=1):
        if progress and n % 10_000 == 0:
            progress(n)
        if isinstance(item, dict):
            raw = item.get("phone")
            variables = item
        else:
            raw, variables = item, {}
        parsed = parse_recipient(raw if isinstance(raw, str) else ("" if raw is None else str(raw)))
        if not isinstance(parsed, Recipient):
            if len(out.invalid) < max_invalid:
                out.invalid.append({"row": n, "value": str(raw)[:40], "reason": parsed})
            else:
                out.invalid.append({"row": n})
            continue
        if parsed.phone in seen:
            out.duplicates += 1
            continue
        seen.add(parsed.phone)
        parsed = router.recognize(parsed)  # the staff's prefix table beats phonenumbers' operator
        if parsed.phone in blocked:
            out.refused.append({"row": n, "value": parsed.phone, "reason": "the recipient opted out (STOP)"})
            continue
        body = text
        if has_vars:
            try:
                body = render(text, {**variables, "phone": parsed.phone})
            except KeyError as exc:
                out.invalid.append({"row": n, "value": parsed.phone, "reason": f"no value for {{{exc.args[0]}}}"})
                continue
            if not body.strip():
                out.invalid.append({"row": n, "value": parsed.phone, "reason": "the text is empty"})
                continue
        seg = seg_cache.get(body)
        if seg is None:
            seg = seg_cache[body] = segments.segment(body)
        if seg.count > settings.SMSPORTAL_MAX_PARTS:
            out.invalid.append({"row": n, "value": parsed.phone,
                                "reason": f"the text needs {seg.count} parts (at most {settings.SMSPORTAL_MAX_PARTS})"})
            continue
        key = (parsed.country, parsed.operator, seg.count)
        price = price_cache.get(key)
        if price is None:
            if parsed.operator not in class_cache:
                class_cache[parsed.operator] = (rights.sender_class(sender, parsed.operator or None)
                                                if sender and parsed.country == "UA" and parsed.operator
                                                else "international")
            price = price_cache[key] = sms_price(client=client, recipient=parsed.phone, segments=seg.count,
                                                 country=parsed.country, operator=parsed.operator,
                                                 message_type=message_type, context=pricing,
                                                 sender_class=class_cache[parsed.operator]).amount
        out.rows.append(PreparedRow(n, parsed, body, seg.encoding, seg.count, price, router.route_for(parsed)))
        out.total += price
    return out


def message_type_check_value(message_type) -> str:
    """'service' or 'advertising' (None or '' = service); anything else is refused."""
    if message_type in (None, ""):
        return MessageType.SERVICE
    if message_type not in MessageType.values:
        raise MessagingError(f"type is one of: {', '.join(MessageType.values)} ('{str(message_type)[:20]}' given).",
                             code="invalid_message_type")
    return message_type


def message_estimate(*, client: Client, text: str, recipients, shown: int = 1000, sender: str = "",
                     message_type: str = MessageType.SERVICE) -> dict:
    """What a send would cost, without sending (like SMSC's `cost=1`): per recipient its E.164
    number, operator, parts, encoding and price, the rows that cannot be sent, and the total.
    The API's estimate endpoint and the send form's live preview both answer with this. Priced
    as the send would be: by `message_type` and, with `sender`, its national/international class.
    An advertising estimate for a client without a signed contract is priced but warned
    (`contract_required`): the send itself would be refused (R-CMP-11)."""
    if not template_variables(text or ""):
        check_text(text)
    prepared = prepare_rows(client=client, text=text, rows=recipients, sender=sender, message_type=message_type)

    warnings = []
    if any(r.segments > LONG_MESSAGE_PARTS for r in prepared.rows):
        warnings.append({"code": "long_message",
                         "detail": f"Messages of more than {LONG_MESSAGE_PARTS} parts may not be delivered "
                                   "whole: delivery is not guaranteed."})
    if any(r.recipient.country != "UA" for r in prepared.rows):
        warnings.append({"code": "abroad",
                         "detail": "Delivery abroad is not guaranteed."})
    try:
        message_type_check(client=client, message_type=prepared.message_type)
    except ApplicationError as exc:
        warnings.append({"code": exc.code, "detail": exc.detail})
    return {
        "type": prepared.message_type,
        "warnings": warnings,
        "recipients": [{"recipient": r.recipient.phone, "operator": r.recipient.operator or None,
                        "country": r.recipient.country, "segments": r.segments, "encoding": r.encoding,
                        "price": money_json(r.price)} for r in prepared.rows[:shown]],
        "count": len(prepared.rows),
        "invalid": prepared.invalid[:100],
        "refused": prepared.refused[:100],
        "duplicates": prepared.duplicates,
        "total_price": money_json(prepared.total),
    }

