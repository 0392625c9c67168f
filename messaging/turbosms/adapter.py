"""The TurboSMS facade's translation of requests and answers around the portal's own services.

Nothing here sends, prices or decides a status: a send goes through `message_send` (validation,
compliance, pricing, the hold, storing: the same path as `POST /api/v1/messages/`), its
`sequence_id` through the idempotency table (`idempotent_run`, endpoint "turbosms.send"), a status
through `messages_by_public_id`, the balance through billing's `wallet_get`. What this module adds
is what TurboSMS clients expect and the portal's API does differently: per-recipient codes instead
of refusing the whole request for one bad number, 407 for each duplicate, the envelope, and dates
as `yyyy-MM-dd HH:mm:ss` in Kyiv time.
"""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone

from billing.selectors import wallet_get
from smsportal.cache import Versions
from smsportal.errors import ApplicationError
from smsportal.jsonsafe import UnstorableTextError, json_check
from smsportal.kyiv import KYIV
from smsportal.phones import Recipient, parse_recipient

from ..exceptions import InvalidRecipients, NoRoute
from ..routing import Router
from ..selectors import messages_by_public_id
from ..services import message_send
from ..services.idempotency import KEY_MAX, idempotent_run
from ..status import Status
from ..viber.provider import ViberType
from ..viber.service import ViberRequest, shared_sender, viber_send
from . import codes as C

if TYPE_CHECKING:
    from accounts.models import Client  # annotations only: messaging never imports accounts' models

IDEMPOTENCY_ENDPOINT = "turbosms.send"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"  # TurboSMS's `yyyy-MM-dd HH:mm:ss`, Kyiv time
START_TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")
START_TIME_MAX_AHEAD = timedelta(days=14)
STATUS_MAX_IDS = 1000
STATUS_KEYS = ("message_id", "response_code", "response_status", "recipient", "sent", "updated", "status", "type",
               "rejected_status", "click_time")


class TurboError(Exception):
    """A refusal of the whole request, with its TurboSMS code (and, rarely, a result)."""

    def __init__(self, code: C.Code, result=None):
        super().__init__(code.status)
        self.code, self.result = code, result


# --- reading requests -------------------------------------------------------------------------

_FIELD = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[([^\[\]]*)\])?")


def params_from_query(query) -> dict:
    """GET parameters or form fields as the JSON body they stand for: `recipients[]=…` (or
    `recipients[0]=…`, or `recipients` repeated) is a list, `sms[text]=…` an object. `token` is
    the credential, not a parameter."""
    out: dict = {}
    for key in query.keys():
        m = _FIELD.fullmatch(key)
        if m is None or m.group(1) == "token":
            continue
        name, sub, values = m.group(1), m.group(2), query.getlist(key)
        if sub is None:
            out[name] = values if len(values) > 1 else values[-1]
        elif sub == "" or sub.isdigit():
            target = out.setdefault(name, [])
            if isinstance(target, list):
                target.extend(values)
        else:
            target = out.setdefault(name, {})
            if isinstance(target, dict):
                target[sub] = values[-1]
    try:
        return json_check(out)
    except UnstorableTextError:
        raise TurboError(C.INVALID_REQUEST) from None


def request_params(request) -> dict:
    """The request's parameters, from the one place it carries them: a JSON body, form fields or
    the query string."""
    data = request.data  # a ParseError (bad JSON) is 502 FAILED_PARSE_BODY, by the view
    if not data:  # no body: the query string
        return params_from_query(request.query_params)
    if hasattr(data, "getlist"):  # form fields
        return params_from_query(data) or params_from_query(request.query_params)
    if not isinstance(data, dict):
        raise TurboError(C.INVALID_REQUEST)
    return {k: v for k, v in data.items() if k != "token"}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise TurboError(C.INVALID_REQUEST)


