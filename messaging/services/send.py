"""Accepting sends: validation, pricing and a hold on the wallet, storing; the connector is woken
at commit.

A send is validated, priced, its price held, and its messages stored, in one transaction: either
the money is reserved and every message exists, or nothing happened. The hold is captured as the
messages reach the operator and released for those that never do (messaging.services.money).
"""
from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from djmoney.money import Money

from accounts.services import client_assert_can_send, client_lock_for_send, system_client_get
from billing.services import HoldNotCommitted, HoldRef, hold_open
from compliance.services import message_type_check
from senders.selectors import sender_rights
from senders.services import SenderNotApproved
from smsportal.cache import Versions
from smsportal.db import commit_without_waiting_for_disk
from smsportal.phones import Recipient, invalid_recipient_text, parse_recipient, phone_reason_text

if TYPE_CHECKING:
    from accounts.models import Client  # annotations only: messaging never imports accounts' models

from ..exceptions import InvalidRecipients, MessagingError, TooManyRecipients
from ..models import Message, MessageType
from ..routing import Router
from ..status import Status
from .prepare import Prepared, check_text, message_type_check_value, prepare_rows, schedule_reason_of
from .webhooks import callback_url_check

log = logging.getLogger("smsportal.messaging")

NOTIFY_CHANNEL = "smsportal_dispatch"
TTL_MIN, TTL_MAX = 60, 72 * 3600


@dataclass
class SendResult:
    messages: list[Message]
    total_price: Money
    created: bool = True
    schedule_reason: str | None = None  # OUTSIDE_SENDING_HOURS: the send waits for the window (R-CMP-07)
    notice: str = ""  # what the client reads about it


def route_for(recipient: str):
    """The route for one phone (the send path uses a `Router` for many)."""
    parsed = parse_recipient(recipient)
    if not isinstance(parsed, Recipient):
        raise InvalidRecipients(invalid_recipient_text(recipient, parsed))
    router = Router()
    return router.route_for(router.recognize(parsed))


