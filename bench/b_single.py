"""5. single: one-recipient sends per second through gunicorn over real HTTP, next to a bare view.

Server: gunicorn as a subprocess on a free loopback port, with the production settings plus one
bench-only URL (bench/web_settings.py, bench/web_urls.py), on the bench database. Two shapes are
run one after the other: the production configuration (deploy/gunicorn.conf.py: gthread,
2 × cores + 1 workers of 4 threads, a database pool of 4 per worker, keep-alive; WEB_CONCURRENCY
and WEB_THREADS change it as in production), and WORKERS sync workers (one request per worker
at a time, a connection per request).

Load: CLIENTS threads in this process, each with its own `http.client` connection (kept alive
where the server allows it: sync workers close after each response, so those clients reconnect),
all with the same API key, sharing a fixed count of requests. Each request is timed from sending
to the last byte of the answer.

Measured: `POST /api/v1/messages/` with one distinct recipient each (a GSM-7 one-part text, the
service type), answered 201 with the message `queued`: the send is priced, its price held on the
wallet and the message stored. No connector runs: its NOTIFY goes nowhere.
Limit: `POST /bench/bare/` on the same server: the same middleware, DRF, API-key authentication
and JSON, then one INSERT of a small row in autocommit.
Checked afterwards: one stored message and one hold per 201, and the wallet's held amount moved
by their prices. Also reported: SQL statements per send (counted in this process through
Django's test client) and the CPU each side used per request.

Target: sends/s ≥ 50 % of the bare view's requests/s and p99 ≤ 100 ms, at CLIENTS concurrent
clients of one key, with the production configuration. With a fixed number of clients that each
wait for their answer, the mean latency is CLIENTS ÷ throughput (Little's law): p99 ≤ 100 ms at
50 clients needs more than 500 requests/s, which on 2 shared cores the bare view itself does not
reach; the p99 part of the target is reported next to the bare view's p99 for that reason.
"""
from __future__ import annotations

import http.client
import json
import os
import statistics
import threading
import time
from decimal import Decimal

from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from billing.models import LedgerEntry, Wallet
from messaging.models import Message

from . import env
from . import seed as S
from .procs import PY, CpuMeter, Group, Proc, free_port, wait_for_port
from .profiling import SqlTimer, print_summary, profile_call
from .report import figure
from .web_urls import BARE_TABLE_SQL

CLIENTS = int(os.environ.get("BENCH_SINGLE_CLIENTS", "50"))
WORKERS = int(os.environ.get("BENCH_SINGLE_WORKERS", "4"))
WARMUP = 200
P99_TARGET_MS = 100.0
RATIO_TARGET = 0.5
TIMEOUT = 120.0
# The TurboSMS facade (messaging.turbosms), measured next to /api/v1/messages/ on the same server:
# the same send through the adapter, at the root of its host name.
TURBOSMS_HOST = "turbosms.bench.local"
TURBOSMS_PATH = "/message/send.json"
TURBOSMS_OK = b'"response_code":800'
FACADE_TARGET = 0.9


def _gunicorn(group: Group, port: int, *, production: bool) -> tuple[Proc, str]:
    if production:
        args = [PY, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "smsportal.wsgi:application"]
        workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1) + 1)
        shape = f"production config (gthread {workers}×{int(os.environ.get('WEB_THREADS') or 4)})"
    else:
        args = [PY, "-m", "gunicorn", "smsportal.wsgi:application", "--bind", f"127.0.0.1:{port}",
                "--worker-class", "sync", "--workers", str(WORKERS), "--access-logfile", "-"]
        shape = f"sync ×{WORKERS}"
    proc = group.add(Proc("gunicorn-production" if production else "gunicorn-sync", args,
                          DJANGO_SETTINGS_MODULE="bench.web_settings", WEB_BIND=f"127.0.0.1:{port}",
                          TURBOSMS_HOSTS=TURBOSMS_HOST))
    wait_for_port(port, timeout=30)
    return proc, shape


