"""The provider-neutral Viber interface: what we send, what a provider answers, what it reports
later, and the one rule that applies its reports to a message (``status_apply``).

A provider adapter (``messaging.viber.http``, or any other partner's) implements
``ViberProvider``: ``send`` answers at once with ``Accepted`` (the provider's message id) or
``Refused`` (a synchronous refusal with one of ``Refusal``'s codes); delivery, seen, click and
failure statuses arrive later as ``StatusEvent``s (signed webhooks, or polling with
``statuses``), and the recipient's own messages as ``InboundEvent``s. Transport failures are
``ProviderUnavailable`` (retryable: a send is idempotent by its ``sequence_id``); a refused
token or an unconfigured provider is ``ProviderNotConfigured`` (not retryable).

Nothing here touches the database.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from smsportal.errors import ApplicationError
from smsportal.periods import kyiv_shift


class ViberType(enum.StrEnum):
    """A Viber message's category (R-VIB-03); ``session`` is a reply inside a chat session (R-VIB-06)."""

    ADVERTISING = "advertising"
    TRANSACTIONAL = "transactional"
    TEST = "test"
    WELCOME = "welcome"
    SESSION = "session"


class Refusal(enum.StrEnum):
    """Why a message is refused before it is sent: by our validation (``messaging.viber.validation``)
    or synchronously by the provider. Codes TurboSMS has are mirrored with its number
    (``WIRE_CODES``); the others are ours, numbered from 430."""

    IMAGE_TYPE = "image_type_invalid"                       # 402: not a jpg/png image
    STOP_LIST = "recipient_stop_listed"                     # 404: the recipient is on a stop/ignore list
    CAPTION_TOO_LONG = "button_caption_too_long"            # 408: button caption over 30 characters
    TRANSACTIONAL_RICH = "transactional_rich_content"       # 410: transactional with an image or a button
    TEXT_TOO_LONG = "text_too_long"                         # 413: text over 1000 characters
    SHARED_SENDER_TRANSACTIONAL = "shared_sender_transactional"  # 415: transactional from the shared sender
    NO_TEMPLATE = "no_matching_template"                    # 416: transactional text matches no approved template
    FILE_TOO_BIG = "file_too_big"                           # 420: an uploaded file over 3 MB
    SESSION_LIMIT = "session_limit"                         # 422: 60 per session or 5 in a row reached
    EMPTY = "message_empty"                                 # 430
    COMBINATION = "content_combination_invalid"             # 431
    BUTTON_INCOMPLETE = "button_incomplete"                 # 432: a caption without a URL or the reverse
    BUTTON_URL_INVALID = "button_url_invalid"               # 433
    IMAGE_URL_INVALID = "image_url_invalid"                 # 434: not an https URL
    TTL_OUT_OF_RANGE = "ttl_out_of_range"                   # 435: outside 60–86,400 s
    PHONE_INVALID = "phone_invalid"                         # 436: not E.164
    TYPE_INVALID = "viber_type_invalid"                     # 437
    TEST_WORD_MISSING = "test_word_missing"                 # 438: a test message without "Test"/"Тест"
    SENDER_INVALID = "sender_invalid"                       # 439
    SESSION_CLOSED = "session_closed"                       # 440: no open chat session (24 h passed)
    OTHER = "provider_refused"                              # a provider code we do not know


WIRE_CODES: dict[Refusal, int] = {
    Refusal.IMAGE_TYPE: 402, Refusal.STOP_LIST: 404, Refusal.CAPTION_TOO_LONG: 408,
    Refusal.TRANSACTIONAL_RICH: 410, Refusal.TEXT_TOO_LONG: 413, Refusal.SHARED_SENDER_TRANSACTIONAL: 415,
    Refusal.NO_TEMPLATE: 416, Refusal.FILE_TOO_BIG: 420, Refusal.SESSION_LIMIT: 422,
    Refusal.EMPTY: 430, Refusal.COMBINATION: 431, Refusal.BUTTON_INCOMPLETE: 432,
    Refusal.BUTTON_URL_INVALID: 433, Refusal.IMAGE_URL_INVALID: 434, Refusal.TTL_OUT_OF_RANGE: 435,
    Refusal.PHONE_INVALID: 436, Refusal.TYPE_INVALID: 437, Refusal.TEST_WORD_MISSING: 438,
    Refusal.SENDER_INVALID: 439, Refusal.SESSION_CLOSED: 440,
}
REFUSAL_BY_WIRE_CODE: dict[int, Refusal] = {number: code for code, number in WIRE_CODES.items()}


