"""4. End to end: 10,000 messages from the API to `delivered` through the real processes.

Processes (subprocesses on loopback, started and ready before the clock): the SMSC simulator
(`--receipt-delay 0`), the SMPP connector of the bench route (one bind, window 50, TPS 0) and a
Celery worker on Redis as in the Procfile (prefork, concurrency 2; it matches receipts, kicked
by the connector). The API call is Django's test client in this process with a real API key.

Warm-up: a 100-recipient campaign through the whole chain to `delivered` first.
Measured: POST /api/v1/campaigns/ with N recipients, then polling (every 50 ms) a count of the
campaign's messages by status until all are `delivered`; wall time from the POST to the last
`delivered`, with the moments when the POST returned and when none was left unsubmitted.
Checked after: every message delivered with one part and a distinct SMSC id, one charge for the
campaign, no refund. Bounded: gives up after TIMEOUT seconds and reports how far it got.
"""
from __future__ import annotations

import json
import time

from django.test import Client as HttpClient

from billing.models import LedgerEntry
from messaging.models import Campaign, MessagePart, Route
from messaging.status import FINAL

from . import seed as S
from .procs import CpuMeter, Group, free_port, pg_counters, pg_delta, print_cpu, purge_queue, wait_bound
from .report import figure

WARMUP = 100
TIMEOUT = 150.0


def _post(http, key: str, n: int, start: int, name: str):
    body = json.dumps({"name": name, "sender": S.SENDER, "text": S.TEXT, "recipients": S.phones(n, start=start)})
    return body, lambda: http.post("/api/v1/campaigns/", data=body.encode(), content_type="application/json",
                                   HTTP_AUTHORIZATION=f"Bearer {key}")


def _counts(campaign_id: int) -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT status, count(*) FROM messaging_message WHERE campaign_id = %s GROUP BY status",
                  [campaign_id])
        return dict(c.fetchall())


def _run_campaign(http, key: str, n: int, start: int, name: str, timeout: float, meter=None) -> dict:
    _body, post = _post(http, key, n, start, name)
    if meter:
        meter.start()
    t0 = time.perf_counter()
    r = post()
    t_accepted = time.perf_counter()
    if r.status_code != 201:
        raise RuntimeError(f"POST /api/v1/campaigns/ → {r.status_code}: {r.content[:300]!r}")
    campaign = Campaign.objects.get(public_id=r.json()["id"])
    t_submitted = None
    counts = {}
    deadline = t0 + timeout
    while time.perf_counter() < deadline:
        counts = _counts(campaign.pk)
        now = time.perf_counter()
        unsubmitted = counts.get("queued", 0) + counts.get("submitting", 0) + counts.get("scheduled", 0)
        if t_submitted is None and unsubmitted == 0:
            t_submitted = now
        final = sum(counts.get(st, 0) for st in FINAL)
        if final == n:
            if meter:
                meter.result = meter.stop()
            return {"campaign": campaign, "done": True, "wall_s": now - t0, "accept_s": t_accepted - t0,
                    "all_submitted_s": (t_submitted or now) - t0, "counts": counts}
        time.sleep(0.05)
    return {"campaign": campaign, "done": False, "wall_s": time.perf_counter() - t0, "accept_s": t_accepted - t0,
            "all_submitted_s": (t_submitted - t0) if t_submitted else None, "counts": counts}


