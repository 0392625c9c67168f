"""Turning input rows (a phone and optional variables) into priced, routed messages-to-be.

Shared by single sends (any bad row refuses the request), estimates (a report) and campaigns
(bad rows are reported per row; the rest go). Fast enough for 100,000 rows: recipients, segment
counts, prices and routes are each computed once per distinct value.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from djmoney.money import Money

from billing.services import price_context, sms_price
from compliance.hours import OUTSIDE_SENDING_HOURS, send_time_for, sending_calendar_get, sending_hours_notice
from compliance.selectors import recipient_gate
from compliance.services import ContentRefused, content_screen_many, message_type_check
from senders.selectors import sender_rights
from smsportal.cache import Versions
from smsportal.errors import ApplicationError
from smsportal.money import money_json
from smsportal.phones import Recipient, parse_recipient

if TYPE_CHECKING:
    from accounts.models import Client  # annotations only: messaging never imports accounts' models
    from compliance.screening import Verdict

from .. import segments
from ..exceptions import MessagingError, TextInvalid
from ..models import MessageType, Route
from ..routing import Router
from .frequency import FREQUENCY_CAP, frequency_cap_detail, over_daily_cap

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
    review: tuple[str, str] | None = None  # (reason code, client-facing detail): held for staff (R-CMP-02)


@dataclass
class Prepared:
    rows: list[PreparedRow] = field(default_factory=list)
    invalid: list[dict] = field(default_factory=list)  # {"row", "value", "reason"}
    # {"row", "value", "reason" (client-facing), "code" (opted_out, frequency_cap, a content reason…),
    # and "text" for a personalized row refused for its content}: stored refused, uncharged
    refused: list[dict] = field(default_factory=list)
    duplicates: int = 0
    total: Decimal = Decimal("0")
    message_type: str = MessageType.SERVICE  # every row is priced as this type (R-BILL-07)
    verdict: Verdict | None = None  # the screening of the one text of a send without variables
    send_at: datetime | None = None  # when the messages may go (R-CMP-07): the wanted time or the next opening
    schedule_reason: str | None = None  # OUTSIDE_SENDING_HOURS when send_at was moved to the next opening
    counts: dict[str, int] = field(default_factory=dict)  # refused rows by reason code

    @property
    def review(self) -> int:
        """How many rows wait for staff (R-CMP-02)."""
        return sum(1 for r in self.rows if r.review is not None)

    @property
    def notice(self) -> str:
        """What the client reads when the send waits for the sending window (else "")."""
        return sending_hours_notice(self.send_at) if self.schedule_reason else ""

    @property
    def total_money(self) -> Money:
        return Money(self.total, "UAH")


def template_variables(text: str) -> list[str]:
    return sorted(set(_VARIABLE.findall(text)))


def render(text: str, variables: dict) -> str:
    """Fills `{name}` placeholders; a missing one raises KeyError with its name."""
    return _VARIABLE.sub(lambda m: str(variables[m.group(1)]), text)


def variables_empty(text: str, rows, shown: int = 5) -> dict:
    """Which rows leave a {variable} of `text` empty (missing or blank): how many, per variable,
    and the first `shown` of them ({"row", "phone", "variables"}), for the review step's warning
    before the client confirms. `rows` as prepare_rows takes them ({phone} is always filled)."""
    used = [v for v in template_variables(text or "") if v != "phone"]
    out = {"rows": 0, "by_variable": dict.fromkeys(used, 0), "examples": []}
    if not used:
        return out
    for n, item in enumerate(rows, start=1):
        values = item if isinstance(item, dict) else {}
        empty = [v for v in used if not str(values.get(v) if values.get(v) is not None else "").strip()]
        if not empty:
            continue
        out["rows"] += 1
        for v in empty:
            out["by_variable"][v] += 1
        if len(out["examples"]) < shown:
            phone = values.get("phone") if isinstance(item, dict) else item
            out["examples"].append({"row": n, "phone": str(phone or "")[:40], "variables": empty})
    return out


def check_text(text) -> segments.Segmentation:
    if not isinstance(text, str) or not text.strip():
        raise TextInvalid(gettext("The message text is empty."))
    seg = segments.segment(text)
    _check_parts(seg)
    return seg


def _check_parts(seg: segments.Segmentation) -> None:
    if seg.count > settings.SMSPORTAL_MAX_PARTS:
        raise TextInvalid(
            gettext("The text needs %(parts)s SMS parts; at most %(max)s are allowed (%(units)s %(encoding)s characters).")
            % {"parts": seg.count, "max": settings.SMSPORTAL_MAX_PARTS, "units": seg.units,
               "encoding": "GSM-7" if seg.encoding == segments.GSM7 else "UCS-2"},
            code="text_too_long")


def prepare_rows(*, client: Client, text: str, rows, progress=None, sender: str = "",
                 message_type: str = MessageType.SERVICE, versions: Versions | None = None,
                 send_at: datetime | None = None, refuse_text: bool = True) -> Prepared:
    """`rows` yields phones (str) or dicts with a `phone` key and variables. `progress(n)` is
    called every 10,000 rows. `sender` prices each row as from a national or an international
    name with its operator (R-BILL-07); without it, every row is priced as international.
    `message_type` (service or advertising) is priced for every row (R-BILL-07); whether the
    client may send it is the caller's check (compliance.services.message_type_check).
    Price lists, routes, sender names, opt-outs and grace periods come from the process's caches
    as they are now (`versions`: the counters read once for this send; smsportal.cache).

    Compliance at accept, per recipient: pass, refuse (in `refused`, with its reason code) or hold
    for staff (`PreparedRow.review`, priced and held like the rest):
    - the recipient gate (stop lists, consent; R-CMP-05, 06), before anything else;
    - content screening (R-CMP-01, 02, 04, 10, 11): the one text of a send without variables is
      screened once, and refused raises ContentRefused (`refuse_text=False`: only reported, in
      `verdict`, for the estimate); personalized texts are screened per distinct text and a
      refused one refuses its row only;
    - sending hours (R-CMP-07): `send_at` (the wanted time, default now) moves to the next
      opening of the window when the client is not exempt (`Prepared.send_at`, `schedule_reason`);
    - the 10-a-day cap (R-CMP-03) on the Kyiv day of that time: a recipient who already has 10
      messages of the client that day is refused `frequency_cap` (one query)."""
    message_type = message_type_check_value(message_type)
    has_vars = bool(_VARIABLE.search(text))
    if not has_vars:
        check_text(text)
    versions = versions or Versions(client.pk)
    out = Prepared(message_type=message_type)
    if not has_vars:
        out.verdict = content_screen_many(client=client, texts=[text], message_type=message_type,
                                          sender=sender or None, versions=versions, with_spans=False)[0]
        if out.verdict.refused and refuse_text:
            raise ContentRefused.from_verdict(out.verdict)
    out.send_at, out.schedule_reason = send_time(client=client, message_type=message_type, send_at=send_at,
                                                 versions=versions)
    pricing = price_context(client=client, versions=versions)
    router = Router.cached(versions)
    gate = recipient_gate(client=client, message_type=message_type, versions=versions)
    rights = sender_rights(client=client, versions=versions) if sender else None
    seg_cache: dict[str, segments.Segmentation] = {}
    price_cache: dict[tuple, Decimal] = {}
    class_cache: dict[str, str] = {}  # operator → national / international, for `sender`
    seen: set[str] = set()
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
        refusal = gate.refusal(parsed.phone)
        if refusal is not None:
            out.refused.append({"row": n, "value": parsed.phone, "reason": refusal[1], "code": refusal[0]})
            continue
        body = text
        if has_vars:
            try:
                body = render(text, {**variables, "phone": parsed.phone})
            except KeyError as exc:
                out.invalid.append({"row": n, "value": parsed.phone, "reason": gettext("no value for {%(name)s}") % {"name": exc.args[0]}})
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
    _screen_rows(out, client=client, sender=sender, has_vars=has_vars, versions=versions)
    _cap_rows(out, client=client, versions=versions)
    out.total = sum((r.price for r in out.rows), Decimal("0"))
    counts: dict[str, int] = {}
    for r in out.refused:
        code = r.get("code", "")
        counts[code] = counts.get(code, 0) + 1
    out.counts = counts
    return out


def send_time(*, client: Client, message_type: str, send_at: datetime | None = None,
              versions: Versions | None = None) -> tuple[datetime, str | None]:
    """When a send wanted at `send_at` (None or a past time: now) may go (R-CMP-07), and why it
    waits (OUTSIDE_SENDING_HOURS) or None. A wanted time inside the window is kept as given."""
    now = timezone.now()
    wanted = send_at if send_at is not None and send_at > now else now
    at, reason = send_time_for(client=client, message_type=message_type, at=wanted, versions=versions)
    if reason is None:
        return (send_at or now), None
    return at, reason


def _screen_rows(out: Prepared, *, client: Client, sender: str, has_vars: bool, versions: Versions) -> None:
    """Content screening of the rows (R-CMP-01, 02): the one text's verdict for every row, or each
    personalized text's (each distinct text screened once). Refused rows leave `rows`."""
    if not out.rows:
        return
    if not has_vars:
        verdict = out.verdict
        if verdict is not None and verdict.needs_review:
            hold = (verdict.reason, verdict.detail)
            for r in out.rows:
                r.review = hold
        return
    verdicts = content_screen_many(client=client, texts=[r.text for r in out.rows], message_type=out.message_type,
                                   sender=sender or None, versions=versions, with_spans=False)
    if all(v.passed for v in verdicts):
        return
    kept = []
    for r, v in zip(out.rows, verdicts, strict=True):
        if v.refused:
            out.refused.append({"row": r.row, "value": r.recipient.phone, "code": v.reason, "text": r.text,
                                "reason": v.detail or ContentRefused.default_detail, "content": True})
            continue
        if v.needs_review:
            r.review = (v.reason, v.detail)
        kept.append(r)
    out.rows = kept