def start_time_parse(value) -> datetime | None:
    """`start_time` (`YYYY-MM-DD HH:MM`, seconds allowed) in Kyiv time; None: at once. A time in
    the past goes at once; more than 14 days ahead is 403."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise TurboError(C.INVALID_START_TIME)
    for fmt in START_TIME_FORMATS:
        try:
            naive = datetime.strptime(value.strip(), fmt)
            break
        except ValueError:
            continue
    else:
        raise TurboError(C.INVALID_START_TIME)
    if naive.year < 2000:
        raise TurboError(C.INVALID_START_TIME)
    at = naive.replace(tzinfo=KYIV)
    if at > timezone.now() + START_TIME_MAX_AHEAD:
        raise TurboError(C.NOT_ALLOWED_START_TIME)
    return at


@dataclass
class SendRequest:
    sender: str
    text: str
    recipients: list
    send_at: datetime | None
    sequence_id: str | None
    viber: ViberRequest | None = None  # a Viber send; hybrid when it carries an SMS fallback


_TRUE = (True, 1, "1", "true", "True")
VIBER_TYPES = tuple(t.value for t in (ViberType.ADVERTISING, ViberType.TRANSACTIONAL, ViberType.TEST,
                                      ViberType.WELCOME))


def _ttl(value) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise TurboError(C.INVALID_TTL)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise TurboError(C.INVALID_TTL)


def viber_request_parse(viber: dict, params: dict, *, fallback: tuple[str, str] | None) -> ViberRequest:
    """The `viber` object as a ViberRequest (README "Switching from TurboSMS"): `is_transactional`
    → transactional, else advertising; the shared sender → test; our `type` field may name any
    of them (a welcome). `fallback`: the hybrid's SMS (sender, text)."""
    sender = _text(viber.get("sender", params.get("sender"))).strip()
    text = _text(viber.get("text", params.get("text")))
    image_url = _text(viber.get("image_url")).strip()
    caption = _text(viber.get("caption")).strip()
    action = _text(viber.get("action")).strip()
    if not sender:
        raise TurboError(C.REQUIRED_MESSAGE_SENDER)
    if not text.strip() and not image_url:
        raise TurboError(C.REQUIRED_MESSAGE_TEXT)
    if caption and not action:
        raise TurboError(C.REQUIRED_MESSAGE_ACTION)
    if action and not caption:
        raise TurboError(C.REQUIRED_MESSAGE_CAPTION)
    viber_type = _text(viber.get("type")).strip().lower()
    if viber_type and viber_type not in VIBER_TYPES:
        raise TurboError(C.INVALID_REQUEST)
    if not viber_type:
        if viber.get("is_transactional") in _TRUE:
            viber_type = ViberType.TRANSACTIONAL
        elif sender.casefold() == shared_sender().casefold():
            viber_type = ViberType.TEST
        else:
            viber_type = ViberType.ADVERTISING
    # `count_clicks` is accepted and ignored: the portal always records a button's clicks.
    fallback_sender, fallback_text = fallback or ("", "")
    return ViberRequest(sender=sender, text=text, viber_type=viber_type, image_url=image_url,
                        button_caption=caption, button_url=action, ttl=_ttl(viber.get("ttl")),
                        fallback_sender=fallback_sender, fallback_text=fallback_text)


def send_request_parse(params: dict) -> SendRequest:
    """The SMS send a `message/send.json` asks for, or a TurboError for the whole request."""
    if not params:
        raise TurboError(C.REQUIRED_CONTENT)
    viber = params.get("viber")
    if viber in (None, "", {}):
        viber = None
    elif not isinstance(viber, dict):
        raise TurboError(C.INVALID_REQUEST)
    sms = params.get("sms")
    if sms in (None, ""):
        sms = {}
    if not isinstance(sms, dict):
        raise TurboError(C.INVALID_REQUEST)
    # The Spring starter sends top-level sender/text as defaults for the channels.
    sender = _text(sms.get("sender", params.get("sender"))).strip()
    text = _text(sms.get("text", params.get("text")))
    sequence_id = params.get("sequence_id")
    if sequence_id in (None, ""):
        sequence_id = None
    else:
        sequence_id = _text(sequence_id)
        if len(sequence_id) > KEY_MAX or not sequence_id.isprintable():
            raise TurboError(C.INVALID_REQUEST)
    recipients = params.get("recipients")
    if isinstance(recipients, (str, int)) and not isinstance(recipients, bool):
        recipients = [r for r in str(recipients).split(",") if r.strip()]
    if recipients in (None, []):
        raise TurboError(C.REQUIRED_MESSAGE_RECIPIENT)
    if not isinstance(recipients, list):
        raise TurboError(C.INVALID_REQUEST)
    if len(recipients) > settings.SMSPORTAL_MAX_RECIPIENTS:
        raise TurboError(C.NOT_ALLOWED_RECIPIENTS_LIMIT)
    send_at = start_time_parse(params.get("start_time"))
    viber_request = None
    if viber is not None:
        hybrid = bool(sms)
        if hybrid:
            _sms_check(sender, text)
        viber_request = viber_request_parse(viber, params, fallback=(sender, text) if hybrid else None)
        viber_request = replace(viber_request, send_at=send_at)
        sender, text = viber_request.sender, viber_request.text
    else:
        _sms_check(sender, text)
    return SendRequest(sender=sender, text=text, recipients=recipients, send_at=send_at, sequence_id=sequence_id,
                       viber=viber_request)


def _sms_check(sender: str, text: str) -> None:
    if not sender:
        raise TurboError(C.REQUIRED_MESSAGE_SENDER)
    if not text.strip():
        raise TurboError(C.REQUIRED_MESSAGE_TEXT)


# --- sending ----------------------------------------------------------------------------------

