"""Viber chat sessions (R-VIB-06): the recipient's messages in, the client's replies out.

- Only a recipient opens a session, by writing to the client's own Viber sender; it lasts 24 hours
  from that message (``ChatSession.expires_at``).
- The client may send at most 60 replies in a session, and at most 5 in a row without a
  recipient message (a recipient message resets the count).
- The session is charged once, when the client sends its first reply (the tariff's ``session``
  price in EUR at the rate of the day, charged in UAH through the ledger); never if it does not.
- A reply is a ``Message`` (channel viber, price 0) with a ``ViberDetail`` (``viber_type`` session),
  queued: the Viber dispatcher sends it like any other Viber message.

The provider's webhook view calls ``inbound_apply``; the website's inbox and the API call
``session_reply`` and the reads below.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from accounts.services import audit_record, client_assert_can_send
from billing.services import viber_price, wallet_charge
from compliance.selectors import stopped_phones
from compliance.services import opt_out_record
from senders.selectors import viber_sender_owner
from smsportal.errors import NotFound
from smsportal.phones import normalize_phone

from ..exceptions import MessagingError
from ..models import ChatSession, Message, ViberDetail, ViberInbound
from ..services.inbound import is_stop_reply
from ..services.webhooks import webhook_inbound_record
from .service import viber_dispatcher_wake
from ..status import Status
from .provider import InboundEvent, Refusal, ViberType
from .validation import SESSION_HOURS, SESSION_MAX_IN_A_ROW, SESSION_MAX_MESSAGES, TEXT_MAX, _image_refusals

log = logging.getLogger("smsportal.messaging")

SESSION_LENGTH = timedelta(hours=SESSION_HOURS)
SESSION_TTL = 86_400  # seconds a reply may wait for delivery


class SessionError(MessagingError):
    code = "session_error"
    status = 409


class SessionClosed(SessionError):
    code = Refusal.SESSION_CLOSED.value
    default_detail = gettext_lazy("The chat session has ended: it lasts 24 hours from the recipient's message. "
                                  "You can reply again when the recipient writes.")


class SessionLimit(SessionError):
    code = Refusal.SESSION_LIMIT.value


class SessionNotFound(NotFound):
    code = "session_not_found"
    default_detail = gettext_lazy("No such chat session.")


class ReplyInvalid(MessagingError):
    code = Refusal.EMPTY.value


# --- inbound ----------------------------------------------------------------------------------

def _open_session(*, client_id: int, sender: str, phone: str, at: datetime) -> ChatSession | None:
    return (ChatSession.objects.select_for_update()
            .filter(client_id=client_id, sender__iexact=sender, recipient=phone, opened_at__lte=at, expires_at__gt=at)
            .order_by("-expires_at", "-id").first())


def inbound_apply(events: list[InboundEvent]) -> int:
    """Stores the recipients' Viber messages (once each: by the provider's id), opens or refreshes
    their chat sessions, records STOP replies on the client's stop list and queues an `inbound`
    webhook event. Returns how many were new."""
    stored = 0
    for event in sorted(events, key=lambda e: e.at):
        if not event.provider_id or ViberInbound.objects.filter(provider_message_id=event.provider_id).exists():
            continue
        try:
            with transaction.atomic():
                if _inbound_one(event):
                    stored += 1
        except IntegrityError:  # the same message stored at the same moment by another delivery
            log.info("Viber inbound %s already stored", event.provider_id)
    return stored


def _inbound_one(event: InboundEvent) -> bool:
    phone = normalize_phone(event.phone) or event.phone[:20]
    sender = (event.sender or "").strip()[:20]
    client_id = viber_sender_owner(sender)
    at = event.at
    reply_to = None
    if event.reply_to and client_id:
        reply_to = (ViberDetail.objects.filter(provider_message_id=event.reply_to, message__client_id=client_id)
                    .values_list("message_id", flat=True).first())
    session = None
    stop = is_stop_reply(event.text)
    if client_id:
        # One recipient writing twice at once opens one session: its messages queue on this lock.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                           [f"viber-chat:{client_id}:{sender.upper()}:{phone}"])
        session = _open_session(client_id=client_id, sender=sender, phone=phone, at=at)
        if session is None and not stop:
            # R-VIB-06: only the recipient opens a session, by writing to the client's sender.
            session = ChatSession.objects.create(client_id=client_id, sender=sender, recipient=phone, opened_at=at,
                                                 expires_at=at + SESSION_LENGTH)
    inbound = ViberInbound.objects.create(client_id=client_id, session=session, provider_message_id=event.provider_id,
                                          sender=sender, phone=phone, text=event.text or "",
                                          media_url=(event.media_url or "")[:500], reply_to_id=reply_to,
                                          received_at=at)
    if session is not None:
        session.in_a_row = 0
        session.unread += 1
        session.last_message_at = max(filter(None, [session.last_message_at, at]))
        session.save(update_fields=["in_a_row", "unread", "last_message_at"])
    if client_id and stop:
        opt_out_record(client=client_id, phone=phone, source="reply",
                       note=f"Viber reply '{(event.text or '').strip()[:40]}'")
    if client_id:
        reply_public = (Message.objects.filter(pk=reply_to).values_list("public_id", flat=True).first()
                        if reply_to else None)
        webhook_inbound_record(client_id=client_id, payload={
            "channel": "viber", "inbound_id": event.provider_id, "sender": sender, "phone": phone,
            "text": inbound.text, "media_url": inbound.media_url or None,
            "session_id": str(session.public_id) if session else None,
            "reply_to_message_id": str(reply_public) if reply_public else None,
            "received_at": at.isoformat(), "stop": stop})
    return True


# --- replies ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Allowance:
    """What is left of a session for the client's replies."""

    open: bool
    seconds_left: int
    replies_left: int
    in_a_row_left: int

    @property
    def can_reply(self) -> bool:
        return self.open and self.replies_left > 0 and self.in_a_row_left > 0