def _load(port: int, path: str, bodies: list[bytes], key: str, clients: int, *, host: str | None = None,
          expect: bytes | None = None) -> dict:
    """`clients` threads share `bodies` (one request each); returns wall time and latencies.
    `host`: the Host header (the facade's host name); `expect`: a 200 counts as accepted only when
    its body holds these bytes (else it is counted under `refused`): the facade answers 200 to
    refusals too."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json", "Accept": "application/json"}
    if host:
        headers["Host"] = host
    lock = threading.Lock()
    nxt = iter(range(len(bodies)))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    deadline = time.monotonic() + TIMEOUT

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, codes = [], {}
        try:
            while time.monotonic() < deadline:
                with lock:
                    i = next(nxt, None)
                if i is None:
                    break
                t0 = time.perf_counter()
                try:
                    conn.request("POST", path, body=bodies[i], headers=headers)
                    resp = conn.getresponse()
                    payload = resp.read()
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                mine.append(time.perf_counter() - t0)
                codes[resp.status] = codes.get(resp.status, 0) + 1
                refused = expect is not None and expect not in payload
                if refused:
                    codes["refused"] = codes.get("refused", 0) + 1
                if (resp.status >= 300 or refused) and len(errors) < 5:
                    with lock:
                        errors.append(f"{resp.status}: {payload[:200]!r}")
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)
                for k, v in codes.items():
                    statuses[k] = statuses.get(k, 0) + v

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    latencies.sort()

    def pct(p):
        return 1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else None

    return {"latencies": latencies, "requests": len(latencies), "wall_s": wall, "per_s": len(latencies) / wall if wall else 0.0,
            "p50_ms": pct(0.50), "p99_ms": pct(0.99), "max_ms": 1000 * latencies[-1] if latencies else None,
            "mean_ms": 1000 * statistics.fmean(latencies) if latencies else None, "statuses": statuses,
            "errors": errors[:5]}


def _send_bodies(n: int, start: int) -> list[bytes]:
    return [json.dumps({"sender": S.SENDER, "recipients": [p], "text": S.TEXT}).encode()
            for p in S.phones(n, start=start, spellings=False)]


def _facade_bodies(n: int, start: int) -> list[bytes]:
    """The same sends as TurboSMS clients write them."""
    return [json.dumps({"recipients": [p.lstrip("+")], "sms": {"sender": S.SENDER, "text": S.TEXT}}).encode()
            for p in S.phones(n, start=start, spellings=False)]


def _bare_bodies(n: int) -> list[bytes]:
    return [json.dumps({"text": S.TEXT}).encode()] * n


def _queries_per_send(key: str) -> list[str]:
    """The SQL statements of one send after a first one (warm caches), via Django's test client."""
    http = HttpClient()
    body = _send_bodies(2, 900_000)
    for b in body[:1]:
        http.post("/api/v1/messages/", data=b, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
    with CaptureQueriesContext(connection) as ctx:
        r = http.post("/api/v1/messages/", data=body[1], content_type="application/json",
                      HTTP_AUTHORIZATION=f"Bearer {key}")
    if r.status_code != 201:
        raise RuntimeError(f"send → {r.status_code}: {r.content[:300]!r}")
    return [" ".join(q["sql"].split())[:90] for q in ctx.captured_queries]


def _one_shape(group: Group, seeded, n: int, *, production: bool, start: int) -> dict:
    port = free_port()
    server, shape = _gunicorn(group, port, production=production)
    key = seeded.api_key
    # Warm-up: every worker imports, connects and fills its caches before the clock.
    _load(port, "/bench/bare/", _bare_bodies(WARMUP), key, CLIENTS)
    warm = _load(port, "/api/v1/messages/", _send_bodies(WARMUP, start), key, CLIENTS)
    if warm["statuses"].get(201, 0) != WARMUP:
        raise RuntimeError(f"warm-up sends ({shape}): {warm['statuses']} {warm['errors']}\n{server.tail()}")
    start += WARMUP
    facade = production  # the facade next to the API's sends, in the judged configuration only
    if facade:
        warm = _load(port, TURBOSMS_PATH, _facade_bodies(WARMUP, start), key, CLIENTS, host=TURBOSMS_HOST,
                     expect=TURBOSMS_OK)
        if warm["statuses"].get(200, 0) != WARMUP or warm["statuses"].get("refused"):
            raise RuntimeError(f"warm-up facade sends ({shape}): {warm['statuses']} {warm['errors']}\n{server.tail()}")
        start += WARMUP

    meter = CpuMeter({"gunicorn": server}).start()
    bare = _load(port, "/bench/bare/", _bare_bodies(n), key, CLIENTS)
    bare_cpu = meter.stop()
    # The facade's n sends in two halves, one before and one after the API's n, so that a drift
    # of the machine's load during the run weighs on both alike.
    halves = []
    if facade:
        before_f = _money(seeded.client)
        meter_f = CpuMeter({"gunicorn": server}).start()
        halves.append(_load(port, TURBOSMS_PATH, _facade_bodies(n // 2, start), key, CLIENTS, host=TURBOSMS_HOST,
                            expect=TURBOSMS_OK))
        start += n // 2
        facade_cpu = [meter_f.stop()]
        mid_f = _money(seeded.client)
    before = _money(seeded.client)
    meter = CpuMeter({"gunicorn": server}).start()
    sends = _load(port, "/api/v1/messages/", _send_bodies(n, start), key, CLIENTS)
    send_cpu = meter.stop()
    after = _money(seeded.client)
    start += n
    if facade:
        meter_f = CpuMeter({"gunicorn": server}).start()
        halves.append(_load(port, TURBOSMS_PATH, _facade_bodies(n - n // 2, start), key, CLIENTS,
                            host=TURBOSMS_HOST, expect=TURBOSMS_OK))
        facade_cpu.append(meter_f.stop())
        start += n - n // 2
        after_f = _money(seeded.client)
    server.stop()

    ok = sends["statuses"].get(201, 0)
    checks = {
        "sends_201": ok,
        "messages_stored": after["messages"] - before["messages"],
        "holds_made": after["holds"] - before["holds"],
        "held_moved": str(after["held"] - before["held"]),
        "expected_held": str(Decimal("0.85") * ok),
    }
    checks["ok"] = (ok == n and checks["messages_stored"] == ok and checks["holds_made"] == ok
                    and after["held"] - before["held"] == Decimal("0.85") * ok)

    def per_request(cpu, count):
        return {k: round(1000 * v["cpu_s"] / count, 2) for k, v in cpu.items() if k != "wall_s" and count}

    turbosms = None
    if facade:
        lat = sorted(x for h in halves for x in h.pop("latencies"))
        wall = sum(h["wall_s"] for h in halves)
        statuses: dict = {}
        for h in halves:
            for k, v in h["statuses"].items():
                statuses[k] = statuses.get(k, 0) + v
        accepted = statuses.get(200, 0) - statuses.get("refused", 0)
        stored = (mid_f["messages"] - before_f["messages"]) + (after_f["messages"] - after["messages"])
        holds = (mid_f["holds"] - before_f["holds"]) + (after_f["holds"] - after["holds"])
        turbosms = {"requests": len(lat), "wall_s": wall, "per_s": len(lat) / wall if wall else 0.0,
                    "p50_ms": 1000 * lat[len(lat) // 2] if lat else None,
                    "p99_ms": 1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))] if lat else None,
                    "statuses": statuses, "errors": [e for h in halves for e in h["errors"]][:5],
                    "checks": {"accepted_800": accepted, "messages_stored": stored, "holds_made": holds,
                               "ok": accepted == n and stored == n and holds == n}}
        turbosms["cpu_ms_per_send"] = {
            k: round(1000 * sum(c[k]["cpu_s"] for c in facade_cpu) / len(lat), 2)
            for k in facade_cpu[0] if k != "wall_s" and lat}
        print(f"    CPU ms per request: TurboSMS facade send {turbosms['cpu_ms_per_send']}")
        print(f"  {shape}: TurboSMS facade sends {turbosms['per_s']:,.0f}/s p50 {turbosms['p50_ms']:.1f} ms "
              f"p99 {turbosms['p99_ms']:.1f} ms ({statuses}); /api/v1/ {sends['per_s']:,.0f}/s")
        if not turbosms["checks"]["ok"]:
            print(f"    FACADE CHECK FAILED: {turbosms['checks']} {turbosms['errors']}")
    print(f"  {shape}: sends {sends['per_s']:,.0f}/s p50 {sends['p50_ms']:.1f} ms p99 {sends['p99_ms']:.1f} ms "
          f"(max {sends['max_ms']:.0f} ms; {sends['statuses']}); bare {bare['per_s']:,.0f}/s p50 "
          f"{bare['p50_ms']:.1f} ms p99 {bare['p99_ms']:.1f} ms ({bare['statuses']})")
    print(f"    CPU ms per request: send {per_request(send_cpu, sends['requests'])}")
    print(f"    CPU ms per request: bare {per_request(bare_cpu, bare['requests'])}")
    if sends["errors"]:
        print(f"    errors: {sends['errors']}")
    if not checks["ok"]:
        print(f"    CHECK FAILED: {checks}")
    return {"shape": shape, "sends": _rounded(sends), "bare": _rounded(bare), "checks": checks,
            "cpu_ms_per_send": per_request(send_cpu, sends["requests"]),
            "cpu_ms_per_bare": per_request(bare_cpu, bare["requests"]), "next_start": start,
            "turbosms": _rounded(turbosms) if turbosms else None}


def _rounded(d: dict) -> dict:
    return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in d.items() if k != "latencies"}