def _digits(phone: str) -> str:
    return phone[1:] if phone.startswith("+") else phone


def _shown(raw) -> str:
    return str(raw)[:40] if isinstance(raw, (str, int)) and not isinstance(raw, bool) else ""


def recipients_classify(raw_recipients: list) -> tuple[list[dict], list[str]]:
    """Each recipient as given: its result item so far (a refusal: 305 not a mobile number, 407
    a repeat of an earlier one) or a place for its message; and the distinct E.164 numbers to send
    to, in order. The phone parser is the send path's own (smsportal.phones)."""
    items, phones, seen = [], [], set()
    for raw in raw_recipients:
        parsed = parse_recipient(raw if isinstance(raw, str) else _shown(raw))
        if not isinstance(parsed, Recipient):
            items.append(_refused_item(_shown(raw), C.INVALID_PHONE))
            continue
        if parsed.phone in seen:
            items.append(_refused_item(_digits(parsed.phone), C.NOT_ALLOWED_RECIPIENT_DUPLICATE))
            continue
        seen.add(parsed.phone)
        phones.append(parsed.phone)
        items.append({"phone": _digits(parsed.phone), "response_code": None, "message_id": None,
                      "response_status": None, "_e164": parsed.phone})
    return items, phones


def _refused_item(phone: str, code: C.Code) -> dict:
    return {"phone": phone, "response_code": code.number, "message_id": None, "response_status": code.status}


def _routable(client: Client, phones: list[str]) -> set[str]:
    """The phones some active route serves (asked only after the send refused one: no route)."""
    router = Router.cached(Versions(client.pk))
    ok = set()
    for phone in phones:
        parsed = parse_recipient(phone)
        try:
            router.route_for(router.recognize(parsed))
        except NoRoute:
            continue
        ok.add(phone)
    return ok


def _send(client: Client, req: SendRequest, phones: list[str], items: list[dict]) -> dict:
    """Calls the portal's send for the valid phones and fills in each recipient's item; returns
    the answer's envelope."""
    unrouted: set[str] = set()
    messages = []
    if phones:
        try:
            result = _message_send(client, req, phones)
        except NoRoute:
            routable = _routable(client, phones)
            unrouted = set(phones) - routable
            phones = [p for p in phones if p in routable]
            result = _message_send(client, req, phones) if phones else None
        messages = result.messages if result is not None else []
    return _answer(items, messages, unrouted, C.FOR_REFUSAL, C.FAILED_SMS_SEND)


def _answer(items: list[dict], messages: list, unrouted: set[str], refusals: dict, missing: C.Code) -> dict:
    """Fills in each recipient's item from the stored messages; the answer's envelope."""
    by_phone = {m.recipient: m for m in messages}
    accepted = 0
    for item in items:
        phone = item.pop("_e164", None)
        if phone is None:
            continue
        if phone in unrouted:
            item.update(_refused_item(item["phone"], C.NOT_ALLOWED_RECIPIENT_COUNTRY))
            continue
        m = by_phone.get(phone)
        if m is None:  # not stored: cannot happen for a phone the send was given
            item.update(_refused_item(item["phone"], missing))
        elif m.status == Status.REFUSED:
            item.update(_refused_item(item["phone"], refusals.get(m.error_code, C.REFUSED_OTHER)))
        else:
            item.update(response_code=C.OK.number, message_id=str(m.public_id), response_status=C.OK.status)
            accepted += 1
    if accepted == 0:
        return C.envelope(C.REQUIRED_MESSAGE_RECIPIENT, items)
    # Partial: some numbers were refused as numbers (305, 406, 407). A valid number refused by
    # compliance (the stop list, 404) is reported in its item, and the send stays 800, as in
    # TurboSMS's own answers.
    partial = any(item["response_code"] in _NUMBER_REFUSALS for item in items)
    return C.envelope(C.SUCCESS_MESSAGE_PARTIAL_ACCEPTED if partial else C.SUCCESS_MESSAGE_ACCEPTED, items)


_NUMBER_REFUSALS = frozenset({C.INVALID_PHONE.number, C.NOT_ALLOWED_RECIPIENT_COUNTRY.number,
                              C.NOT_ALLOWED_RECIPIENT_DUPLICATE.number})


def _message_send(client: Client, req: SendRequest, phones: list[str]):
    try:
        return message_send(client=client, sender=req.sender, recipients=phones, text=req.text, send_at=req.send_at,
                            idempotency_key=f"turbosms:{req.sequence_id}" if req.sequence_id else None)
    except InvalidRecipients:
        # Every phone is a valid mobile number by now: what is left is a `{placeholder}` in the
        # text that the portal's personalization cannot fill.
        raise TurboError(C.INVALID_MESSAGE_TEXT) from None