def session_allowance(session: ChatSession, now: datetime | None = None) -> Allowance:
    now = now or timezone.now()
    seconds = max(0, int((session.expires_at - now).total_seconds()))
    return Allowance(open=seconds > 0, seconds_left=seconds,
                     replies_left=max(0, SESSION_MAX_MESSAGES - session.client_messages),
                     in_a_row_left=max(0, SESSION_MAX_IN_A_ROW - session.in_a_row))


def _find_session(*, client, session_id, recipient) -> ChatSession:
    if session_id:
        session = session_get(client=client, public_id=session_id)
        if session is None:
            raise SessionNotFound()
        return session
    phone = normalize_phone(recipient or "")
    if not phone:
        raise ReplyInvalid(gettext("Give the session or the recipient's phone number."), code="session_required")
    session = ChatSession.objects.filter(client=client, recipient=phone).order_by("-expires_at", "-id").first()
    if session is None:
        raise SessionClosed(gettext("This recipient has not written to you: only a recipient opens a chat session."))
    return session


def _check_content(text: str, image_url: str) -> tuple[str, str]:
    text, image_url = (text or "").strip(), (image_url or "").strip()
    if not text and not image_url:
        raise ReplyInvalid(gettext("Write a reply or give an image."), code=Refusal.EMPTY.value)
    if text and image_url:
        raise ReplyInvalid(gettext("A chat reply is a text or an image, not both."), code=Refusal.COMBINATION.value)
    if len(text) > TEXT_MAX:
        raise ReplyInvalid(gettext("The text is too long: at most %(max)d characters.") % {"max": TEXT_MAX},
                           code=Refusal.TEXT_TOO_LONG.value)
    if image_url:
        refusals = _image_refusals(image_url)
        if refusals:
            detail = (gettext("The image must be an https:// address.") if refusals[0].code == Refusal.IMAGE_URL_INVALID
                      else gettext("The image must be a JPG or PNG file (.jpg, .jpeg or .png)."))
            raise ReplyInvalid(detail, code=refusals[0].code)
    return text, image_url


