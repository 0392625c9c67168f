"""Accepting Viber sends (R-VIB-01…09, R-SND-07, R-BILL-08): the seam the API, the website and
the campaigns call. A Viber message is a `Message` row with `channel="viber"` and its
`ViberDetail`; it is validated, priced in EUR at the dated rate (charged in UAH), held, and stored
in one transaction, like an SMS send (messaging.services.send), and goes out through the Viber
dispatcher (a queued Viber message is all it needs: `messaging.viber.dispatch`).

What refuses the whole request (4xx, nothing stored or held): the account (no signed contract
`contract_required`, Viber not enabled `viber_not_enabled`), the sender (not the client's approved
Viber name `sender_not_approved`; the shared sender only for `test` messages
`shared_sender_test_only` and only to the account's verified phones `shared_sender_own_phones_only`),
the message itself (each of `validation.message_refusals`' codes, all listed in `refusals`),
a transactional text matching no approved template (`no_matching_template`), the content
screening (`content_refused`), the SMS fallback (`fallback_incomplete`, an unapproved SMS sender).

What refuses one recipient (stored `refused`, uncharged, the others go): the stop list and the
consent Viber advertising needs (`opted_out`, `no_consent`), the first message to a recipient that
is not a welcome (`welcome_required`), the client's daily Viber limit (`viber_daily_limit`), the
10-a-day cap (`frequency_cap`).

The opt-out phone (R-VIB-08): a text without a phone number gets the account's contact phone (its
owner's verified phone) appended on a new line; without one such a text is refused
(`contact_phone_required`), as is an image-only message (no text to carry it).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _
from djmoney.money import Money

from accounts.selectors import client_contact_phone, client_verified_phones
from accounts.services import client_assert_can_send, client_lock_for_send
from billing.services import HoldRef, hold_open, viber_price
from compliance.content import ContentRefused, content_screen_many
from compliance.screening import has_contact_phone
from compliance.selectors import recipient_gate
from compliance.services import trademark_proof_assert
from senders.selectors import approved_sender_get, sender_rights
from senders.services import SenderNotApproved
from smsportal.cache import Versions
from smsportal.money import money_json
from smsportal.phones import Recipient, parse_recipient, phone_reason_text

from ..exceptions import InvalidRecipients, MessagingError, TooManyRecipients
from ..models import Channel, Message, MessageType, ViberDetail, ViberLimit
from ..services.frequency import FREQUENCY_CAP, frequency_cap_detail, kyiv_day_bounds, over_daily_cap
from ..services.prepare import check_text, send_time
from ..services.webhooks import callback_url_check
from ..status import Status
from .provider import OutgoingMessage, Refusal, ViberType
from .validation import TTL_MAX, TTL_MIN, message_refusals

ENCODING = "viber"
WELCOME_REQUIRED = "welcome_required"
DAILY_LIMIT = "viber_daily_limit"
SENDABLE_TYPES = (ViberType.ADVERTISING, ViberType.TRANSACTIONAL, ViberType.TEST, ViberType.WELCOME)
# Statuses of a welcome that make its recipient known (R-VIB-04): anything but never sent.
_NOT_SENT = (Status.REFUSED, Status.CANCELLED, Status.FAILED)


class ViberNotAllowed(MessagingError):
    """The account may not send this on Viber (yet): 403."""

    code = "viber_not_enabled"
    status = 403
    default_detail = _("Viber sending is not enabled for this account; please contact support.")


class ViberRefused(MessagingError):
    """The message breaks a Viber rule: 400 with its code, and every reason in `refusals`."""

    code = "viber_message_invalid"
    status = 400


@dataclass(frozen=True)
class ViberRequest:
    """What a client asks to send on Viber (API fields of `POST /api/v1/messages/` with
    `"channel": "viber"`, and the website's Viber tab)."""

    sender: str
    text: str = ""
    viber_type: str = ViberType.ADVERTISING
    image_url: str = ""
    button_caption: str = ""
    button_url: str = ""
    ttl: int | None = None              # seconds; None = the default
    fallback_sender: str = ""           # the SMS leg (hybrid Viber → SMS); both empty = none
    fallback_text: str = ""
    send_at: datetime | None = None
    callback_url: str | None = None


@dataclass
class _Plan:
    """What a send would store: the rows that go (phones), those refused (dicts), the price."""

    text: str
    ttl: int
    message_type: str
    template: object | None
    phones: list[str] = field(default_factory=list)
    refused: list[dict] = field(default_factory=list)   # {"value", "code", "reason"}
    unit: Decimal = Decimal("0")
    eur: Money | None = None
    rate: Decimal | None = None
    rate_date: object = None
    send_at: datetime | None = None
    schedule_reason: str | None = None
    review: tuple[str, str] | None = None
    callback_url: str = ""

    @property
    def total(self) -> Decimal:
        return self.unit * len(self.phones)


def viber_default_ttl() -> int:
    return max(TTL_MIN, min(int(getattr(settings, "SMSPORTAL_VIBER_DEFAULT_TTL", settings.SMSPORTAL_DEFAULT_TTL)),
                            TTL_MAX))


def shared_sender() -> str:
    return settings.SMSPORTAL_VIBER_SHARED_SENDER


def _account_check(client) -> None:
    """R-VIB-01: a signed contract, and Viber switched on by staff."""
    client_assert_can_send(client)
    if not client.contract_signed:
        raise ViberNotAllowed(gettext("Viber messages need a signed contract."), code="contract_required")
    if not client.viber_enabled:
        raise ViberNotAllowed()


def _sender_check(client, request: ViberRequest, phones: list[str]) -> None:
    """R-SND-07: the client's own approved Viber name; the shared one only for test messages to the
    account's own verified phones."""
    sender = request.sender or ""
    if sender.casefold() == shared_sender().casefold():
        if request.viber_type != ViberType.TEST:
            raise ViberNotAllowed(gettext("The shared sender %(sender)s sends only test messages; register your "
                                          "own Viber sender name for the rest.") % {"sender": shared_sender()},
                                  code="shared_sender_test_only")
        own = client_verified_phones(client)
        others = [p for p in phones if p not in own]
        if others:
            raise ViberNotAllowed(gettext("The shared sender sends test messages only to your account's verified "
                                          "phone numbers (not %(phone)s).") % {"phone": others[0]},
                                  code="shared_sender_own_phones_only")
        return
    if approved_sender_get(client=client, name=sender, channel=Channel.VIBER) is None:
        raise SenderNotApproved(gettext("'%(sender)s' is not an approved Viber sender name of this account.")
                                % {"sender": sender[:20]})


def _with_contact_phone(client, request: ViberRequest) -> str:
    """R-VIB-08: the text with the account's contact phone appended when it carries no phone."""
    text = request.text or ""
    if text and has_contact_phone(text):
        return text
    if not text:
        if request.image_url:
            raise ViberRefused(gettext("A Viber message must carry a contact phone for opting out: add a text "
                                       "(with a button) to the image."), code="contact_phone_required")
        return text  # empty: validation refuses it
    phone = client_contact_phone(client)
    if not phone:
        raise ViberRefused(gettext("A Viber message must carry a contact phone for opting out: put one in the "
                                   "text, or verify your account's phone number."), code="contact_phone_required")
    return f"{text}\n{phone}"


def _recipients(recipients) -> tuple[list[str], int]:
    """Distinct E.164 phones and how many repeats; any invalid number refuses the request."""
    if isinstance(recipients, str):
        recipients = [recipients]
    if not recipients:
        raise InvalidRecipients(gettext("Give at least one recipient."))
    if len(recipients) > settings.SMSPORTAL_MAX_RECIPIENTS:
        raise TooManyRecipients(
            gettext("At most %(max)s recipients in one request (%(given)s given); use a campaign for more.")
            % {"max": settings.SMSPORTAL_MAX_RECIPIENTS, "given": len(recipients)})
    phones, invalid, seen = [], [], set()
    for raw in recipients:
        parsed = parse_recipient(raw if isinstance(raw, str) else str(raw))
        if not isinstance(parsed, Recipient):
            invalid.append({"value": str(raw)[:40], "reason": parsed})
            continue
        if parsed.phone not in seen:
            seen.add(parsed.phone)
            phones.append(parsed.phone)
    if invalid:
        shown = ", ".join(f"'{r['value']}' ({phone_reason_text(r['reason'])})" for r in invalid[:5])
        raise InvalidRecipients(gettext("Some recipients are not phone numbers: %(shown)s") % {"shown": shown},
                                extra={"invalid": invalid[:100]})
    return phones, len(recipients) - len(phones)


def _fallback_check(client, request: ViberRequest) -> None:
    if not (request.fallback_sender or request.fallback_text):
        return
    if not (request.fallback_sender and request.fallback_text):
        raise ViberRefused(gettext("An SMS fallback needs both its sender and its text."), code="fallback_incomplete")
    if request.fallback_sender not in sender_rights(client=client).approved:
        raise SenderNotApproved(gettext("'%(sender)s' is not an approved SMS sender name of this account "
                                        "(the SMS fallback).") % {"sender": request.fallback_sender[:20]})
    check_text(request.fallback_text)


def _welcomed(client_id: int, phones: list[str]) -> set[str]:
    """Of `phones`, those the client already sent a welcome to (R-VIB-04)."""
    return set(Message.objects.filter(client_id=client_id, channel=Channel.VIBER, recipient__in=phones,
                                      viber__viber_type=ViberType.WELCOME).exclude(status__in=_NOT_SENT)
               .values_list("recipient", flat=True))


def _limit_left(client_id: int, at: datetime) -> int | None:
    """R-VIB-09: how many more Viber messages the client may send on `at`'s Kyiv day (None: no limit)."""
    limit = ViberLimit.objects.filter(client_id=client_id).values_list("daily_limit", flat=True).first()
    if limit is None:
        return None
    start, end = kyiv_day_bounds(at)
    used = (Message.objects.filter(client_id=client_id, channel=Channel.VIBER, send_at__gte=start, send_at__lt=end)
            .exclude(status__in=(Status.REFUSED, Status.CANCELLED)).count())
    return max(limit - used, 0)


def viber_limit_save(*, limit: ViberLimit, actor=None, before: dict | None = None) -> ViberLimit:
    """Saves the per-client daily Viber volume staff set (R-VIB-09), with its audit record; the
    next accept counts against it."""
    from accounts.services import audit_record
    created = limit.pk is None
    with transaction.atomic():
        limit.full_clean()
        limit.save()
        details = {"after": {"daily_limit": limit.daily_limit, "note": limit.note}}
        if before:
            details["before"] = before
        audit_record(code="messaging.viber_limit." + ("created" if created else "changed"), actor=actor,
                     client=limit.client, target=f"viberlimit:{limit.pk}", details=details)
    return limit


def viber_limit_delete(*, limit: ViberLimit, actor=None) -> None:
    """Removes a client's daily Viber volume (no limit from now on), with its audit record."""
    from accounts.services import audit_record
    with transaction.atomic():
        before = {"daily_limit": limit.daily_limit, "note": limit.note}
        client, pk = limit.client, limit.pk
        limit.delete()
        audit_record(code="messaging.viber_limit.deleted", actor=actor, client=client, target=f"viberlimit:{pk}",
                     details={"before": before})


def _refuse(plan: _Plan, phones: list[str], code: str, reason: str) -> None:
    gone = set(phones)
    plan.phones = [p for p in plan.phones if p not in gone]
    plan.refused.extend({"value": p, "code": code, "reason": reason} for p in phones)


def viber_request_check(*, client, request: ViberRequest, phones: list[str]) -> tuple[int, str]:
    """The checks of a Viber request as a whole (a send's or a campaign's): the account (R-VIB-01),
    the type, the sender (R-SND-07) and the SMS fallback; returns (lifetime, message type)."""
    _account_check(client)
    if request.viber_type not in SENDABLE_TYPES:
        raise ViberRefused(gettext("Unknown Viber message type '%(type)s': use one of %(types)s.")
                           % {"type": str(request.viber_type)[:20], "types": ", ".join(SENDABLE_TYPES)},
                           code=Refusal.TYPE_INVALID)
    _sender_check(client, request, phones)
    _fallback_check(client, request)
    ttl = viber_default_ttl() if request.ttl is None else request.ttl
    message_type = MessageType.ADVERTISING if request.viber_type == ViberType.ADVERTISING else MessageType.SERVICE
    return ttl, message_type


def viber_text_check(*, client, request: ViberRequest, text: str, ttl, phone: str = "+380501234567"):
    """The checks of one Viber text (a send's, or one recipient's personalized text of a campaign):
    the approved template a transactional text must fill (R-VIB-05), the opt-out phone (R-VIB-08;
    `ViberRefused` `contact_phone_required`) and Viber's message rules (R-VIB-02). Returns (the
    text to send, the matched template, the refusals as {"code", "detail"} dicts)."""
    template = None
    refusals = []
    if request.viber_type == ViberType.TRANSACTIONAL and text:
        from .templates import template_match  # noqa: PLC0415 (its own module, merged from elsewhere)

        template = template_match(client=client, text=text)
        if template is None:
            refusals.append({"code": Refusal.NO_TEMPLATE.value,
                             "detail": gettext("A transactional Viber text must fill one of your approved templates; "
                                               "this one matches none.")})
    text = _with_contact_phone(client, replace(request, text=text))
    probe = OutgoingMessage(message_id="", sender=request.sender, phone=phone, viber_type=request.viber_type,
                            text=text, image_url=request.image_url, button_caption=request.button_caption,
                            button_url=request.button_url, ttl=ttl if isinstance(ttl, int) else -1)
    refusals = [{"code": str(r.code), "detail": r.detail} for r in message_refusals(probe, shared_sender=shared_sender())
                if r.code != Refusal.PHONE_INVALID] + refusals
    return text, template, refusals


def viber_content_screen(*, client, text: str, message_type: str, sender: str, versions: Versions):
    """Content screening of a Viber text as for SMS (R-CMP-01, 02, 04, 10): raises ContentRefused;
    returns (reason, detail) when it must wait for staff review, else None."""
    if not text:
        return None
    trademark_proof_assert(client=client, text=text)  # R-VIB-10: proof of rights overdue or rejected
    verdict = content_screen_many(client=client, texts=[text], message_type=message_type, sender=sender,
                                  channel=Channel.VIBER, versions=versions, with_spans=False)[0]
    if verdict.refused:
        raise ContentRefused.from_verdict(verdict)
    return (verdict.reason, verdict.detail) if verdict.needs_review else None


def viber_recipients_gate(*, client, viber_type: str, message_type: str, phones: list[str], at: datetime,
                          versions: Versions) -> tuple[list[str], list[dict]]:
    """The per-recipient refusals of a Viber send or campaign (all but the daily limit): the stop
    list and the consent advertising needs (R-CMP-05, 06), the first message not a welcome
    (R-VIB-04), the 10-a-day cap (R-CMP-03). Returns (the phones that go, the refused as
    {"value", "code", "reason"})."""
    plan = _Plan(text="", ttl=0, message_type=message_type, template=None, phones=list(phones))
    gate = recipient_gate(client=client, message_type=message_type, channel=Channel.VIBER, versions=versions)
    for phone in list(plan.phones):
        refusal = gate.refusal(phone)
        if refusal is not None:
            _refuse(plan, [phone], refusal[0], refusal[1])
    if viber_type != ViberType.WELCOME and plan.phones:
        welcomed = _welcomed(client.pk, plan.phones)
        new = [p for p in plan.phones if p not in welcomed]
        if new:
            _refuse(plan, new, WELCOME_REQUIRED,
                    gettext("The first Viber message to a recipient must be a welcome message."))
    if plan.phones:
        over = over_daily_cap(client_id=client.pk, message_type=message_type, phones=plan.phones, at=at,
                              versions=versions)
        if over:
            _refuse(plan, [p for p in plan.phones if p in over], FREQUENCY_CAP, frequency_cap_detail())
    return plan.phones, plan.refused


def viber_limit_lock(client_id: int) -> None:
    """One send or campaign of a client at a time counts its daily Viber limit (R-VIB-09): taken
    inside the storing transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"viber-limit:{client_id}"])


def viber_limit_split(client_id: int, phones: list[str], at: datetime) -> tuple[list[str], list[str]]:
    """R-VIB-09: (the phones within the client's daily Viber limit on `at`'s day, those over it)."""
    left = _limit_left(client_id, at)
    if left is None or len(phones) <= left:
        return phones, []
    return phones[:left], phones[left:]


def viber_limit_reason() -> str:
    return gettext("Your daily Viber limit is reached; the rest can be sent tomorrow.")


def _plan(*, client, recipients, request: ViberRequest, raise_refusals: bool = True,
          versions: Versions | None = None) -> tuple[_Plan, list[dict]]:
    """Every check of a send but the daily limit (which is counted under a lock at the store):
    the plan, and the message's refusals (raised as `ViberRefused` with `raise_refusals`)."""
    versions = versions or Versions(client.pk)
    _account_check(client)
    phones, _dups = _recipients(recipients)
    ttl, message_type = viber_request_check(client=client, request=request, phones=phones)
    text, template, refusals = viber_text_check(client=client, request=request, text=request.text or "", ttl=ttl,
                                                phone=phones[0])
    if refusals and raise_refusals:
        raise ViberRefused(refusals[0]["detail"], code=refusals[0]["code"], extra={"refusals": refusals})
    callback_url = callback_url_check(client=client, url=request.callback_url)
    plan = _Plan(text=text, ttl=ttl, message_type=message_type, template=template, phones=list(phones),
                 callback_url=callback_url)
    plan.review = viber_content_screen(client=client, text=text, message_type=message_type, sender=request.sender,
                                       versions=versions)
    plan.send_at, plan.schedule_reason = send_time(client=client, message_type=message_type, send_at=request.send_at,
                                                   versions=versions)
    plan.phones, plan.refused = viber_recipients_gate(client=client, viber_type=request.viber_type,
                                                      message_type=message_type, phones=plan.phones,
                                                      at=plan.send_at, versions=versions)
    price = viber_price(client=client, message_type=message_type, at=timezone.now())
    plan.unit, plan.eur, plan.rate, plan.rate_date = price.amount.amount, price.eur, price.rate, price.rate_date
    return plan, refusals


def _limit_apply(client, plan: _Plan) -> None:
    _within, over = viber_limit_split(client.pk, plan.phones, plan.send_at)
    if over:
        _refuse(plan, over, DAILY_LIMIT, viber_limit_reason())


def _replayed(existing: list[Message]):
    from ..services.send import SendResult  # noqa: PLC0415

    return SendResult(messages=existing, total_price=sum((m.price for m in existing), Money(0, "UAH")), created=False)


def viber_send(*, client, recipients: list[str], request: ViberRequest, actor=None, idempotency_key: str | None = None):
    """Accepts a Viber send; returns `messaging.services.send.SendResult` (messages with their
    `viber` details, total price). Raises `MessagingError` subclasses with stable codes.
    `idempotency_key`: the same key again returns the messages stored the first time."""
    from ..services.send import SendResult  # noqa: PLC0415 (send imports nothing of Viber)

    if idempotency_key:
        batch_id = uuid.uuid5(client.public_id, "viber:" + idempotency_key[:200])
        existing = list(Message.objects.filter(client=client, batch_id=batch_id).order_by("id"))
        if existing:
            return _replayed(existing)
    else:
        batch_id = uuid.uuid4()
    plan, _refusals = _plan(client=client, recipients=recipients, request=request)
    now = timezone.now()
    scheduled = plan.send_at > now
    go_status = Status.SCHEDULED if scheduled else Status.QUEUED
    with transaction.atomic():
        viber_limit_lock(client.pk)
        if idempotency_key:
            existing = list(Message.objects.filter(client=client, batch_id=batch_id).order_by("id"))
            if existing:
                return _replayed(existing)
        client_lock_for_send(client)
        _limit_apply(client, plan)
        valid_until = plan.send_at + timedelta(seconds=plan.ttl)
        base = {"client": client, "batch_id": batch_id, "sender": request.sender, "text": plan.text,
                "encoding": ENCODING, "segments": 1, "message_type": plan.message_type, "send_at": plan.send_at,
                "channel": Channel.VIBER, "callback_url": plan.callback_url}
        messages = []
        for phone in plan.phones:
            held = plan.review is not None
            messages.append(Message(**base, recipient=phone, price=Money(plan.unit, "UAH"),
                                    status=Status.PENDING_REVIEW if held else go_status, valid_until=valid_until,
                                    error_code=plan.review[0][:32] if held else "",
                                    error_detail=plan.review[1][:300] if held else ""))
        for r in plan.refused:
            messages.append(Message(**base, recipient=r["value"], price=Money(0, "UAH"), status=Status.REFUSED,
                                    error_code=r["code"][:32], error_detail=str(r["reason"])[:300], done_at=now))
        messages = Message.objects.bulk_create(messages)
        ViberDetail.objects.bulk_create([ViberDetail(
            message=m, viber_type=request.viber_type, image_url=request.image_url,
            button_caption=request.button_caption, button_url=request.button_url, ttl=plan.ttl,
            template=plan.template, eur_price=plan.eur if m.status != Status.REFUSED else None,
            rate=plan.rate if m.status != Status.REFUSED else None, fallback_sender=request.fallback_sender,
            fallback_text=request.fallback_text) for m in messages])
        if plan.total > 0:
            hold_open(client=client, reference=HoldRef("send", batch_id), amount=plan.total,
                      description=f"Send from {request.sender}: {len(plan.phones)} Viber",
                      details={"channel": "viber", "eur": str(plan.eur.amount), "rate": str(plan.rate),
                               "rate_date": plan.rate_date.isoformat() if plan.rate_date else None})
        if any(m.status == Status.QUEUED for m in messages):
            transaction.on_commit(viber_dispatcher_wake)
    messages.sort(key=lambda m: m.pk)
    from ..services.prepare import schedule_reason_of  # noqa: PLC0415

    reason, notice = (schedule_reason_of(messages[0]) if plan.schedule_reason and messages else (None, ""))
    return SendResult(messages=messages, total_price=Money(plan.total, "UAH"), schedule_reason=reason, notice=notice)


def viber_dispatcher_wake() -> None:
    """Asks a worker to send the queued Viber messages now (called after commit)."""
    try:
        from ..tasks import viber_dispatch  # noqa: PLC0415

        viber_dispatch.delay()
    except Exception:  # noqa: BLE001 — the beat schedule claims them anyway within seconds
        import logging  # noqa: PLC0415

        logging.getLogger("smsportal.viber").warning("could not wake the Viber dispatcher", exc_info=True)


def viber_estimate(*, client, recipients: list[str], request: ViberRequest) -> dict:
    """What `viber_send` would do, without doing it: price (UAH and EUR, rate), counts, refusals."""
    plan, refusals = _plan(client=client, recipients=recipients, request=request, raise_refusals=False)
    _limit_apply(client, plan)
    counts: dict[str, int] = {}
    for r in plan.refused:
        counts[r["code"]] = counts.get(r["code"], 0) + 1
    return {
        "channel": "viber",
        "viber_type": request.viber_type,
        "type": plan.message_type,
        "text": plan.text,
        "count": len(plan.phones),
        "recipients": plan.phones[:1000],
        "refusals": refusals,
        "refused": [{"recipient": r["value"], "code": r["code"], "reason": str(r["reason"])} for r in plan.refused[:100]],
        "refused_by_reason": counts,
        "unit_price": money_json(plan.unit),
        "total_price": money_json(plan.total),
        "eur_price": str(plan.eur.amount) if plan.eur is not None else None,
        "rate": str(plan.rate) if plan.rate is not None else None,
        "rate_date": plan.rate_date.isoformat() if plan.rate_date else None,
        "pending_review": len(plan.phones) if plan.review else 0,
        "send_at": plan.send_at.isoformat() if plan.schedule_reason else None,
        "schedule_reason": plan.schedule_reason,
    }