def _cap_rows(out: Prepared, *, client: Client, versions: Versions | None = None) -> None:
    """The 10-a-day cap (R-CMP-03) on the Kyiv day the messages go: the recipients who already
    have as many leave `rows`, refused `frequency_cap`."""
    if not out.rows:
        return
    over = over_daily_cap(client_id=client.pk, message_type=out.message_type,
                          phones=[r.recipient.phone for r in out.rows], at=out.send_at, versions=versions)
    if not over:
        return
    detail = frequency_cap_detail()
    kept = []
    for r in out.rows:
        if r.recipient.phone in over:
            out.refused.append({"row": r.row, "value": r.recipient.phone, "reason": detail, "code": FREQUENCY_CAP})
        else:
            kept.append(r)
    out.rows = kept


def message_type_check_value(message_type) -> str:
    """'service' or 'advertising' (None or '' = service); anything else is refused."""
    if message_type in (None, ""):
        return MessageType.SERVICE
    if message_type not in MessageType.values:
        raise MessagingError(f"type is one of: {', '.join(MessageType.values)} ('{str(message_type)[:20]}' given).",
                             code="invalid_message_type")
    return message_type


def message_estimate(*, client: Client, text: str, recipients, shown: int = 1000, sender: str = "",
                     message_type: str = MessageType.SERVICE, send_at: datetime | None = None) -> dict:
    """What a send would cost, without sending (like SMSC's `cost=1`): per recipient its E.164
    number, operator, parts, encoding and price, the rows that cannot be sent, and the total.
    The API's estimate endpoint and the send form's live preview both answer with this. Priced
    as the send would be: by `message_type` and, with `sender`, its national/international class.
    An advertising estimate for a client without a signed contract is priced but warned
    (`contract_required`): the send itself would be refused (R-CMP-11).

    What compliance would do with the send: `content` (the text's verdict: pass, refuse or review,
    with the reason; for personalized texts how many rows each), how many recipients opted out and
    how many are over the daily cap, and when it would go (`send_at`, `schedule_reason`, `notice`)."""
    if not template_variables(text or ""):
        check_text(text)
    prepared = prepare_rows(client=client, text=text, rows=recipients, sender=sender, message_type=message_type,
                            send_at=send_at, refuse_text=False)

    warnings = []
    verdict = prepared.verdict
    content_refused = sum(1 for r in prepared.refused if r.get("content"))
    review = prepared.review
    if verdict is not None:
        content = {"outcome": verdict.outcome, "reason": verdict.reason or None,
                   "category": verdict.category or None, "detail": verdict.detail or None}
    else:  # personalized: the first refusal (else the first hold) speaks for the rest
        first = next((r for r in prepared.refused if r.get("content")), None)
        held = next((r for r in prepared.rows if r.review is not None), None)
        if first is not None:
            content = {"outcome": "refuse", "reason": first["code"], "category": None, "detail": first["reason"]}
        elif held is not None:
            content = {"outcome": "review", "reason": held.review[0], "category": None, "detail": held.review[1]}
        else:
            content = {"outcome": "pass", "reason": None, "category": None, "detail": None}
    # A refused text refuses the whole send: every recipient it would have had.
    content.update(refused=len(prepared.rows) if verdict is not None and verdict.refused else content_refused,
                   review=review)
    if content["outcome"] == "refuse":
        warnings.append({"code": "content_refused", "detail": content["detail"] if verdict is not None else
                         ngettext("%(n)s personalized text(s) cannot be sent: %(detail)s",
                                  "%(n)s personalized text(s) cannot be sent: %(detail)s", content_refused)
                         % {"n": content_refused, "detail": content["detail"]}})
    elif content["outcome"] == "review":
        warnings.append({"code": "pending_review",
                         "detail": gettext("%(detail)s The messages wait for staff approval; their price is "
                                           "reserved and charged only once they are sent.") % {"detail": content["detail"]}})
    if prepared.schedule_reason:
        warnings.append({"code": prepared.schedule_reason, "detail": prepared.notice})
    over_cap = prepared.counts.get(FREQUENCY_CAP, 0)
    if over_cap:
        warnings.append({"code": FREQUENCY_CAP,
                         "detail": ngettext("%(n)s recipient(s) already have the most messages a day from you: "
                                            "they are skipped.",
                                            "%(n)s recipient(s) already have the most messages a day from you: "
                                            "they are skipped.", over_cap) % {"n": over_cap}})
    if any(r.segments > LONG_MESSAGE_PARTS for r in prepared.rows):
        warnings.append({"code": "long_message",
                         "detail": gettext("Messages of more than %(parts)s parts may not be delivered "
                                           "whole: delivery is not guaranteed.") % {"parts": LONG_MESSAGE_PARTS}})
    if any(r.recipient.country != "UA" for r in prepared.rows):
        warnings.append({"code": "abroad",
                         "detail": gettext("Delivery abroad is not guaranteed.")})
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
        "refused": [{k: v for k, v in r.items() if k not in ("text", "content")} for r in prepared.refused[:100]],
        "duplicates": prepared.duplicates,
        "total_price": money_json(prepared.total),
        "content": content,
        "opted_out": prepared.counts.get("opted_out", 0),
        "over_daily_cap": over_cap,
        "refused_by_reason": prepared.counts,
        "pending_review": review,
        # None: at once; else when it would go (the wanted time, or the next opening of the window)
        "send_at": prepared.send_at.isoformat() if prepared.schedule_reason or send_at else None,
        "schedule_reason": prepared.schedule_reason,
        "notice": prepared.notice or None,
    }



def schedule_reason_of(message) -> tuple[str | None, str]:
    """(OUTSIDE_SENDING_HOURS, its notice) for a message waiting for the sending window it was
    sent outside of (R-CMP-07), else (None, "")."""
    notice = waiting_for_window_notice(message)
    return (OUTSIDE_SENDING_HOURS, notice) if notice else (None, "")


def waiting_for_window_notice(message) -> str:
    """For a message waiting (`scheduled`, `pending_review`) for the opening of a sending window
    it was sent outside of (R-CMP-07), what the client reads about it; else "". One query (the
    calendar's counter) for a waiting message, none for the others."""
    if message.status not in ("scheduled", "pending_review"):
        return ""
    return window_notice(send_at=message.send_at, created_at=message.created_at)


def window_notice(*, send_at, created_at) -> str:
    """The sending-hours notice of something (a message, a campaign) created at `created_at` to go
    at `send_at`, when that is the opening of the window it was created outside of (R-CMP-07);
    else "". Known from the two times alone: nothing else is stored."""
    if not send_at or not created_at or send_at <= created_at:
        return ""
    calendar = sending_calendar_get()
    if calendar.is_open(created_at) or send_at != calendar.next_opening(created_at):
        return ""
    return sending_hours_notice(send_at)