def session_reply(*, client, session_id=None, recipient: str | None = None, text: str = "", image_url: str = "",
                  actor=None) -> Message:
    """Queues the client's reply in an open chat session (R-VIB-06). Refused before anything is
    sent or charged: `session_closed` (409) after 24 hours, `session_limit` (409) at 60 replies or
    at 5 in a row without a recipient message, `session_not_found` (404), content codes (400).
    The first reply charges the session (402 `insufficient_funds` when the wallet cannot pay)."""
    text, image_url = _check_content(text, image_url)
    client_assert_can_send(client)
    found = _find_session(client=client, session_id=session_id, recipient=recipient)
    with transaction.atomic():
        session = ChatSession.objects.select_for_update().get(pk=found.pk)
        now = timezone.now()
        if now >= session.expires_at:
            raise SessionClosed()
        if session.client_messages >= SESSION_MAX_MESSAGES:
            raise SessionLimit(gettext("This chat session has reached its %(max)d replies; it reopens only when the "
                                       "recipient writes after it ends.") % {"max": SESSION_MAX_MESSAGES})
        if session.in_a_row >= SESSION_MAX_IN_A_ROW:
            raise SessionLimit(gettext("%(max)d replies in a row without an answer: wait for the recipient to "
                                       "write.") % {"max": SESSION_MAX_IN_A_ROW})
        if session.recipient in stopped_phones(client=client, channel="viber"):
            raise SessionError(gettext("This recipient asked you to stop: nothing more goes to them."),
                               code=Refusal.STOP_LIST.value)
        if session.charged_at is None:
            price = viber_price(client=client, message_type="session", at=now)
            wallet_charge(client=client, amount=price.amount.amount, key=f"viber-session:{session.public_id}",
                          description=f"Viber chat session {session.sender} ↔ {session.recipient}"[:300],
                          details={"session": str(session.public_id), "eur": str(price.eur.amount),
                                   "rate": str(price.rate)})
            session.charged_at, session.price, session.rate = now, price.amount, price.rate
        message = Message.objects.create(
            client=client, batch_id=uuid.uuid4(), sender=session.sender, recipient=session.recipient,
            text=text, encoding="viber", segments=1, message_type="service", price=0, status=Status.QUEUED,
            channel="viber", valid_until=now + timedelta(seconds=SESSION_TTL))
        ViberDetail.objects.create(message=message, viber_type=ViberType.SESSION, image_url=image_url,
                                   ttl=SESSION_TTL, session=session)
        session.client_messages += 1
        session.in_a_row += 1
        session.last_message_at = now
        session.save(update_fields=["client_messages", "in_a_row", "last_message_at", "charged_at", "price",
                                    "rate"])
        if session.client_messages == 1:
            audit_record(code="messaging.viber.session_charged", actor=actor, client=client, target=session.recipient,
                         details={"session": str(session.public_id), "price": str(session.price.amount),
                                  "rate": str(session.rate)})
        transaction.on_commit(viber_dispatcher_wake)
    return message


# --- reads ------------------------------------------------------------------------------------

def session_get(*, client, public_id) -> ChatSession | None:
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return ChatSession.objects.filter(client=client, public_id=public_id).first()


def sessions_for_client(*, client, search: str = ""):
    """The client's threads, the latest activity first."""
    qs = ChatSession.objects.filter(client=client)
    if search:
        qs = qs.filter(Q(recipient__icontains=search.strip()) | Q(sender__icontains=search.strip()))
    return qs.order_by("-last_message_at", "-opened_at", "-id")


def unread_total(*, client) -> int:
    from django.db.models import Sum  # noqa: PLC0415

    return ChatSession.objects.filter(client=client).aggregate(n=Sum("unread"))["n"] or 0


@dataclass(frozen=True)
class ThreadItem:
    incoming: bool
    text: str
    image_url: str
    at: datetime
    status: str = ""
    status_label: str = ""
    id: str = ""


def session_thread(session: ChatSession) -> list[ThreadItem]:
    """The session's messages both ways, oldest first."""
    items = [ThreadItem(incoming=True, text=i.text, image_url=i.media_url, at=i.received_at, id=i.provider_message_id)
             for i in ViberInbound.objects.filter(session=session).order_by("received_at", "id")]
    for d in ViberDetail.objects.filter(session=session).select_related("message").order_by("message__created_at"):
        m = d.message
        items.append(ThreadItem(incoming=False, text=m.text, image_url=d.image_url, at=m.created_at, status=m.status,
                                status_label=str(m.get_status_display()), id=str(m.public_id)))
    return sorted(items, key=lambda item: item.at)


def session_mark_read(*, session: ChatSession, now: datetime | None = None) -> int:
    """The client opened the thread: its unread count goes to 0 and the inbound messages are read."""
    now = now or timezone.now()
    with transaction.atomic():
        marked = ViberInbound.objects.filter(session=session, read_at__isnull=True).update(read_at=now)
        ChatSession.objects.filter(pk=session.pk).update(unread=0)
    session.unread = 0
    return marked