def connector_wake(route_id: int) -> None:
    """Wakes the route's connector when the current transaction commits (PostgreSQL NOTIFY is
    delivered only on commit)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, %s)", [NOTIFY_CHANNEL, str(route_id)])


def ttl_check(ttl) -> int:
    ttl = settings.SMSPORTAL_DEFAULT_TTL if ttl is None else ttl
    if not isinstance(ttl, int) or not TTL_MIN <= ttl <= TTL_MAX:
        raise MessagingError(f"ttl is the message lifetime in seconds, from {TTL_MIN} to {TTL_MAX}.",
                             code="invalid_ttl")
    return ttl


def sender_check(*, client: Client, sender: str, versions: Versions | None = None) -> None:
    client_assert_can_send(client)
    if (sender or "") not in sender_rights(client=client, versions=versions).approved:
        raise SenderNotApproved(f"'{sender}' is not an approved sender name of this account.")


def messages_build(*, client: Client, prepared: Prepared, sender: str, batch_id, status: str, send_at, ttl: int,
                   campaign=None, is_bulk=False) -> list[tuple]:
    """The rows of the messages to store, in `MESSAGE_COLUMNS` order (tuples: a campaign makes
    100,000 of them, and model instances would cost seconds). Rows held for staff (R-CMP-02) are
    `pending_review` with their reason in error_code / error_detail (priced: their price is held
    with the rest); refused rows (stop list, content, the daily cap…) are `refused`, uncharged,
    with their own reason code and client-facing detail."""
    now = timezone.now()
    send_at = send_at or now
    valid_until = send_at + timedelta(seconds=ttl)
    campaign_id = campaign.pk if campaign else None
    message_type = prepared.message_type
    held = Status.PENDING_REVIEW
    rows = [(uuid.uuid4(), client.pk, batch_id, campaign_id, sender, r.recipient.phone, r.text, r.encoding,
             r.segments, r.price, "UAH", status if r.review is None else held, r.route.pk, is_bulk, send_at,
             valid_until, r.recipient.operator, "" if r.review is None else r.review[0][:32],
             "" if r.review is None else r.review[1][:300], now, now, None, message_type) for r in prepared.rows]
    body = prepared.rows[0].text if prepared.rows else ""
    for refused in prepared.refused:
        rows.append((uuid.uuid4(), client.pk, batch_id, campaign_id, sender, refused["value"],
                     refused.get("text") or body, "", 0, Decimal("0"), "UAH", Status.REFUSED, None, is_bulk, send_at,
                     None, "", refused.get("code", "opted_out")[:32], refused["reason"][:300], now, now, now,
                     message_type))
    return rows


MESSAGE_COLUMNS = ("public_id", "client_id", "batch_id", "campaign_id", "sender", "recipient", "text", "encoding",
                   "segments", "price", "price_currency", "status", "route_id", "is_bulk", "send_at", "valid_until",
                   "operator", "error_code", "error_detail", "created_at", "updated_at", "done_at", "message_type")
# message_type is listed (not left to its database default) so an advertising campaign's COPY
# stores its type; like the other repeated columns it is formatted once per campaign.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _instances(rows: list[tuple]) -> list[Message]:
    objs = []
    for row in rows:
        values = dict(zip(MESSAGE_COLUMNS, row))
        values["price"] = Money(values.pop("price"), values.pop("price_currency"))
        objs.append(Message(**values))
    return objs


def _uuid4_strings(n: int) -> list[str]:
    """n random version-4 UUIDs as text, from one read of the OS random source (uuid.uuid4() per
    row costs a quarter of a second per 100,000)."""
    raw = os.urandom(16 * n).hex()
    out = []
    for i in range(0, 32 * n, 32):
        h = raw[i:i + 32]
        out.append(f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}")
    return out


_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def messages_insert_returning(rows: list[tuple], *, callback_url: str = "") -> list[Message]:
    """Stores the messages of one send (at most SMSPORTAL_MAX_RECIPIENTS) inside the caller's
    transaction and returns them with their ids: one INSERT … RETURNING of the rows as they are,
    which is what bulk_create sends, without building it through the ORM (that was a third of a
    single send's time in Python)."""
    messages = _instances(rows)
    for m in messages:
        m.callback_url = callback_url
    if not rows:
        return []
    one = "(" + ", ".join(["%s"] * (len(MESSAGE_COLUMNS) + 1)) + ")"
    with connection.cursor() as cursor:
        # RETURNING gives the ids in the order of the VALUES, as bulk_create relies on too.
        cursor.execute(f"INSERT INTO {Message._meta.db_table} ({', '.join(MESSAGE_COLUMNS)}, callback_url) "
                       f"VALUES {', '.join([one] * len(rows))} RETURNING id",
                       [v for row in rows for v in (*row, callback_url)])
        ids = [pk for (pk,) in cursor.fetchall()]
    for m, pk in zip(messages, ids, strict=True):
        m.pk = pk
        m._state.adding, m._state.db = False, "default"
    return messages


def messages_insert(rows: list[tuple]) -> list[Message]:
    """Stores many messages at once inside the caller's transaction (all or nothing).

    One COPY in text format (the fast path for campaigns); for a handful of rows, bulk_create.
    Returns the model instances only on the bulk_create path."""
    if len(rows) < 500:
        return Message.objects.bulk_create(_instances(rows), batch_size=2000)
    cache: dict = {}

    def text(value):
        out = cache.get(value)
        if out is None:
            out = cache[value] = _copy_text(value)
        return out

    ids = _uuid4_strings(len(rows))
    lines = []
    for uid, row in zip(ids, rows):
        # Columns 1-4 and 9-22 repeat across a campaign's rows: formatted once each through the cache.
        lines.append("\t".join((uid, *[text(v) for v in row[1:5]], row[5].translate(_COPY_ESCAPES),
                                 text(row[6]), *[text(v) for v in row[7:]])))
    table = Message._meta.db_table
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({', '.join(MESSAGE_COLUMNS)}) FROM STDIN") as copy:
            copy.write("\n".join(lines) + "\n")
    return []


def _batch_stored(client: Client, batch_id) -> SendResult | None:
    """The send already stored under this idempotency key, looked for again under a lock on its
    batch id: of two sends with one key racing past the first look, the second waits here for the
    first to commit, then finds its messages instead of sending again."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"batch:{batch_id}"])
    existing = list(Message.objects.filter(client=client, batch_id=batch_id).order_by("id"))
    if not existing:
        return None
    return _replayed(existing)


def _replayed(existing: list[Message]) -> SendResult:
    """The answer to a send already stored under its idempotency key, as it was first given."""
    reason, notice = schedule_reason_of(existing[0])
    return SendResult(messages=existing, total_price=sum((m.price for m in existing), Money(0, "UAH")), created=False,
                      schedule_reason=reason, notice=notice)


def message_send(*, client: Client, sender: str, recipients, text: str, idempotency_key: str | None = None,
                 send_at=None, ttl: int | None = None, callback_url: str | None = None,
                 message_type: str = MessageType.SERVICE) -> SendResult:
    """Accepts one text to one or more recipients: checks, prices, holds its price once, stores, wakes.
    Any invalid recipient refuses the whole request (a campaign reports them per row instead).
    `callback_url`: this send's status webhooks go there instead of the client's webhook URL.
    `message_type`: service or advertising, priced as such (R-BILL-07); advertising needs a
    signed contract (R-CMP-11, refused before anything is stored or held)."""
    if idempotency_key:
        batch_id = uuid.uuid5(client.public_id, idempotency_key[:200])
        existing = list(Message.objects.filter(client=client, batch_id=batch_id).order_by("id"))
        if existing:
            return _replayed(existing)
    else:
        batch_id = uuid.uuid4()
    versions = Versions(client.pk)  # for the cached price lists, routes, names… (smsportal.cache)
    sender_check(client=client, sender=sender, versions=versions)
    message_type = message_type_check_value(message_type)
    message_type_check(client=client, message_type=message_type)
    check_text(text)
    ttl = ttl_check(ttl)
    callback_url = callback_url_check(client=client, url=callback_url)
    if isinstance(recipients, str):
        recipients = [recipients]
    if not recipients:
        raise InvalidRecipients(gettext("Give at least one recipient."))
    if len(recipients) > settings.SMSPORTAL_MAX_RECIPIENTS:
        raise TooManyRecipients(
            gettext("At most %(max)s recipients in one request (%(given)s given); use a campaign for more.")
            % {"max": settings.SMSPORTAL_MAX_RECIPIENTS, "given": len(recipients)})
    prepared = prepare_rows(client=client, text=text, rows=recipients, sender=sender, message_type=message_type,
                            versions=versions, send_at=send_at)
    if prepared.invalid:
        shown = ", ".join(f"'{r['value']}' ({phone_reason_text(r['reason'])})" for r in prepared.invalid[:5])
        more = " …" if len(prepared.invalid) > 5 else ""
        raise InvalidRecipients(ngettext("%(n)s recipient(s) cannot receive SMS: %(shown)s",
                                         "%(n)s recipient(s) cannot receive SMS: %(shown)s", len(prepared.invalid))
                                % {"n": len(prepared.invalid), "shown": shown + more},
                                extra={"invalid": prepared.invalid[:100]})

    now = timezone.now()
    send_at = prepared.send_at  # the wanted time, or the next opening of the sending window (R-CMP-07)
    is_bulk = len(prepared.rows) > settings.SMSPORTAL_BULK_THRESHOLD
    scheduled = is_bulk or send_at > now
    rows = messages_build(client=client, prepared=prepared, sender=sender, batch_id=batch_id,
                          status=Status.SCHEDULED if scheduled else Status.QUEUED, send_at=send_at,
                          ttl=ttl, is_bulk=is_bulk)
    woken = sorted({r.route.pk for r in prepared.rows if r.review is None}) if not scheduled else []
    for then_commit in (True, False):  # see hold_open: HoldNotCommitted rolls back, then again
        try:
            with transaction.atomic():
                if idempotency_key and (existing := _batch_stored(client, batch_id)):
                    return existing
                # The wallet row is this client's hot spot (every send of the client locks it until
                # its commit): the hold comes last, in the commit's round trip, and the commit does
                # not keep it locked through a disk flush.
                commit_without_waiting_for_disk()
                client_lock_for_send(client)  # a block meanwhile wins, or waits and cancels these (R-ACC-06)
                messages = messages_insert_returning(rows, callback_url=callback_url)
                for route_id in woken:
                    connector_wake(route_id)
                if prepared.total > 0:
                    # Reserved now, captured per message when it reaches the operator, released if
                    # it never does (messaging.services.money). Nothing may follow it here.
                    hold_open(client=client, reference=HoldRef("send", batch_id), amount=prepared.total,
                              description=f"Send from {sender}: {len(prepared.rows)} SMS", then_commit=then_commit)
            break
        except HoldNotCommitted:
            continue
    log.info("accepted %s message(s) for client %s, batch %s", len(messages), client.pk, batch_id)
    return SendResult(messages=messages, total_price=prepared.total_money, schedule_reason=prepared.schedule_reason,
                      notice=prepared.notice)


def system_client() -> Client:
    """The provider's own account, which sends one-time codes and notices (created on first use)."""
    return system_client_get()


def system_message_send(*, recipient: str, text: str, ttl: int = 600) -> Message:
    """An SMS from the provider itself (a sign-up code, a block notice): free of charge, sent at
    once through the normal route, from the sender name in `SMSPORTAL_SYSTEM_SENDER`."""
    parsed = parse_recipient(recipient)
    if not isinstance(parsed, Recipient):
        raise InvalidRecipients(invalid_recipient_text(recipient, parsed))
    seg = check_text(text)
    router = Router()
    parsed = router.recognize(parsed)
    route = router.route_for(parsed)
    now = timezone.now()
    with transaction.atomic():
        message = Message.objects.create(
            client=system_client(), batch_id=uuid.uuid4(), sender=settings.SMSPORTAL_SYSTEM_SENDER,
            recipient=parsed.phone, text=text, encoding=seg.encoding, segments=seg.count, price=Money(0, "UAH"),
            route=route, operator=parsed.operator, status=Status.QUEUED, send_at=now,
            valid_until=now + timedelta(seconds=ttl))
        connector_wake(route.pk)
    return message