def _money(client) -> dict:
    wallet = Wallet.objects.get(client=client)
    return {"messages": Message.objects.filter(client=client).count(),
            "holds": LedgerEntry.objects.filter(wallet=wallet, kind="hold").count(), "held": wallet.held.amount}


def run(ctx, n: int, profile: str) -> dict:
    from django.core.management import call_command

    seeded = ctx.seeded
    # The web server refuses to start without the static files' manifest (smsportal.checks).
    call_command("collectstatic", interactive=False, verbosity=0)
    with connection.cursor() as c:
        c.execute(BARE_TABLE_SQL)
    queries = _queries_per_send(seeded.api_key)
    print(f"  SQL statements per send (warm, in process): {len(queries)}")
    for q in queries:
        print(f"    {q}")
    shapes = []
    start = 0
    with Group() as group:
        for production in (True, False):
            shape = _one_shape(group, seeded, n, production=production, start=start)
            start = shape.pop("next_start")
            shapes.append(shape)
    S.reset_messages()

    figures = []
    passed_all = True
    for i, shape in enumerate(shapes):
        sends, bare = shape["sends"], shape["bare"]
        ratio = sends["per_s"] / bare["per_s"] if bare["per_s"] else 0.0
        judged = i == 0  # the target is for the production configuration
        passed = ratio >= RATIO_TARGET and sends["p99_ms"] <= P99_TARGET_MS and shape["checks"]["ok"]
        if judged:
            passed_all = passed
        figures.append(figure(
            name=f"single sends/s, {CLIENTS} clients of one key, gunicorn {shape['shape']}",
            value=sends["per_s"], unit="sends/s", limit_name="bare view (API key + 1 INSERT)",
            limit_value=bare["per_s"], ratio=ratio, ratio_text=f"{100 * ratio:.0f} %",
            target=f"≥ {100 * RATIO_TARGET:.0f} % and p99 ≤ {P99_TARGET_MS:.0f} ms" if judged else "report",
            passed=passed if judged else (None if shape["checks"]["ok"] else False),
            note=f"send p50 {sends['p50_ms']} ms, p99 {sends['p99_ms']} ms; bare p50 {bare['p50_ms']} ms, "
                 f"p99 {bare['p99_ms']} ms"))
        figures.append(figure(name=f"single send p50 / p99, gunicorn {shape['shape']}", value=sends["p99_ms"],
                              unit="ms", limit_name="bare view p99", limit_value=bare["p99_ms"],
                              ratio_text=f"p50 {sends['p50_ms']:.1f} ms", target="report"))
        t = shape.get("turbosms")
        if t:
            ratio = t["per_s"] / sends["per_s"] if sends["per_s"] else 0.0
            figures.append(figure(
                name=f"TurboSMS facade sends/s (/message/send.json), gunicorn {shape['shape']}",
                value=t["per_s"], unit="sends/s", limit_name="/api/v1/messages/ sends/s, same server",
                limit_value=sends["per_s"], ratio=ratio, ratio_text=f"{100 * ratio:.0f} %",
                target=f"≥ {100 * FACADE_TARGET:.0f} %", passed=ratio >= FACADE_TARGET and t["checks"]["ok"],
                note=f"facade p50 {t['p50_ms']} ms, p99 {t['p99_ms']} ms; API p50 {sends['p50_ms']} ms, "
                     f"p99 {sends['p99_ms']} ms; gunicorn CPU per send: facade "
                     f"{t['cpu_ms_per_send'].get('gunicorn')} ms, API {shape['cpu_ms_per_send'].get('gunicorn')} ms"))
    res = {"name": "single", "n": n, "clients": CLIENTS, "figures": figures, "shapes": shapes,
           "sql_per_send": queries}

    if profile == "always" or (profile == "auto" and not passed_all):
        # The send in this process under cProfile (the server's own CPU split is above).
        http = HttpClient()
        bodies = _send_bodies(200, 800_000)

        def sends():
            for b in bodies:
                r = http.post("/api/v1/messages/", data=b, content_type="application/json",
                              HTTP_AUTHORIZATION=f"Bearer {seeded.api_key}")
                if r.status_code != 201:
                    raise RuntimeError(f"send → {r.status_code}: {r.content[:300]!r}")

        with SqlTimer() as sql:
            _, summary = profile_call(sends)
        summary["sql"] = sql.summary()
        print_summary("200 single sends in process", summary)
        res["profile"] = summary
        S.reset_messages()
    return res


__all__ = ["run", "env"]
