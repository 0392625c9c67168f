"""Accepting sends: validation, pricing and charging, storing; the connector is woken at commit.

A send is validated, priced and charged, and its messages stored, in one transaction: either the
client pays and every message exists, or nothing happened.
"""
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from djmoney.money import Money

from accounts.models import Client
from accounts.services import client_assert_can_send
from billing.services import wallet_charge
from senders.selectors import approved_sender_get
from senders.services import SenderNotApproved

from ..exceptions import InvalidRecipients, MessagingError, TooManyRecipients
from ..models import Message
from ..phones import Recipient, parse_recipient
from ..routing import Router
from ..status import Status
from .prepare import Prepared, check_text, prepare_rows

log = logging.getLogger("smsportal.messaging")

NOTIFY_CHANNEL = "smsportal_dispatch"
TTL_MIN, TTL_MAX = 60, 72 * 3600


@dataclass
class SendResult:
    messages: list[Message]
    total_price: Money
    created: bool = True


def route_for(recipient: str):
    """The route for one phone (the send path uses a `Router` for many)."""
    parsed = parse_recipient(recipient)
    if not isinstance(parsed, Recipient):
        raise InvalidRecipients(f"'{recipient}' is {parsed}.")
    return Router().route_for(parsed)


def connector_wake(route_id: int) -> None:
    """Wakes the route's connector when the current transaction commits (PostgreSQL NOTIFY is
    delivered only on commit). Elsewhere the connector's short idle poll picks the work up."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [NOTIFY_CHANNEL, str(route_id)])


def ttl_check(ttl) -> int:
    ttl = settings.SMSPORTAL_DEFAULT_TTL if ttl is None else ttl
    if not isinstance(ttl, int) or not TTL_MIN <= ttl <= TTL_MAX:
        raise MessagingError(f"ttl is the message lifetime in seconds, from {TTL_MIN} to {TTL_MAX}.",
                             code="invalid_ttl")
    return ttl


def sender_check(*, client: Client, sender: str) -> None:
    client_assert_can_send(client)
    if not approved_sender_get(client=client, name=sender or ""):
        raise SenderNotApproved(f"'{sender}' is not an approved sender name of this account.")


def messages_build(*, client: Client, prepared: Prepared, sender: str, batch_id, status: str, send_at, ttl: int,
                   campaign=None, is_bulk=False) -> list[Message]:
    valid_until = (send_at or timezone.now()) + timedelta(seconds=ttl)
    messages = [Message(
        client=client, batch_id=batch_id, campaign=campaign, sender=sender, recipient=r.recipient.phone,
        text=r.text, encoding=r.encoding, segments=r.segments, price=Money(r.price, "UAH"), route=r.route,
        operator=r.recipient.operator, is_bulk=is_bulk, status=status, send_at=send_at, valid_until=valid_until,
    ) for r in prepared.rows]
    for refused in prepared.refused:
        messages.append(Message(
            client=client, batch_id=batch_id, campaign=campaign, sender=sender, recipient=refused["value"],
            text=prepared.rows[0].text if prepared.rows else "", encoding="", segments=0, price=Money(0, "UAH"),
            status=Status.REFUSED, error_code="opted_out", error_detail=refused["reason"], send_at=send_at,
            is_bulk=is_bulk, done_at=timezone.now()))
    return messages


_COPY_COLUMNS = ("public_id", "client_id", "batch_id", "campaign_id", "sender", "recipient", "text", "encoding",
                 "segments", "price", "price_currency", "status", "route_id", "is_bulk", "send_at", "valid_until",
                 "operator", "error_code", "error_detail", "created_at", "updated_at", "done_at")


def messages_insert(messages: list[Message]) -> None:
    """Stores many messages at once: PostgreSQL COPY (the fast path for campaigns), else bulk_create.
    The caller's transaction makes it all-or-nothing."""
    if connection.vendor != "postgresql" or len(messages) < 500:
        Message.objects.bulk_create(messages, batch_size=2000)
        return
    now = timezone.now()
    table = Message._meta.db_table
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({', '.join(_COPY_COLUMNS)}) FROM STDIN") as copy:
            for m in messages:
                copy.write_row((m.public_id, m.client_id, m.batch_id, m.campaign_id, m.sender, m.recipient, m.text,
                                m.encoding, m.segments, m.price.amount, "UAH", m.status, m.route_id, m.is_bulk,
                                m.send_at, m.valid_until, m.operator, m.error_code, m.error_detail, now, now,
                                m.done_at))


def message_send(*, client: Client, sender: str, recipients, text: str, idempotency_key: str | None = None,
                 send_at=None, ttl: int | None = None) -> SendResult:
    """Accepts one text to one or more recipients: checks, prices, charges once, stores, wakes.
    Any invalid recipient refuses the whole request (a campaign reports them per row instead)."""
    if idempotency_key:
        batch_id = uuid.uuid5(client.public_id, idempotency_key[:200])
        existing = list(Message.objects.filter(client=client, batch_id=batch_id).order_by("id"))
        if existing:
            total = sum((m.price for m in existing), Money(0, "UAH"))
            return SendResult(messages=existing, total_price=total, created=False)
    else:
        batch_id = uuid.uuid4()
    sender_check(client=client, sender=sender)
    check_text(text)
    ttl = ttl_check(ttl)
    if isinstance(recipients, str):
        recipients = [recipients]
    if not recipients:
        raise InvalidRecipients("Give at least one recipient.")
    if len(recipients) > settings.SMSPORTAL_MAX_RECIPIENTS:
        raise TooManyRecipients(
            f"At most {settings.SMSPORTAL_MAX_RECIPIENTS} recipients in one request ({len(recipients)} given); "
            "use a campaign for more.")
    prepared = prepare_rows(client=client, text=text, rows=recipients)
    if prepared.invalid:
        shown = ", ".join(f"'{r['value']}' ({r['reason']})" for r in prepared.invalid[:5])
        more = " …" if len(prepared.invalid) > 5 else ""
        raise InvalidRecipients(f"{len(prepared.invalid)} recipient(s) cannot receive SMS: {shown}{more}",
                                extra={"invalid": prepared.invalid[:100]})

    now = timezone.now()
    is_bulk = len(prepared.rows) > settings.SMSPORTAL_BULK_THRESHOLD
    scheduled = is_bulk or (send_at is not None and send_at > now)
    messages = messages_build(client=client, prepared=prepared, sender=sender, batch_id=batch_id,
                              status=Status.SCHEDULED if scheduled else Status.QUEUED, send_at=send_at or now,
                              ttl=ttl, is_bulk=is_bulk)
    with transaction.atomic():
        if prepared.rows:
            wallet_charge(client=client, amount=prepared.total, key=f"send:{batch_id}",
                          description=f"{len(prepared.rows)} SMS from {sender}")
        Message.objects.bulk_create(messages, batch_size=2000)
        if not scheduled:
            for route_id in sorted({r.route.pk for r in prepared.rows}):
                connector_wake(route_id)
    log.info("accepted %s message(s) for client %s, batch %s", len(messages), client.pk, batch_id)
    return SendResult(messages=messages, total_price=prepared.total_money)