def viber_error_code(exc: ApplicationError) -> C.Code | None:
    """A refusal of a whole Viber send as its TurboSMS code (None: not a Viber one)."""
    return C.VIBER_FOR_ERROR.get(exc.code) or C.FOR_ERROR.get(exc.code)


def _send_viber(client: Client, req: SendRequest, phones: list[str], items: list[dict]) -> dict:
    """A Viber (or hybrid Viber → SMS) send through `viber_send`, answered as `_send` answers."""
    messages = []
    if phones:
        try:
            result = viber_send(client=client, recipients=phones, request=req.viber,
                                idempotency_key=f"turbosms:{req.sequence_id}" if req.sequence_id else None)
        except ApplicationError as exc:
            code = viber_error_code(exc)
            if code is None:
                raise
            raise TurboError(code) from None
        messages = result.messages
    return _answer(items, messages, set(), C.VIBER_FOR_REFUSAL, C.FAILED_VIBER_SEND)


def turbosms_send(*, client: Client, params: dict) -> dict:
    """`message/send.json`: the envelope to answer. A repeated `sequence_id` gets 507 with the
    first answer's result; a refused request (an error code before anything was stored) keeps no
    sequence_id, so it can be sent again once corrected."""
    req = send_request_parse(params)
    items, phones = recipients_classify(req.recipients)

    def run():
        body = (_send_viber if req.viber is not None else _send)(client, req, phones, items)
        return 200, json.dumps(body, ensure_ascii=False)

    answer = idempotent_run(client=client, endpoint=IDEMPOTENCY_ENDPOINT, key=req.sequence_id, fingerprint="",
                            run=run, refusals=(ApplicationError, TurboError))
    body = json.loads(answer.body)
    if answer.replayed:
        return C.envelope(C.FAILED_DUPLICATE_REQUEST, body["response_result"])
    return body


# --- status and balance -----------------------------------------------------------------------

def kyiv_text(at: datetime | None) -> str | None:
    return at.astimezone(KYIV).strftime(DATE_FORMAT) if at else None


def _status_item(message_id: str, code: C.Code, m=None) -> dict:
    item = dict.fromkeys(STATUS_KEYS)
    item.update(message_id=message_id, response_code=code.number, response_status=code.status)
    if m is None:
        return item
    viber = getattr(m, "viber", None) if m.channel == "viber" else None
    shown = m
    if viber is not None and viber.fallback_message is not None:
        shown = viber.fallback_message  # the hybrid's SMS went instead: its status is the recipient's
    status = C.STATUS_STRINGS.get(shown.status, C.UNKNOWN_STATUS)
    if shown is m and viber is not None and viber.seen_at is not None and m.status == Status.DELIVERED:
        status = C.READ
    item.update(recipient=_digits(m.recipient), sent=kyiv_text(shown.submitted_at),
                updated=kyiv_text(shown.done_at or shown.updated_at or shown.created_at),
                status=status, type=shown.channel or "sms")
    if viber is not None:
        refused = m.error_code if m.status == Status.REFUSED else ""
        item.update(rejected_status=viber.reason or refused or viber.fallback_error or None,
                    click_time=kyiv_text(viber.clicked_at))
    return item


def turbosms_status(*, client: Client, params: dict) -> dict:
    """`message/status.json`: one item per id asked, in order; 307 for a malformed id, 414 for one
    that is not this client's (unknown or another account's). Every item has every key."""
    ids = params.get("messages")
    if isinstance(ids, str):
        ids = [i for i in ids.split(",") if i.strip()]
    if ids in (None, []):
        raise TurboError(C.REQUIRED_CONTENT)
    if not isinstance(ids, list) or len(ids) > STATUS_MAX_IDS:
        raise TurboError(C.INVALID_REQUEST)
    parsed = []
    for raw in ids:
        shown = _shown(raw)
        try:
            parsed.append((shown, uuid.UUID(shown.strip()) if shown.strip() else None))
        except ValueError:
            parsed.append((shown, None))
    found = messages_by_public_id(client=client, public_ids=[u for _, u in parsed if u is not None], with_viber=True)
    result = []
    for shown, public_id in parsed:
        if public_id is None:
            result.append(_status_item(shown, C.INVALID_MESSAGE_ID))
        elif (m := found.get(public_id)) is None:
            result.append(_status_item(shown, C.NOT_ALLOWED_MESSAGE_ID))
        else:
            result.append(_status_item(shown, C.OK, m))
    return C.envelope(C.OK, result)


def turbosms_balance(*, client: Client) -> dict:
    """`user/balance.json`: what the client can spend (balance − held + overdraft, as on the
    website's "available"), in UAH, a number with two decimals (cut, never rounded up)."""
    available = wallet_get(client=client).available.amount
    return C.envelope(C.OK, {"balance": float(Decimal(available).quantize(Decimal("0.01"), rounding=ROUND_DOWN))})
