"""3. Receipts: delivery receipts applied per second (`receipts_apply`), side by side with the
same state change done by PostgreSQL in three set-based statements.

Setup (untimed): N one-part messages `submitted` with their parts (SMSC ids in hex, as the
simulator gives them), then N DELIVRD receipts stored through the product's `receipts_store` in
batches of 500 (how the connector stores them; timed separately and reported: stored/s), then
ANALYZE.

Product: `receipts_apply()` called until it returns 0, in this process, exactly the loop of
the Celery task `messages.receipts_apply`; timed until every receipt is matched and every message
`delivered` (checked after).

Limit: the states put back (parts and messages `submitted`, receipts unprocessed), the tables
vacuumed, then one transaction: UPDATE parts FROM inbox (join on route and SMSC id), UPDATE
messages of the matched parts, UPDATE inbox processed. The floor for the same rows changed.
(It assumes one part per message; the product also handles multi-part messages.)
"""
from __future__ import annotations

import os
import time

from django.db import connection, transaction
from django.utils import timezone

from messaging.models import Message, MessagePart, ReceiptInbox
from messaging.services import receipts_apply, receipts_store

from . import seed as S
from .profiling import SqlTimer, print_summary, profile_call
from .report import figure

TARGET_RATE = 5000.0
STORE_BATCH = 500
TIME_CAP = 40.0  # seconds: the apply loop stops here (reported) so that a slow build cannot stall the run


def _receipt(smsc_id: str, now: str) -> tuple[str, str, str, str]:
    raw = (f"id:{smsc_id} sub:001 dlvrd:001 submit date:{now} done date:{now} stat:DELIVRD err:000 "
           f"text:Your order 4711 is r")
    return smsc_id, "DELIVRD", "000", raw


def _smsc_id(i: int) -> str:
    return f"{0x5A000000 + i:x}"


def _setup(ctx, n: int) -> float:
    S.reset_messages()
    route = ctx.seeded.route
    if os.environ.get("BENCH_RECEIPTS_WEBHOOK"):
        # Measure with a status webhook configured: every receipt then writes an outbox event too.
        from messaging.models import WebhookEndpoint, WebhookEvent  # noqa: PLC0415

        WebhookEvent.objects.all().delete()
        WebhookEndpoint.objects.update_or_create(client=ctx.seeded.client, defaults={
            "url": "http://127.0.0.1:9/bench-hook", "secret": "whsec_bench"})
    ids = S.messages_bulk(client=ctx.seeded.client, route=route, n=n, status="submitted", submitted=True)
    S.parts_bulk(route=route, message_ids=ids, status="submitted", smsc_id=_smsc_id)
    S.analyze()
    stamp = timezone.now().strftime("%y%m%d%H%M")
    receipts = [_receipt(_smsc_id(i), stamp) for i in range(n)]
    t0 = time.perf_counter()
    for i in range(0, n, STORE_BATCH):
        with transaction.atomic():
            receipts_store(route_id=route.pk, receipts=receipts[i:i + STORE_BATCH])
    stored_s = time.perf_counter() - t0
    S.analyze()
    return stored_s


def _apply_all(cap: float = TIME_CAP) -> tuple[int, int, bool]:
    """The Celery task's loop; stops after `cap` seconds (then the result says so)."""
    total = calls = 0
    deadline = time.perf_counter() + cap
    while (k := receipts_apply()) > 0:
        total += k
        calls += 1
        if time.perf_counter() > deadline:
            return total, calls, True
    return total, calls, False


def _put_back() -> None:
    with connection.cursor() as c:
        c.execute("UPDATE messaging_messagepart SET status = 'submitted', done_at = NULL")
        c.execute("UPDATE messaging_message SET status = 'submitted', done_at = NULL")
        c.execute("UPDATE messaging_receiptinbox SET processed_at = NULL, attempts = 0")
        for table in ("messaging_messagepart", "messaging_message", "messaging_receiptinbox"):
            c.execute(f"VACUUM ANALYZE {table}")


