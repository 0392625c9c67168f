"""2. Dispatch: parts/s from `queued` to `submitted` through ONE connector bind, receipts flowing
back on it, side by side with a bare smpplib loop against the same simulator.

Setup (untimed): N + warm-up one-part messages stored `scheduled` on the bench route (window 50,
TPS 0); the SMSC simulator as a subprocess (`manage.py smsc_simulator --receipt-delay 0`).

Limit: bench/bare_smpp.py as a subprocess: same window, TCP_NODELAY, the same PDUs (built from
the same rows with the product's own segment encoder), reading every response and receipt and
answering deliver_sm_resp. Warm-up of 1,000 first. Timed from the first submit_sm to the last
submit_sm_resp.

Product: `manage.py smpp_connector --route bench` as a subprocess, started and bound before the
clock. Warm-up: 1,000 messages released (the beat job's `messages_release_due`) and sent, their
receipts stored. Then the N are released in one call; the clock starts when that call returns
(the rows are `queued` and the connector has its NOTIFY) and stops when the database shows no
message of the route left scheduled/queued/submitting (polled every 20 ms with a count on the
claim index). Receipts are stored by the connector (inbox rows) but not matched: no worker runs.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from messaging import segments
from messaging.models import Message, MessagePart, ReceiptInbox, Route
from messaging.services import messages_release_due

from . import env
from . import seed as S
from .procs import CpuMeter, Group, Proc, free_port, pg_counters, pg_delta, print_cpu, purge_queue, wait_bound
from .profiling import print_summary, summarize_file
from .report import figure

WINDOW = 50
WARMUP = 1000
TARGET_RATE = 2000.0
TARGET_SHARE = 0.5
PROFILE_N = 5_000

OPEN = ("scheduled", "queued", "submitting")


def _pdus(route: Route, ids: list[int]) -> list[dict]:
    """The fields of the submit_sm the connector sends for these messages (connector._submit)."""
    out = []
    for mid, sender, recipient, text in Message.objects.filter(pk__in=ids).order_by("id").values_list(
            "id", "sender", "recipient", "text"):
        alnum = not sender.lstrip("+").isdigit()
        for payload in segments.submit_payloads(text, ref=mid % 256):
            out.append({"service_type": route.system_type or "",
                        "source_addr_ton": route.alnum_source_ton if alnum else 1,
                        "source_addr_npi": route.alnum_source_npi if alnum else 1,
                        "source_addr": sender, "destination_addr": recipient.lstrip("+"),
                        "esm_class": payload.esm_class, "data_coding": payload.data_coding,
                        "short_message": payload.short_message.hex()})
    return out


def _remaining(route_id: int) -> int:
    return S.count("SELECT count(*) FROM messaging_message WHERE route_id = %s AND status = ANY(%s)",
                   [route_id, list(OPEN)])


def _wait(predicate, timeout: float, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def bare_loop(port: int, pdus: list[dict], warmup: int) -> dict:
    path = Path(env.VAR_DIR) / "bare-pdus.json"
    path.write_text(json.dumps(pdus))
    proc = subprocess.run([sys.executable, str(env.BENCH / "bare_smpp.py"), "--port", str(port), "--pdus", str(path),
                           "--window", str(WINDOW), "--warmup", str(warmup)],
                          capture_output=True, text=True, timeout=300, cwd=env.ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"bare smpplib loop failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def product_run(group: Group, route: Route, n: int, sim: Proc, *, profile_to: Path | None = None) -> dict:
    """Connector subprocess; warm-up release, then the measured one. Messages must be stored
    `scheduled` already (WARMUP first by id, then n)."""
    conn = group.connector(route.name, profile_to=profile_to)
    wait_bound(conn)
    inbox0 = ReceiptInbox.objects.count()
    released = messages_release_due(limit=WARMUP)
    assert released == WARMUP, released
    if not _wait(lambda: _remaining(route.pk) == n, timeout=60):
        raise RuntimeError(f"warm-up did not finish: {_remaining(route.pk) - n} left\n{conn.tail()}")
    _wait(lambda: ReceiptInbox.objects.count() >= inbox0 + WARMUP, timeout=30)

    pg_before = pg_counters()
    t_release = time.perf_counter()
    released = messages_release_due(limit=n)
    t0 = time.perf_counter()
    pg_released = pg_counters()
    meter = CpuMeter({"connector": conn, "simulator": sim}).start()
    assert released == n, released
    done = _wait(lambda: _remaining(route.pk) == 0, timeout=max(60.0, n / 200))
    t1 = time.perf_counter()
    cpu = meter.stop()
    left = _remaining(route.pk)
    receipts_done = _wait(lambda: ReceiptInbox.objects.count() >= inbox0 + WARMUP + n, timeout=30)
    t2 = time.perf_counter()
    conn_alive = conn.alive()
    conn.stop()
    time.sleep(0.5)  # statistics of the backends that just closed
    pg_after = pg_counters()
    submitted = MessagePart.objects.filter(route=route, status="submitted").count()
    failed = Message.objects.filter(route=route, status="failed").count()
    ids = MessagePart.objects.filter(route=route).exclude(smsc_message_id=None).values("smsc_message_id")
    distinct_ids = ids.distinct().count()
    out = {"release_s": t0 - t_release, "submit_s": t1 - t0, "receipts_stored_s": (t2 - t0) if receipts_done else None,
           "left_open": left, "parts_submitted": submitted, "messages_failed": failed,
           "distinct_smsc_ids": distinct_ids, "connector_alive_at_end": conn_alive, "done": done and left == 0,
           "cpu": cpu,
           # database work from the release to the connector's stop (submits, receipts stored, this
           # process's polling), and of the release alone
           "pg_work": pg_delta(pg_released, pg_after, n), "pg_release": pg_delta(pg_before, pg_released, n)}
    if not out["done"]:
        out["connector_log_tail"] = conn.tail(2000)
    return out


def _pg_text(d: dict) -> str:
    tables = "; ".join(f"{t}: " + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in c.items())
                       for t, c in d.items() if isinstance(c, dict) and c)
    return f"{d['commits']:,} commits; {tables}"


def _setup(route: Route, client, n: int) -> list[int]:
    S.reset_messages()
    ids = S.messages_bulk(client=client, route=route, n=WARMUP + n, status="scheduled")
    S.analyze()
    return ids


def run(ctx, n: int, profile: str) -> dict:
    client = ctx.seeded.client
    port = free_port()
    Route.objects.filter(name=S.ROUTE).update(port=port, window_size=WINDOW, tps_limit=0, binds=1, is_active=True)
    route = Route.objects.get(name=S.ROUTE)
    res = {"name": "dispatch", "n": n, "window": WINDOW, "warmup": WARMUP,
           "method": "simulator, connector and bare loop as subprocesses on loopback; receipt delay 0"}
    with Group() as group:
        sim = group.simulator(port, receipt_delay=0)
        ids = _setup(route, client, n)
        bare = bare_loop(port, _pdus(route, ids), WARMUP)
        res["bare"] = bare
        m = bare["measured"]
        if not m["submit_s"] or m["errors"]:
            raise RuntimeError(f"bare loop incomplete: {m}")
        bare_rate = m["n"] / m["submit_s"]
        print(f"  bare smpplib loop: {m['n']:,} parts in {m['submit_s']:.2f} s = {bare_rate:,.0f} parts/s "
              f"(all receipts in {m['receipts_s'] or float('nan'):.2f} s)")

        prod = product_run(group, route, n, sim)
        res["product"] = prod
        purge_queue()
        if not prod["done"]:
            res["figures"] = [figure(name="parts/s queued→submitted", value=0, unit="parts/s",
                                     limit_name="bare smpplib loop", limit_value=bare_rate, target="finish",
                                     passed=False, note="connector did not finish")]
            res["error"] = f"connector did not submit all {n:,} parts: {prod['left_open']:,} left open"
            print("  " + res["error"])
            print(prod.get("connector_log_tail", ""))
            return res
        rate = n / prod["submit_s"]
        share = rate / bare_rate
        correct = prod["distinct_smsc_ids"] == prod["parts_submitted"] and prod["messages_failed"] == 0
        passed = rate >= TARGET_RATE and share >= TARGET_SHARE and correct
        print(f"  connector: {n:,} parts in {prod['submit_s']:.2f} s = {rate:,.0f} parts/s ({100 * share:.0f} % of "
              f"the bare loop); receipts stored after {prod['receipts_stored_s'] or float('nan'):.2f} s; "
              f"release took {prod['release_s']:.2f} s (not counted)")
        print_cpu(prod["cpu"])
        print(f"  database work for the {n:,} parts (until the connector stopped): {_pg_text(prod['pg_work'])}")
        print(f"  bare loop CPU: {m['cpu_s']:.1f} s for {m['n']:,} parts")
        res["correct"] = correct
        res["figures"] = [figure(name="parts/s queued→submitted, 1 bind", value=rate, unit="parts/s",
                                 limit_name="bare smpplib loop", limit_value=bare_rate, ratio=share,
                                 ratio_text=f"{100 * share:.0f} %",
                                 target=f"≥ {TARGET_RATE:,.0f}/s and ≥ {100 * TARGET_SHARE:.0f} %", passed=passed)]
        if prod["receipts_stored_s"] and m["receipts_s"]:
            r_rate, b_rate = n / prod["receipts_stored_s"], m["n"] / m["receipts_s"]
            res["figures"].append(figure(name="parts/s incl. receipts stored", value=r_rate, unit="parts/s",
                                         limit_name="bare loop incl. receipts", limit_value=b_rate,
                                         ratio=r_rate / b_rate, ratio_text=f"{100 * r_rate / b_rate:.0f} %",
                                         target="(report)", passed=None))

        res["figures"].append(figure(name=f"release of {n:,} scheduled (beat job)", value=n / prod["release_s"],
                                     unit="rows/s", target="(report)", passed=None,
                                     note=f"messages_release_due(limit={n}) took {prod['release_s']:.2f} s"))

        if profile == "always" or (profile == "auto" and not passed):
            pn = min(n, PROFILE_N)
            _setup(route, client, pn)
            prof_path = Path(env.VAR_DIR) / "connector.prof"
            pres = product_run(group, route, pn, sim, profile_to=prof_path)
            purge_queue()
            if prof_path.exists():
                summary = summarize_file(prof_path)
                summary["n"] = pn
                summary["rate_under_profiler"] = round(pn / pres["submit_s"], 1) if pres["done"] else None
                print_summary(f"the connector process sending {pn:,} parts (all its threads)", summary)
                res["profile"] = summary
            else:
                print("  (the profiled connector wrote no statistics)")
    S.reset_messages()
    return res
