"""1. Accept: a 100,000-recipient campaign through the API, side by side with PostgreSQL COPY.

Product side: POST /api/v1/campaigns/ with a real API key through Django's test client, in this
process (the full middleware, DRF, authentication, JSON parsing, the campaign services and the
database; not the HTTP socket, which for a 2.4 MB body on loopback costs milliseconds). The
JSON body is encoded before the clock starts. Timed from the request to the 201 response, when
every message is stored `queued`, priced, and its price reserved in one hold
(captured per message when the connector submits it).

Limit: the same 100,000 rows (the product's own columns, copied out of the table just filled),
deleted, the table vacuumed, then COPY'd back into the same table with the same indexes in one
transaction, timed to the commit.

Warm-up: one 1,000-recipient campaign first (imports, URL resolver, phonenumbers metadata,
database connection): a running server is warm. The tables are emptied after it.
"""
from __future__ import annotations

import io
import json
import time
from decimal import Decimal

from django.db import connection, transaction
from django.test import Client as HttpClient

from billing.models import LedgerEntry, Wallet
from messaging.models import Campaign, Message
from messaging.services.send import MESSAGE_COLUMNS

from . import seed as S
from .profiling import SqlTimer, print_summary, profile_call
from .report import figure

TARGET_S = 5.0
TARGET_RATIO = 4.0


def _post(http, key: str, body: bytes):
    return http.post("/api/v1/campaigns/", data=body, content_type="application/json",
                     HTTP_AUTHORIZATION=f"Bearer {key}")


def _body(n: int, start: int, name: str) -> bytes:
    return json.dumps({"name": name, "sender": S.SENDER, "text": S.TEXT,
                       "recipients": S.phones(n, start=start)}).encode()


def _copy_limit(campaign_id: int) -> tuple[float, int]:
    cols = ", ".join(MESSAGE_COLUMNS)
    table = Message._meta.db_table
    buf = io.BytesIO()
    with connection.cursor() as c:
        with c.cursor.copy(f"COPY (SELECT {cols} FROM {table} WHERE campaign_id = %s ORDER BY id) TO STDOUT",
                           [campaign_id]) as copy:
            for chunk in copy:
                buf.write(chunk)
        c.execute(f"DELETE FROM {table} WHERE campaign_id = %s", [campaign_id])
        n = c.rowcount
        c.execute(f"VACUUM {table}")
    data = buf.getvalue()
    t0 = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as c:
            with c.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                copy.write(data)
    elapsed = time.perf_counter() - t0
    back = S.count(f"SELECT count(*) FROM {table} WHERE campaign_id = %s", [campaign_id])
    assert back == n, (back, n)
    return elapsed, n


def run(ctx, n: int, profile: str) -> dict:
    seeded = ctx.seeded
    http = HttpClient()
    S.reset_messages()

    # warm-up (untimed)
    r = _post(http, seeded.api_key, _body(1000, 900_000, "bench warm-up"))
    assert r.status_code == 201, r.content[:500]
    S.reset_messages()
    S.analyze()

    wallet = Wallet.objects.get(client=seeded.client)
    available_before = wallet.available.amount
    held_before = wallet.held.amount
    entries_before = LedgerEntry.objects.filter(wallet=wallet).count()
    body = _body(n, 0, "bench accept")
    t0 = time.perf_counter()
    r = _post(http, seeded.api_key, body)
    elapsed = time.perf_counter() - t0
    assert r.status_code == 201, r.content[:500]
    out = r.json()

    campaign = Campaign.objects.get(public_id=out["id"])
    stored = Message.objects.filter(campaign=campaign, status="queued").count()
    with connection.cursor() as c:
        c.execute("SELECT coalesce(sum(price), 0) FROM messaging_message WHERE campaign_id = %s", [campaign.pk])
        priced = c.fetchone()[0]
    # Accept reserves the campaign's price in one hold (captured later, at submit).
    hold = LedgerEntry.objects.get(wallet=wallet, idempotency_key=f"campaign:{campaign.public_id}")
    wallet.refresh_from_db()
    checks = {
        "accepted": out["counts"]["accepted"], "stored_queued": stored, "sum_of_prices": str(priced),
        "held": str(hold.held_delta.amount), "campaign_total_price": out["total_price"],
        "available_moved_by": str(available_before - wallet.available.amount),
        "held_moved_by": str(wallet.held.amount - held_before),
        "ledger_entries_added": LedgerEntry.objects.filter(wallet=wallet).count() - entries_before,
    }
    ok = (stored == n and out["counts"]["accepted"] == n and priced == hold.held_delta.amount
          and available_before - wallet.available.amount == priced and wallet.held.amount - held_before == priced
          and checks["ledger_entries_added"] == 1 and priced == Decimal("0.85") * n)

    copy_s, copied = _copy_limit(campaign.pk)
    ratio = elapsed / copy_s
    passed = ok and elapsed <= TARGET_S and ratio <= TARGET_RATIO
    print(f"  accept: {n:,} recipients in {elapsed:.2f} s ({n / elapsed:,.0f} rows/s); "
          f"COPY of the same rows {copy_s:.2f} s ({copied / copy_s:,.0f} rows/s); ratio {ratio:.1f}×; "
          f"stored/priced/reserved correctly: {ok}" + ("" if ok else f" {checks}"))
    res = {
        "name": "accept", "n": n, "method": "Django test client in-process, real API key, JSON body pre-encoded; "
                                             "one warm-up campaign of 1,000 first",
        "body_bytes": len(body), "checks": checks, "correct": ok,
        "figures": [
            figure(name=f"campaign of {n:,} via API", value=elapsed, unit="s",
                   limit_name=f"COPY {copied:,} rows", limit_value=copy_s, ratio=ratio, ratio_text=f"{ratio:.1f}×",
                   target=f"≤ {TARGET_S:g} s and ≤ {TARGET_RATIO:g}× COPY", passed=passed),
            figure(name="accept rows/s", value=n / elapsed, unit="rows/s", limit_name="COPY rows/s",
                   limit_value=copied / copy_s, ratio=copy_s / elapsed, ratio_text=f"{100 * copy_s / elapsed:.0f} %",
                   target="(report)", passed=None),
        ],
    }
    if profile == "always" or (profile == "auto" and not passed):
        S.reset_messages()
        S.analyze()
        body2 = _body(n, 0, "bench accept (profiled)")
        with SqlTimer() as sql:
            r2, summary = profile_call(_post, http, seeded.api_key, body2)
        assert r2.status_code == 201, r2.content[:300]
        summary["sql"] = sql.summary()
        print_summary("POST /api/v1/campaigns/ with 100,000 recipients", summary)
        res["profile"] = summary
    S.reset_messages()
    return res