def _sql_apply() -> int:
    with transaction.atomic(), connection.cursor() as c:
        c.execute("""
            WITH parts AS (
                UPDATE messaging_messagepart p SET status = 'delivered', done_at = now()
                FROM messaging_receiptinbox r
                WHERE r.processed_at IS NULL AND r.stat = 'DELIVRD' AND r.route_id = p.route_id
                  AND r.smsc_message_id = p.smsc_message_id AND p.status = 'submitted'
                RETURNING p.message_id)
            UPDATE messaging_message m SET status = 'delivered', done_at = now(), updated_at = now()
            FROM parts WHERE m.id = parts.message_id AND m.status = 'submitted'""")
        n = c.rowcount
        c.execute("UPDATE messaging_receiptinbox SET processed_at = now() WHERE processed_at IS NULL")
    return n


def _delivered() -> int:
    return Message.objects.filter(status="delivered").count()


def run(ctx, n: int, profile: str) -> dict:
    stored_s = _setup(ctx, n)
    print(f"  stored {n:,} receipts with receipts_store in batches of {STORE_BATCH}: {stored_s:.2f} s "
          f"({n / stored_s:,.0f}/s)")

    t0 = time.perf_counter()
    matched, calls, capped = _apply_all()
    elapsed = time.perf_counter() - t0
    delivered = _delivered()
    if os.environ.get("BENCH_RECEIPTS_WEBHOOK"):
        from messaging.models import WebhookEvent  # noqa: PLC0415

        print(f"  webhook events written: {WebhookEvent.objects.count():,}")
    parts_delivered = MessagePart.objects.filter(status="delivered").count()
    unprocessed = ReceiptInbox.objects.filter(processed_at=None).count()
    ok = matched == delivered == parts_delivered and matched + unprocessed == n and (capped or matched == n)
    rate = matched / elapsed
    if capped:
        print(f"  receipts_apply stopped at the {TIME_CAP:.0f} s cap: {matched:,} of {n:,} matched")

    _put_back()
    t0 = time.perf_counter()
    sql_n = _sql_apply()
    sql_s = time.perf_counter() - t0
    assert sql_n == n and _delivered() == n, (sql_n, _delivered())
    sql_rate = n / sql_s
    passed = ok and not capped and rate >= TARGET_RATE
    print(f"  receipts_apply: {matched:,} receipts in {elapsed:.2f} s = {rate:,.0f}/s ({calls} batches); "
          f"set-based SQL: {sql_s:.2f} s = {sql_rate:,.0f}/s; all matched and delivered: {ok}")
    res = {"name": "receipts", "n": n, "method": "receipts_apply() in-process until 0, as the Celery task does",
           "checks": {"matched": matched, "messages_delivered": delivered, "parts_delivered": parts_delivered,
                      "unprocessed_left": unprocessed, "batches": calls, "stopped_at_time_cap": capped,
                      "seconds": round(elapsed, 3)},
           "correct": ok,
           "figures": [
               figure(name="receipts applied/s", value=rate, unit="/s", limit_name="set-based SQL",
                      limit_value=sql_rate, ratio=rate / sql_rate, ratio_text=f"{100 * rate / sql_rate:.1f} %",
                      target=f"≥ {TARGET_RATE:,.0f}/s", passed=passed,
                      note=f"stopped at the {TIME_CAP:.0f} s cap after {matched:,} of {n:,}" if capped else ""),
               figure(name="receipts stored/s (receipts_store)", value=n / stored_s, unit="/s",
                      target="(report)", passed=None),
           ]}
    if profile == "always" or (profile == "auto" and not passed):
        # One call (one batch of up to 5,000, like every call of the task's loop), under cProfile.
        _put_back()
        with SqlTimer() as sql:
            one, summary = profile_call(receipts_apply)
        summary["sql"] = sql.summary()
        summary["scope"] = f"one receipts_apply() call: {one:,} receipts"
        print_summary(f"one receipts_apply() call ({one:,} receipts)", summary)
        res["profile"] = summary
    S.reset_messages()
    return res