class Status(enum.StrEnum):
    """What a provider reports about a sent message (see ``status_apply``)."""

    ACCEPTED = "accepted"
    SENT = "sent"
    DELIVERED = "delivered"
    SEEN = "seen"
    UNDELIVERED = "undelivered"  # reason: not_viber_user, blocked, …
    EXPIRED = "expired"
    REJECTED = "rejected"
    CLICKED = "clicked"          # the button was tapped: a flag, not a step (see status_apply)


class Reason(enum.StrEnum):
    """Known reasons of an ``undelivered`` or ``rejected`` status (a provider may give others)."""

    NOT_VIBER_USER = "not_viber_user"
    BLOCKED = "blocked"
    REJECTED_BY_VIBER = "rejected_by_viber"


# R-VIB-07: statuses up to 14 days after the message's TTL are still applied.
LATE_STATUS_WINDOW = timedelta(days=14)
LATE_STATUS_DAYS = 14  # calendar days on Kyiv dates (R-VIB-07)
# Reasons after which the Viber→SMS fallback goes out at once (issue: hybrid Viber → SMS).
FALLBACK_REASONS = frozenset({Reason.NOT_VIBER_USER, Reason.BLOCKED})


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One Viber message to one recipient, as every provider adapter takes it."""

    message_id: str                 # ours (the message's UUID), echoed back as the provider's reference
    sender: str                     # the approved Viber sender name
    phone: str                      # E.164, "+380671234567"
    viber_type: str = ViberType.ADVERTISING
    text: str = ""
    image_url: str = ""
    button_caption: str = ""
    button_url: str = ""
    ttl: int = 86_400               # seconds
    sequence_id: str = ""           # idempotency key of the send; empty = message_id

    @property
    def idempotency_key(self) -> str:
        return self.sequence_id or self.message_id


@dataclass(frozen=True, slots=True)
class Accepted:
    provider_id: str


@dataclass(frozen=True, slots=True)
class Refused:
    code: str       # a Refusal value
    detail: str = ""


@dataclass(frozen=True, slots=True)
class StatusEvent:
    provider_id: str
    status: str         # a Status value
    at: datetime
    reason: str = ""
    event_id: str = ""  # the provider's id of this report: the same id twice is one report


@dataclass(frozen=True, slots=True)
class InboundEvent:
    """A recipient's message to the client's sender (a reply opens a chat session, R-VIB-06)."""

    event_id: str
    provider_id: str    # the provider's id of the inbound message
    phone: str          # the recipient who wrote, E.164
    sender: str         # the client's sender name written to
    at: datetime
    text: str = ""
    media_url: str = ""
    reply_to: str = ""  # provider id of the client's message replied to, if any


class ViberProvider(Protocol):
    def send(self, message: OutgoingMessage) -> Accepted | Refused: ...

    def statuses(self, provider_ids: list[str]) -> list[StatusEvent]: ...


# --- errors -------------------------------------------------------------------------------------
class ProviderError(ApplicationError):
    code = "viber_provider_error"
    status = 502
    retryable = False


class ProviderUnavailable(ProviderError):
    """A timeout, a refused or dropped connection, a 5xx or an unreadable answer: try again later
    (a send is idempotent by its sequence id, so a retry never sends twice)."""

    code = "viber_provider_unavailable"
    status = 503
    retryable = True
    default_detail = "The Viber provider cannot be reached right now; the message will be retried."


class ProviderNotConfigured(ProviderError):
    """No base URL, or the provider refused our token: retrying will not help."""

    code = "viber_provider_not_configured"
    status = 503
    default_detail = "Viber sending is not configured; please contact support."


class WebhookInvalid(ApplicationError):
    """A provider webhook we refuse; ``code`` says why (bad signature, too old, replayed, malformed)."""

    code = "viber_webhook_invalid"
    status = 400


class WebhookSignatureInvalid(WebhookInvalid):
    code = "viber_webhook_signature_invalid"
    status = 403
    default_detail = "The webhook signature does not match."


class WebhookExpired(WebhookInvalid):
    code = "viber_webhook_expired"
    status = 403
    default_detail = "The webhook timestamp is too old (or too far in the future)."


class WebhookReplayed(WebhookInvalid):
    code = "viber_webhook_replayed"
    status = 403
    default_detail = "This webhook nonce was already used."


class WebhookMalformed(WebhookInvalid):
    code = "viber_webhook_malformed"
    status = 400
    default_detail = "The webhook body is not a valid event list."


# --- the status rule ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ViberState:
    """What we know of a sent Viber message: its status, whether its button was clicked, the
    reason of a failure, and the event ids already applied (to drop a report seen twice)."""

    status: str = Status.ACCEPTED
    clicked: bool = False
    reason: str = ""
    at: datetime | None = None
    seen_events: frozenset[str] = field(default_factory=frozenset)


_PROGRESS = {Status.ACCEPTED: 0, Status.SENT: 1, Status.DELIVERED: 2, Status.SEEN: 3}
_FAILURES = frozenset({Status.UNDELIVERED, Status.EXPIRED, Status.REJECTED})
# What an expired message may still become: Viber keeps trying up to 14 days after the TTL
# (R-VIB-07), as an SMS receipt may settle an expired SMS (messaging.status).
_AFTER_EXPIRED = frozenset({Status.DELIVERED, Status.SEEN, Status.UNDELIVERED})


def status_apply(current: ViberState | None, event: StatusEvent) -> ViberState | None:
    """The state after ``event``, or None when the event changes nothing (a duplicate, a stale
    or an impossible report). Pure; the caller stores the result.

    Statuses only move forward, so events may arrive twice and in any order and still converge:

    ======================  ===========================================================  =========
    current                 event                                                        result
    ======================  ===========================================================  =========
    (nothing) / accepted    sent, delivered, seen, undelivered, expired, rejected        the event
    sent                    delivered, seen, undelivered, expired, rejected              the event
    delivered               seen                                                         seen
    delivered               accepted, sent, delivered, undelivered, expired, rejected    None
    seen                    anything but clicked                                         None
    expired                 delivered, seen, undelivered (late, R-VIB-07)                the event
    expired                 accepted, sent, expired, rejected                            None
    undelivered, rejected   anything (final)                                             None
    any but undelivered/    clicked (first time): the flag is set, the status stays      +clicked
    rejected
    any                     clicked again, or an event id already applied                None
    ======================  ===========================================================  =========

    A click is a flag because users may turn off seen receipts: a message can be clicked and
    still ``delivered``. The caller decides whether a late event is still within R-VIB-07's 14
    days after the TTL (``status_window_open``); this function accepts it whenever it may follow.
    """
    state = current or ViberState(status="")
    if event.event_id and event.event_id in state.seen_events:
        return None
    new = event.status
    if new == Status.CLICKED:
        if state.clicked or state.status in (Status.UNDELIVERED, Status.REJECTED):
            return None
        return _with_event(state, event, clicked=True)
    if new not in _PROGRESS and new not in _FAILURES:
        return None  # a status we do not know
    old = state.status
    if not old:
        applies = True
    elif old == Status.EXPIRED:
        applies = new in _AFTER_EXPIRED
    elif old in _FAILURES:
        applies = False
    elif new in _FAILURES:
        applies = _PROGRESS[old] < _PROGRESS[Status.DELIVERED]
    else:
        applies = _PROGRESS[new] > _PROGRESS[old]
    if not applies:
        return None
    reason = event.reason if new in _FAILURES else ""
    return _with_event(state, event, status=new, reason=reason, at=event.at)


def status_window_open(*, sent_at: datetime, ttl: int, now: datetime) -> bool:
    """Is a status for a message sent at ``sent_at`` with ``ttl`` seconds still to be applied?
    Viber may keep trying up to 14 days after the TTL (R-VIB-07); later reports are dropped."""
    return now <= kyiv_shift(sent_at + timedelta(seconds=ttl), days=LATE_STATUS_DAYS)


def _with_event(state: ViberState, event: StatusEvent, **changes) -> ViberState:
    if event.event_id:
        changes["seen_events"] = state.seen_events | {event.event_id}
    return replace(state, **changes)