def run(ctx, n: int, profile: str) -> dict:
    seeded = ctx.seeded
    S.reset_messages()
    purge_queue()
    port = free_port()
    Route.objects.filter(name=S.ROUTE).update(port=port, window_size=50, tps_limit=0, binds=1, is_active=True)
    http = HttpClient()
    refunds_before = LedgerEntry.objects.filter(kind__in=["refund", "release"]).count()
    res = {"name": "e2e", "n": n,
           "method": "API in-process (test client), simulator + connector + Celery worker (prefork ×2, Redis) "
                     "as subprocesses; receipt delay 0; warm-up campaign of 100 first"}
    with Group() as group:
        sim = group.simulator(port, receipt_delay=0)
        worker = group.worker()
        if not worker.wait_for_text("ready", 60):
            raise RuntimeError(f"the Celery worker did not start:\n{worker.tail()}")
        conn = group.connector(S.ROUTE)
        wait_bound(conn)

        warm = _run_campaign(http, seeded.api_key, WARMUP, 800_000, "bench e2e warm-up", 60)
        if not warm["done"]:
            raise RuntimeError(f"warm-up campaign not delivered: {warm['counts']}\n{conn.tail()}\n{worker.tail()}")

        meter = CpuMeter({"connector": conn, "celery worker": worker, "simulator": sim})
        meter.result = None
        pg_before = pg_counters()
        out = _run_campaign(http, seeded.api_key, n, 0, "bench e2e", TIMEOUT, meter)
        campaign = out.pop("campaign")
        if meter.result:
            out["cpu"] = meter.result
            print_cpu(meter.result)
        alive = {"connector": conn.alive(), "worker": worker.alive()}
        if not out["done"]:
            out["connector_log_tail"] = conn.tail(1500)
            out["worker_log_tail"] = worker.tail(1500)
    purge_queue()
    time.sleep(0.5)  # statistics of the backends that just closed
    out["pg_work"] = pg_delta(pg_before, pg_counters(), n)

    parts = MessagePart.objects.filter(message__campaign=campaign)
    charges = LedgerEntry.objects.filter(idempotency_key=f"campaign:{campaign.public_id}").count()
    refunds = LedgerEntry.objects.filter(kind__in=["refund", "release"]).count() - refunds_before
    # the campaign's one hold, captured in full as its messages were submitted (per flush, not per message)
    hold = LedgerEntry.objects.filter(idempotency_key=f"campaign:{campaign.public_id}", kind="hold").first()
    captures = LedgerEntry.objects.filter(related=hold, kind="capture") if hold else LedgerEntry.objects.none()
    captured = -sum((c.amount.amount for c in captures), 0)
    checks = {"delivered": out["counts"].get("delivered", 0), "counts": out["counts"],
              "parts": parts.count(), "distinct_smsc_ids": parts.values("smsc_message_id").distinct().count(),
              "campaign_charges": charges, "refunds": refunds, "captures": captures.count(),
              "captured_all": hold is not None and captured == hold.held_delta.amount,
              "processes_alive_at_end": alive}
    ok = (out["done"] and checks["delivered"] == n and checks["parts"] == n and checks["distinct_smsc_ids"] == n and charges == 1
          and refunds == 0 and checks["captured_all"])
    res.update({"checks": checks, "correct": ok, **{k: round(v, 3) if isinstance(v, float) else v
                                                     for k, v in out.items() if k != "counts"}})
    wall = out["wall_s"]
    delivered = checks["delivered"]
    if out["done"]:
        print(f"  {n:,} messages API → delivered in {wall:.2f} s = {n / wall:,.0f} messages/s "
              f"(POST returned after {out['accept_s']:.2f} s, all submitted after {out['all_submitted_s']:.2f} s); "
              f"checks: {ok}")
    else:
        print(f"  NOT DONE after {wall:.0f} s: {out['counts']}")
        print(out.get("connector_log_tail", ""))
        print(out.get("worker_log_tail", ""))
    res["figures"] = [
        figure(name=f"{n:,} messages API→delivered, wall", value=wall, unit="s",
               limit_name="", target="all delivered, charged once (time: report)", passed=ok,
               note="" if out["done"] else f"stopped after {TIMEOUT:.0f} s with {delivered:,} delivered"),
        figure(name="end-to-end messages/s", value=delivered / wall, unit="msg/s", target="(report)", passed=None),
    ]
    S.reset_messages()
    return res
