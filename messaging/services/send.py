"""Accepting sends: validation, pricing and charging, storing; the connector is woken at commit.

A send is validated, priced and charged, and its messages stored, in one transaction: either the
client pays and every message exists, or nothing happened.
"""
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from djmoney.money import Money

from accounts.models import Client
from accounts.services import client_assert_can_send
from billing.services import sms_price, tariff_current, wallet_charge
from senders.selectors import approved_sender_get
from senders.services import SenderNotApproved

from .. import segments
from ..exceptions import InvalidRecipients, NoRoute, TextInvalid, TooManyRecipients
from ..models import Message, Route
from ..phones import normalize_phone
from ..status import Status

log = logging.getLogger("smsportal.messaging")

NOTIFY_CHANNEL = "smsportal_dispatch"


@dataclass
class SendResult:
    messages: list[Message]
    total_price: Money
    created: bool = True


def _normalize_recipients(recipients) -> list[str]:
    if isinstance(recipients, str):
        recipients = [recipients]
    if not recipients:
        raise InvalidRecipients("Give at least one recipient.")
    if len(recipients) > settings.SMSPORTAL_MAX_RECIPIENTS:
        raise TooManyRecipients(
            f"At most {settings.SMSPORTAL_MAX_RECIPIENTS} recipients in one request ({len(recipients)} given).")
    normalized, invalid, seen = [], [], set()
    for raw in recipients:
        phone = normalize_phone(raw) if isinstance(raw, str) else None
        if phone is None:
            invalid.append(raw if isinstance(raw, str) else repr(raw))
        elif phone not in seen:
            seen.add(phone)
            normalized.append(phone)
    if invalid:
        shown = ", ".join(f"'{r}'" for r in invalid[:5]) + (" …" if len(invalid) > 5 else "")
        raise InvalidRecipients(
            f"{len(invalid)} recipient number(s) are not valid phone numbers: {shown}",
            extra={"invalid": invalid[:100]},
        )
    return normalized


def route_for(recipient: str) -> Route:
    """The route that carries SMS to `recipient` (operator routing arrives with the SMS engine)."""
    route = Route.objects.filter(is_active=True).order_by("priority", "id").first()
    if route is None:
        raise NoRoute()
    return route


def connector_wake(route_id: int) -> None:
    """Wakes the route's connector when the current transaction commits (PostgreSQL NOTIFY is
    delivered only on commit). Elsewhere the connector's short idle poll picks the work up."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [NOTIFY_CHANNEL, str(route_id)])


def message_send(*, client: Client, sender: str, recipients, text: str, idempotency_key: str | None = None,
                 send_at=None) -> SendResult:
    """Accepts one text to one or more recipients: checks, prices, charges once, stores, wakes."""
    client_assert_can_send(client)
    if idempotency_key:
        batch_id = uuid.uuid5(client.public_id, idempotency_key[:200])
        existing = list(Message.objects.filter(client=client, batch_id=batch_id).order_by("id"))
        if existing:
            total = sum((m.price for m in existing), Money(0, "UAH"))
            return SendResult(messages=existing, total_price=total, created=False)
    else:
        batch_id = uuid.uuid4()

    if not isinstance(text, str) or not text.strip():
        raise TextInvalid("The message text is empty.")
    seg = segments.segment(text)
    if seg.count > settings.SMSPORTAL_MAX_PARTS:
        raise TextInvalid(
            f"The text needs {seg.count} SMS parts; at most {settings.SMSPORTAL_MAX_PARTS} are allowed "
            f"({seg.units} {'GSM-7' if seg.encoding == segments.GSM7 else 'UCS-2'} characters).",
            code="text_too_long")
    if not approved_sender_get(client=client, name=sender or ""):
        raise SenderNotApproved(f"'{sender}' is not an approved sender name of this account.")
    phones = _normalize_recipients(recipients)

    tariff = tariff_current()
    now = timezone.now()
    is_bulk = len(phones) > settings.SMSPORTAL_BULK_THRESHOLD
    scheduled = is_bulk or (send_at is not None and send_at > now)
    messages, total = [], Decimal("0")
    routes: dict[str, Route] = {}
    for phone in phones:
        price = sms_price(client=client, recipient=phone, segments=seg.count, tariff=tariff)
        prefix = phone[:6]  # country + operator code: the routing key
        route = routes.get(prefix) or routes.setdefault(prefix, route_for(phone))
        total += price.amount
        messages.append(Message(
            client=client, batch_id=batch_id, sender=sender, recipient=phone, text=text,
            encoding=seg.encoding, segments=seg.count, price=price, route=route, is_bulk=is_bulk,
            status=Status.SCHEDULED if scheduled else Status.QUEUED, send_at=send_at or now,
        ))
    with transaction.atomic():
        wallet_charge(client=client, amount=total, key=f"send:{batch_id}",
                      description=f"{len(messages)} SMS from {sender}, {seg.count} part(s) each")
        Message.objects.bulk_create(messages, batch_size=2000)
        if not scheduled:
            for route_id in sorted({r.pk for r in routes.values()}):
                connector_wake(route_id)
    log.info("accepted %s message(s) for client %s, batch %s", len(messages), client.pk, batch_id)
    return SendResult(messages=messages, total_price=Money(total, "UAH"))


