"""What the benchmarks need in the database, made through the product's own services where money
or approval is involved (top-up, sender approval, API key), and with COPY where a benchmark only
needs many rows in a given state (its setup is not what it measures)."""
from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from djmoney.money import Money

from accounts.models import User
from accounts.services import api_key_create, client_create
from compliance.services import sending_hours_exemption_grant
from billing.models import Tariff
from billing.services import wallet_hold, wallet_topup
from messaging.models import Message, MessagePart, ReceiptInbox, Route
from senders.models import SenderName
from senders.services import sender_name_approve

SENDER = "BenchShop"
ROUTE = "bench"
# One GSM-7 part (≤ 160 characters): the dispatch benchmarks count parts = messages.
TEXT = "Your order 4711 is ready for pickup at store 12 until 20:00. Thank you for shopping with BenchShop!"
BALANCE = Decimal("10000000")
# Ukrainian mobile codes (phonenumbers' carrier data): a realistic mix of operators.
UA_CODES = ("67", "68", "96", "97", "98", "50", "66", "95", "99", "63", "73", "93")


@dataclass
class Seeded:
    client: object
    user: object
    route: Route
    api_key: str


def seed() -> Seeded:
    with transaction.atomic():
        staff = User.objects.create_superuser("bench-admin@example.com", "bench-admin-pass-2026")
        user = User.objects.create_user("bench@example.com", "bench-pass-2026")
        client = client_create(name="Bench LLC", owner=user)
        wallet_topup(client=client, amount=BALANCE, key="bench:initial", actor=staff, description="Bench balance")
        Tariff.objects.create(name="Bench", valid_from=timezone.now() - timedelta(days=1),
                              announced_at=timezone.now() - timedelta(days=8), sms_segment_price=Money(Decimal("0.85"), "UAH"))
        sender = SenderName.objects.create(client=client, name=SENDER)
        sender_name_approve(sender_id=sender.pk, actor=staff)
        # its service messages go round the clock (R-CMP-07), as the demo client's: a run at night
        # measures the same path as by day (the 10-a-day cap is still checked)
        sending_hours_exemption_grant(client=client, granted_by=staff, note="bench")
        route = Route.objects.create(name=ROUTE, host="127.0.0.1", port=1, system_id="smsportal", password="secret",
                                     tps_limit=0, window_size=50, is_active=True)
        # Its service messages go round the clock (R-CMP-07): the benches send at any hour.
        sending_hours_exemption_grant(client=client, granted_by=staff, note="bench")
    _key, raw = api_key_create(client=client, name="bench")
    client.refresh_from_db()
    return Seeded(client=client, user=user, route=route, api_key=raw)


def phones(n: int, *, start: int = 0, spellings: bool = True) -> list[str]:
    """n distinct valid Ukrainian mobile numbers; with `spellings`, in the forms clients send
    (+380…, 380…, 0…, '+38 (0xx) xxx-xx-xx'), shuffled the same way every run."""
    out = []
    for i in range(start, start + n):
        code = UA_CODES[i % len(UA_CODES)]
        sub = f"{(i // len(UA_CODES)) % 10_000_000:07d}"
        form = i % 4 if spellings else 0
        if form == 0:
            out.append(f"+380{code}{sub}")
        elif form == 1:
            out.append(f"380{code}{sub}")
        elif form == 2:
            out.append(f"0{code}{sub}")
        else:
            out.append(f"+38 (0{code}) {sub[:3]}-{sub[3:5]}-{sub[5:]}")
    random.Random(n * 7 + start).shuffle(out)
    return out


def reset_messages() -> None:
    """Empties the message tables between benchmarks (each starts from the same state)."""
    with connection.cursor() as c:
        c.execute("TRUNCATE messaging_receiptinbox, messaging_messagepart, messaging_viberdetail, messaging_viberinbound, "
                  "messaging_message, "
                  "messaging_inboundmessage, messaging_campaign, lifecycle_complaint_messages RESTART IDENTITY")


def analyze() -> None:
    """What autovacuum does within a minute of a bulk load: fresh planner statistics."""
    with connection.cursor() as c:
        for table in ("messaging_message", "messaging_messagepart", "messaging_receiptinbox"):
            c.execute(f"ANALYZE {table}")


def _copy(table: str, columns: tuple[str, ...], rows) -> None:
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join("\\N" if v is None else str(v) for v in row))
        buf.write("\n")
    with connection.cursor() as c:
        with c.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            copy.write(buf.getvalue())


MSG_COLS = ("public_id", "client_id", "batch_id", "sender", "recipient", "text", "encoding", "segments", "price",
            "price_currency", "status", "route_id", "is_bulk", "send_at", "valid_until", "operator", "error_code",
            "error_detail", "created_at", "updated_at", "submitted_at")


def messages_bulk(*, client, route, n: int, status: str, start: int = 0, submitted: bool = False) -> list[int]:
    """n one-part messages on `route` in `status`, as one send whose price is held on the wallet
    (`send:<batch>`, what the connector captures from at submit). Returns their ids in order."""
    import uuid

    now = timezone.now()
    iso = now.isoformat()
    until = (now + timedelta(hours=24)).isoformat()
    batch = uuid.uuid4()
    rows = ((uuid.uuid4(), client.pk, batch, SENDER, p, TEXT, "gsm7", 1, "0.8500", "UAH", status, route.pk, "t",
             iso, until, "kyivstar", "", "", iso, iso, iso if submitted else None)
            for p in phones(n, start=start, spellings=False))
    with transaction.atomic():
        _copy(Message._meta.db_table, MSG_COLS, rows)
        if not submitted:
            wallet_hold(client=client, amount=Decimal("0.85") * n, key=f"send:{batch}", description=f"{n} SMS (bench)")
    return list(
Message.objects.filter(batch_id=batch).order_by("id").values_list("id", flat=True))


def parts_bulk(*, route, message_ids: list[int], status: str, smsc_id) -> None:
    """One part per message, with an SMSC id `smsc_id(i)` (None: no id)."""
    iso = timezone.now().isoformat()
    cols = ("message_id", "seq", "route_id", "status", "smsc_message_id", "error_code", "attempts", "created_at",
            "submitted_at")
    rows = ((mid, 1, route.pk, status, smsc_id(i), "", 1, iso, iso) for i, mid in enumerate(message_ids))
    with transaction.atomic():
        _copy(MessagePart._meta.db_table, cols, rows)


def count(sql: str, params=()) -> int:
    with connection.cursor() as c:
        c.execute(sql, params)
        return c.fetchone()[0]


__all__ = ["Seeded", "seed", "phones", "reset_messages", "analyze", "messages_bulk", "parts_bulk", "count",
           "ReceiptInbox", "TEXT", "SENDER", "ROUTE"]
