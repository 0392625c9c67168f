"""Sending queued Viber messages to the provider, applying its statuses, and the Viber → SMS
fallback.

Dispatch: a claim (`transitions.viber_messages_claim`: QUEUED → SUBMITTING under SKIP LOCKED, the
stop list, the daily cap and the sending window judged again) commits first; the provider is called
outside any transaction; then each message becomes SUBMITTED (its price captured, its provider id
stored), REFUSED (a synchronous refusal: its hold share released) or QUEUED again, due after a
back-off, when the provider cannot be reached (a send is idempotent by its sequence id — the
message's public id — so a retry never sends twice). A message left SUBMITTING by a worker that
died goes back to the queue after `STUCK_AFTER`.

Statuses (webhooks or polling) go through `provider.status_apply` (monotonic; an event id applied
once, `ViberEventSeen`), within 14 days after the message's lifetime (R-VIB-07).
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from smsportal.errors import ApplicationError

from ..models import Channel, Message, ViberDetail, ViberEventSeen
from ..services.transitions import messages_move, viber_messages_claim, viber_messages_requeue
from ..services.webhooks import webhook_events_viber
from ..status import Status
from .sessions import inbound_apply
from .provider import (
    FALLBACK_REASONS, Accepted, InboundEvent, OutgoingMessage, ProviderError, ProviderUnavailable, Refused,
    Status as ViberStatus, StatusEvent, ViberState, status_apply, status_window_open,
)

log = logging.getLogger("smsportal.viber")
CLAIM_BATCH = 50
STUCK_AFTER = timedelta(minutes=2)
POLL_BATCH = 500
SEND_THREADS = 4  # concurrent requests to the provider per dispatcher
EVENTS_KEPT = timedelta(days=30)

# A provider status → the message's status (None: no change of the message's status).
_MESSAGE_STATUS = {ViberStatus.DELIVERED: Status.DELIVERED, ViberStatus.SEEN: Status.DELIVERED,
                   ViberStatus.UNDELIVERED: Status.UNDELIVERED, ViberStatus.EXPIRED: Status.EXPIRED,
                   ViberStatus.REJECTED: Status.REJECTED}


def _provider():
    from .http import provider_get  # noqa: PLC0415 (tests put their own provider in its place)

    return provider_get()


def _outgoing(message: Message) -> OutgoingMessage:
    d = message.viber
    return OutgoingMessage(message_id=str(message.public_id), sender=message.sender, phone=message.recipient,
                           viber_type=d.viber_type, text=message.text, image_url=d.image_url,
                           button_caption=d.button_caption, button_url=d.button_url, ttl=d.ttl,
                           sequence_id=str(message.public_id))


def viber_dispatch(*, limit: int = CLAIM_BATCH, provider=None, now=None) -> int:
    """Claims and sends queued Viber messages until none is due; returns how many were handled."""
    done = 0
    while True:
        ids = viber_messages_claim(limit=limit, now=now)
        if not ids:
            return done
        messages = list(Message.objects.filter(pk__in=ids).select_related("viber").order_by("id"))
        if provider is None:
            try:
                provider = _provider()  # only once there is something to send
            except ProviderError as exc:
                viber_messages_requeue(ids=ids, retry_at=timezone.now() + timedelta(minutes=5))
                log.error("viber provider not configured (%s): %s message(s) retried in 5 minutes", exc, len(ids))
                return done
        results, error = _send_all(provider, messages)  # outside any transaction
        answers = [(m, a) for m, a in zip(messages, results, strict=True) if a is not None]
        rest = [m.pk for m, a in zip(messages, results, strict=True) if a is None]
        stopped = error is not None
        if rest:
            wait = (timedelta(seconds=settings.SMSPORTAL_VIBER_RETRY_SECONDS)
                    if isinstance(error, ProviderUnavailable) else timedelta(minutes=5))
            viber_messages_requeue(ids=rest, retry_at=timezone.now() + wait)
            log.warning("viber provider: %s (%s message(s) retried in %s)", error, len(rest), wait)
        # The answers of the batch in one transaction: one capture per hold, not one per message.
        # A crash before it leaves them SUBMITTING: `viber_stuck_requeue` sends them again with the
        # same sequence id, and the provider answers with the same id (idempotent).
        viber_results_write(answers)
        done += len(answers)
        if stopped or len(ids) < limit:
            return done


def _send_all(provider, messages: list[Message]) -> tuple[list, ProviderError | None]:
    """Each message's answer (None where the provider could not be asked), on SEND_THREADS threads
    (the adapter's keep-alive pool is shared); the first provider error seen."""
    results: list = [None] * len(messages)

    def one(i: int):
        try:
            results[i] = provider.send(_outgoing(messages[i]))
        except ProviderError as exc:
            return exc
        return None

    if len(messages) == 1:
        errors = [one(0)]
    else:
        with ThreadPoolExecutor(max_workers=min(SEND_THREADS, len(messages))) as pool:
            errors = list(pool.map(one, range(len(messages))))
    return results, next((e for e in errors if e is not None), None)


def viber_results_write(answers, *, now=None) -> None:
    """The provider's answers to sends: SUBMITTED (captured) with their ids, or REFUSED (released)."""
    now = now or timezone.now()
    accepted = [(m, a) for m, a in answers if isinstance(a, Accepted)]
    refused: dict[tuple[str, str], list[int]] = {}
    for m, a in answers:
        if isinstance(a, Refused):
            refused.setdefault((str(a.code)[:32], (a.detail or str(a.code))[:300]), []).append(m.pk)
    with transaction.atomic():
        if accepted:
            moved = {row[0] for row in messages_move(ids=[m.pk for m, _a in accepted], new=Status.SUBMITTED, now=now)}
            with connection.cursor() as cur:
                pairs = [(m.pk, a.provider_id[:64]) for m, a in accepted if m.pk in moved]
                if pairs:
                    cur.execute(f"UPDATE {ViberDetail._meta.db_table} AS d SET provider_message_id = v.pid "
                                f"FROM unnest(%s::bigint[], %s::text[]) AS v(id, pid) WHERE d.message_id = v.id",
                                [[p[0] for p in pairs], [p[1] for p in pairs]])
        for (code, detail), ids in refused.items():
            messages_move(ids=ids, new=Status.REFUSED, error_code=code, error_detail=detail, now=now)


def viber_result_write(message: Message, answer: Accepted | Refused, *, now=None) -> None:
    """One answer (`viber_results_write` of one)."""
    viber_results_write([(message, answer)], now=now)


def viber_stuck_requeue(*, now=None) -> list[int]:
    """Viber messages left SUBMITTING (a worker died while calling the provider) go back to the queue."""
    now = now or timezone.now()
    ids = list(Message.objects.filter(channel=Channel.VIBER, status=Status.SUBMITTING,
                                      updated_at__lt=now - STUCK_AFTER).values_list("pk", flat=True)[:1000])
    return viber_messages_requeue(ids=ids, retry_at=now, now=now)


# --- statuses -------------------------------------------------------------------------------------

def _state(message: Message) -> ViberState:
    d = message.viber
    status = {Status.SUBMITTED: ViberStatus.ACCEPTED, Status.UNDELIVERED: ViberStatus.UNDELIVERED,
              Status.EXPIRED: ViberStatus.EXPIRED, Status.REJECTED: ViberStatus.REJECTED}.get(message.status, "")
    if message.status == Status.DELIVERED:
        status = ViberStatus.SEEN if d.seen_at else ViberStatus.DELIVERED
    return ViberState(status=status, clicked=d.clicked_at is not None, reason=d.reason)


def _event_first_time(event_id: str, now) -> bool:
    if not event_id:
        return True
    try:
        with transaction.atomic():
            ViberEventSeen.objects.create(event_id=event_id[:100], received_at=now)
    except IntegrityError:
        return False
    return True


def status_event_apply(event: StatusEvent, *, now=None) -> bool:
    """Applies one provider status to its message (monotonic, once per event id, within the late
    window); returns whether anything changed. The SMS fallback is sent after, by the caller
    (`fallbacks_send`)."""
    now = now or timezone.now()
    with transaction.atomic():
        detail = (ViberDetail.objects.select_for_update().select_related("message")
                  .filter(provider_message_id=event.provider_id).first())
        if detail is None:
            log.info("viber status for an unknown message %s ignored", event.provider_id)
            return False
        message = detail.message
        message.viber = detail
        if message.submitted_at and not status_window_open(sent_at=message.submitted_at, ttl=detail.ttl, now=now):
            return False  # R-VIB-07: later than 14 days after the lifetime
        if not _event_first_time(event.event_id, now):
            return False
        state = status_apply(_state(message), event)
        if state is None:
            return False
        at = event.at
        fields = {"last_event_at": now}
        if event.status == ViberStatus.CLICKED:
            fields["clicked_at"] = at
            webhook_events_viber(message_ids=[message.pk], event="clicked", now=now)
        else:
            new = _MESSAGE_STATUS.get(state.status)
            if state.status in (ViberStatus.DELIVERED, ViberStatus.SEEN) and detail.delivered_at is None:
                fields["delivered_at"] = at
            if state.status == ViberStatus.SEEN:
                fields["seen_at"] = at
            if state.reason:
                fields["reason"] = state.reason[:32]
            if new is not None and new != message.status:
                messages_move(ids=[message.pk], new=new, error_code=state.reason[:32], now=now,
                              error_detail=_failure_detail(state.status, state.reason))
            if state.status == ViberStatus.SEEN:
                webhook_events_viber(message_ids=[message.pk], event="seen", now=now)
        ViberDetail.objects.filter(pk=detail.pk).update(**fields)
    return True


def _failure_detail(status: str, reason: str) -> str:
    if status == ViberStatus.UNDELIVERED:
        if reason == "not_viber_user":
            return gettext("The recipient does not use Viber.")
        if reason == "blocked":
            return gettext("The recipient blocked messages from this sender.")
        return gettext("Not delivered on Viber.")
    if status == ViberStatus.EXPIRED:
        return gettext("Not delivered on Viber within its lifetime.")
    if status == ViberStatus.REJECTED:
        return gettext("Viber rejected the message.")
    return ""


def events_apply(events, *, now=None) -> dict:
    """A webhook's (or a poll's) events: statuses applied, inbound messages to the chat sessions
    (messaging.viber.sessions), then the SMS fallbacks they call for. Returns counts."""
    now = now or timezone.now()
    statuses = [e for e in events if isinstance(e, StatusEvent)]
    inbound = [e for e in events if isinstance(e, InboundEvent)]
    applied = sum(1 for e in statuses if status_event_apply(e, now=now))
    stored = 0
    if inbound:
        fresh = [e for e in inbound if _event_first_time(e.event_id, now)]
        if fresh:
            stored = inbound_apply(fresh)
    fallbacks = fallbacks_send(provider_ids=[e.provider_id for e in statuses]) if statuses else 0
    return {"applied": applied, "inbound": stored, "fallbacks": fallbacks}


# --- Viber → SMS ----------------------------------------------------------------------------------

def _fallback_due():
    """Viber messages whose SMS leg is due: not delivered on Viber (not a Viber user, blocked) or
    reported expired undelivered by the provider, with a fallback and no leg yet."""
    from django.db.models import Q  # noqa: PLC0415

    return (ViberDetail.objects.filter(fallback_message__isnull=True, fallback_error="")
            .exclude(fallback_sender="").exclude(fallback_text="")
            .filter(Q(message__status=Status.UNDELIVERED, reason__in=[str(r) for r in FALLBACK_REASONS])
                    | Q(message__status=Status.EXPIRED, last_event_at__isnull=False))
            .exclude(message__error_code="no_receipt"))  # our own 7-day sweep: too late for an SMS


def fallbacks_send(*, provider_ids=None, limit: int = 200) -> int:
    """Sends the due SMS legs through the normal SMS send (its own hold, idempotent by the Viber
    message's id) and links them; returns how many were sent."""
    from ..services.send import message_send  # noqa: PLC0415

    due = _fallback_due().select_related("message", "message__client")
    if provider_ids is not None:
        due = due.filter(provider_message_id__in=list(provider_ids))
    sent = 0
    for detail in due.order_by("pk")[:limit]:
        message = detail.message
        try:
            result = message_send(client=message.client, sender=detail.fallback_sender, recipients=[message.recipient],
                                  text=detail.fallback_text, idempotency_key=f"viber-fallback:{message.public_id}",
                                  message_type=message.message_type, callback_url=message.callback_url or None)
        except ApplicationError as exc:
            ViberDetail.objects.filter(pk=detail.pk).update(fallback_error=exc.code[:32])
            log.warning("viber fallback of %s not sent: %s", message.public_id, exc.code)
            continue
        leg = result.messages[0]
        ViberDetail.objects.filter(pk=detail.pk, fallback_message__isnull=True).update(fallback_message=leg)
        sent += 1
    return sent


# --- polling (the webhooks' fallback) --------------------------------------------------------------

def viber_poll(*, provider=None, now=None) -> int:
    """Statuses of submitted Viber messages that heard nothing for SMSPORTAL_VIBER_POLL_AFTER_MINUTES
    (and expired ones still within the late window), asked of the provider; plus the fallbacks and
    stuck claims this job catches up on. Returns how many events changed something."""
    now = now or timezone.now()
    viber_stuck_requeue(now=now)
    quiet = now - timedelta(minutes=settings.SMSPORTAL_VIBER_POLL_AFTER_MINUTES)
    from django.db.models import Q  # noqa: PLC0415

    ids = list(ViberDetail.objects.filter(provider_message_id__isnull=False,
                                          message__status__in=[Status.SUBMITTED, Status.EXPIRED],
                                          message__submitted_at__lt=quiet)
               .filter(Q(last_event_at__isnull=True) | Q(last_event_at__lt=quiet))
               .order_by("pk").values_list("provider_message_id", flat=True)[:POLL_BATCH])
    changed = 0
    if ids:
        try:
            provider = provider or _provider()
            events = provider.statuses(ids)
        except ProviderError as exc:
            log.warning("viber status poll failed: %s", exc)
            events = []
        changed = sum(1 for e in events if status_event_apply(e, now=now))
        # Polled and nothing new: asked again only after another quiet period.
        ViberDetail.objects.filter(provider_message_id__in=ids, last_event_at__isnull=True).update(last_event_at=now)
    fallbacks_send()
    # Event ids are kept 30 days: beyond any status that could still be applied (R-VIB-07).
    ViberEventSeen.objects.filter(received_at__lt=now - EVENTS_KEPT).delete()
    return changed
