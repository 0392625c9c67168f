"""7. viber: the Viber provider seam (messaging.viber), two figures.

Sends: N messages through the HTTP adapter (`HttpViberProvider`, its keep-alive pool shared by
THREADS threads in this process) to `manage.py viber_simulator` as a child process (no callback:
it still plays every scenario's steps into its own state), from `send()` called to `Accepted`
returned. Every recipient ends in "12" (the plain delivered + seen scenario). Limit: the same
threads POSTing the same requests, encoded before the clock, with bare `http.client` keep-alive
connections that read the answer without parsing it — the simulator's own ceiling; the ratio is
what the adapter adds. Warm-up: 500 sends first. Checked: N distinct provider ids.

Webhooks: N status events, each in its own signed webhook (as the simulator sends them), then
N in webhooks of 100, run through `webhook_parse` (HMAC check, timestamp, nonce recorded in a
Redis cache as in production, JSON to events) and `status_apply` into a dict of states. Bodies and
signatures are made before the clock. Limit: what a replay-safe check cannot avoid, the
HMAC-SHA256 of each body and one raw `SET NX EX` of its nonce in the same Redis.

Accept → provider-accepted: `viber_send` of welcome messages (1,000 recipients a send) and the
dispatcher sending them to the simulator until every one is SUBMITTED (captured, provider id
stored); its limit is the adapter alone.

No target in the issue: the figures are reported. Runs in `bench/run.py` (`--only viber`), or alone
(no database needed):  .venv/bin/python -m bench.b_viber [N]
"""
from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

THREADS = 4
WARMUP = 500
BATCH = 100
SECRET = "whsec_bench_viber"


def _cpu_seconds(pid: int) -> float:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = raw[raw.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _messages(prefix: str, n: int):
    from messaging.viber.provider import OutgoingMessage

    return [OutgoingMessage(message_id=f"{prefix}-{i}", sender="BenchShop", phone=f"+38067{i % 100000:05d}12",
                            text=f"Spring sale for you, order {i}: -20% on everything", ttl=3600,
                            button_caption="Open the shop", button_url="https://shop.example.com/sale",
                            sequence_id=f"{prefix}-{i}") for i in range(n)]


def _in_threads(work, items: list) -> tuple[float, list[float]]:
    """Runs work(item) over items on THREADS threads; (seconds, per-call latencies)."""
    chunks = [items[i::THREADS] for i in range(THREADS)]
    latencies: list[list[float]] = [[] for _ in range(THREADS)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS + 1)

    def loop(k: int) -> None:
        own, lat = chunks[k], latencies[k]
        state = {}
        barrier.wait()
        try:
            for item in own:
                t0 = time.perf_counter()
                work(item, state)
                lat.append(time.perf_counter() - t0)
        except BaseException as exc:  # noqa: BLE001 (re-raised below)
            errors.append(exc)

    threads = [threading.Thread(target=loop, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return seconds, sorted(x for lat in latencies for x in lat)


def _pct(sorted_values: list[float], q: float) -> float:
    return round(1000 * sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))], 2)


def measure_sends(n: int, start_simulator) -> dict:
    from messaging.viber import wire
    from messaging.viber.http import HttpViberProvider
    from messaging.viber.provider import Accepted

    port, pid, stop = start_simulator()
    try:
        provider = HttpViberProvider(base_url=f"http://127.0.0.1:{port}", token="bench", timeout=10,
                                     pool_size=THREADS)
        for m in _messages("warm", WARMUP):
            assert isinstance(provider.send(m), Accepted)

        # limit: the same requests, encoded before the clock, bare keep-alive POSTs
        bodies = [json.dumps(wire.send_request(m), separators=(",", ":")).encode() for m in _messages("bare", n)]
        headers = {"Content-Type": "application/json; charset=utf-8", "Authorization": "Bearer bench"}

        def bare(body, state):
            conn = state.get("conn") or state.setdefault("conn", http.client.HTTPConnection("127.0.0.1", port,
                                                                                          timeout=10))
            conn.request("POST", wire.SEND_PATH, body=body, headers=headers)
            response = conn.getresponse()
            if response.status != 200 or b'"response_code":0' not in response.read():
                raise RuntimeError("bare send not accepted")

        cpu0 = _cpu_seconds(pid)
        bare_s, bare_lat = _in_threads(bare, bodies)
        bare_cpu = _cpu_seconds(pid) - cpu0

        messages = _messages("bench", n)
        ids: list[str] = []
        lock = threading.Lock()

        def send(m, state):
            answer = provider.send(m)
            if not isinstance(answer, Accepted):
                raise RuntimeError(f"refused: {answer}")
            with lock:
                ids.append(answer.provider_id)

        cpu0, own0 = _cpu_seconds(pid), time.process_time()
        send_s, send_lat = _in_threads(send, messages)
        send_cpu, own_cpu = _cpu_seconds(pid) - cpu0, time.process_time() - own0
        provider.close()
    finally:
        stop()
    return {"n": n, "send_rate": n / send_s, "send_s": send_s, "p50_ms": _pct(send_lat, 0.5),
            "p99_ms": _pct(send_lat, 0.99), "bare_rate": n / bare_s, "bare_p50_ms": _pct(bare_lat, 0.5),
            "bare_p99_ms": _pct(bare_lat, 0.99), "distinct_ids": len(set(ids)),
            "simulator_cpu_ms_per_send": round(1000 * send_cpu / n, 3),
            "simulator_cpu_ms_per_bare": round(1000 * bare_cpu / n, 3),
            "bench_cpu_ms_per_send": round(1000 * own_cpu / n, 3)}


def measure_webhooks(n: int, redis_url: str, batch: int = 1) -> dict:
    import redis
    from messaging.viber import wire
    from messaging.viber.provider import StatusEvent, ViberState, status_apply
    from messaging.viber.signing import signature_headers
    from messaging.viber.webhooks import webhook_parse

    at = datetime.now(timezone.utc)
    run = f"{time.time_ns():x}"
    statuses = ("sent", "delivered", "seen")
    events = [StatusEvent(provider_id=f"p-{run}-{i // 3}", status=statuses[i % 3], at=at, event_id=f"e-{run}-{i}")
              for i in range(n)]
    bodies = [json.dumps({"events": [wire.status_event_json(e) for e in events[i:i + batch]]},
                         separators=(",", ":")).encode() for i in range(0, n, batch)]
    requests = [(body, signature_headers(secret=SECRET, raw_body=body)) for body in bodies]

    # limit: what a replay-safe check cannot avoid: the HMAC, and one SET NX of the nonce in Redis
    raw_redis = redis.Redis.from_url(redis_url)
    t0 = time.perf_counter()
    for body, headers in requests:
        hmac.new(SECRET.encode(), body + b"." + headers["X-Nonce"].encode() + b"." + headers["X-Timestamp"].encode(),
                 hashlib.sha256).hexdigest()
        raw_redis.set(f"bench-viber-floor:{headers['X-Nonce']}", 1, nx=True, ex=600)
    floor_s = time.perf_counter() - t0
    raw_redis.close()

    nonces = _redis_nonces(redis_url)
    states: dict[str, ViberState] = {}
    applied = 0
    t0 = time.perf_counter()
    for body, headers in requests:
        for event in webhook_parse(raw_body=body, headers=headers, secret=SECRET, nonces=nonces):
            new = status_apply(states.get(event.provider_id) or ViberState(), event)
            if new is not None:
                states[event.provider_id] = new
                applied += 1
    product_s = time.perf_counter() - t0
    seen = sum(1 for s in states.values() if s.status == "seen")
    if applied != n or seen != n // 3:
        raise RuntimeError(f"{applied:,} of {n:,} events applied, {seen:,} messages seen of {n // 3:,}")
    return {"n": n, "batch": batch, "rate": n / product_s, "floor_rate": n / floor_s, "webhooks": len(requests)}


ACCEPT_MAX = 2_000  # messages of the accept → provider-accepted figure (1,000 per send)


def _viber_client(client):
    """The seeded client made ready for Viber: contract, Viber on, an approved Viber sender, Viber
    prices in EUR and the day's rate (bench.seed makes an SMS-only client)."""
    from django.utils import timezone
    from djmoney.money import Money

    from billing.models import ExchangeRate, Tariff, TariffPrice
    from senders.models import SenderName

    type(client).objects.filter(pk=client.pk).update(contract_status="signed", viber_enabled=True)
    client.refresh_from_db()
    SenderName.objects.get_or_create(client=client, name="BenchViber", channel="viber",
                                     defaults={"status": SenderName.Status.APPROVED})
    tariff = Tariff.objects.order_by("-valid_from").first()
    TariffPrice.objects.get_or_create(tariff=tariff, channel="viber", message_type="service",
                                      defaults={"price": Money("0.0200", "EUR")})
    ExchangeRate.objects.get_or_create(date=timezone.localdate(), currency="EUR", defaults={"rate": "45"})
    return client


def measure_accept_to_accepted(client, n: int, start_simulator) -> dict:
    """viber_send (welcome messages, 1,000 recipients a send: validated, screened, priced, held,
    stored) then the dispatcher (claim, the HTTP adapter to the simulator, SUBMITTED + capture),
    timed from the first accept to the last message SUBMITTED, in this process (one dispatcher)."""
    from messaging.models import Message
    from messaging.viber.dispatch import viber_dispatch
    from messaging.viber.http import HttpViberProvider
    from messaging.viber.service import ViberRequest, viber_send

    client = _viber_client(client)
    request = ViberRequest(sender="BenchViber", viber_type="welcome", text="Welcome to BenchShop! Info: +380441234567")
    port, _pid, stop = start_simulator()
    try:
        provider = HttpViberProvider(base_url=f"http://127.0.0.1:{port}", token="bench", timeout=10)
        run = time.time_ns() % 10**5
        phones = [f"+38067{(run + i) % 10**5:05d}12" for i in range(n)]
        t0 = time.perf_counter()
        for i in range(0, n, 1000):
            viber_send(client=client, recipients=phones[i:i + 1000], request=request)
        accept_s = time.perf_counter() - t0
        viber_dispatch(provider=provider, limit=200)
        total_s = time.perf_counter() - t0
        submitted = Message.objects.filter(client=client, channel="viber", recipient__in=phones,
                                           status="submitted").count()
        provider.close()
    finally:
        stop()
    if submitted != n:
        raise RuntimeError(f"{submitted:,} of {n:,} Viber messages submitted")
    return {"n": n, "rate": n / total_s, "accept_rate": n / accept_s, "seconds": round(total_s, 2)}


def measure_webhooks_db(client, batch: int = BATCH) -> dict:
    """Status events applied to the database through the real webhook view (`POST /viber/webhook/`
    called in-process with a RequestFactory request: signature, nonce, parse, `events_apply`:
    each event's row update, once, forward only, then the fallback check): sent, delivered, seen
    for every Viber message the accept figure left SUBMITTED, in webhooks of `batch` events. Bodies
    and signatures are made before the clock. Checked: every message delivered and seen."""
    from django.test import RequestFactory, override_settings

    from messaging.models import Message, ViberDetail
    from messaging.viber import wire
    from messaging.viber.provider import StatusEvent
    from messaging.viber.signing import signature_headers
    from messaging.viber.views import viber_webhook

    pids = list(ViberDetail.objects.filter(message__client=client, message__status="submitted",
                                           provider_message_id__gt="").values_list("provider_message_id", flat=True))
    if not pids:
        raise RuntimeError("no submitted Viber message to apply events to")
    at = datetime.now(timezone.utc)
    run = f"{time.time_ns():x}"
    events = [StatusEvent(provider_id=pid, status=status, at=at, event_id=f"db-{run}-{i}-{status}")
              for status in ("sent", "delivered", "seen") for i, pid in enumerate(pids)]
    factory = RequestFactory()
    requests = []
    for i in range(0, len(events), batch):
        body = json.dumps({"events": [wire.status_event_json(e) for e in events[i:i + batch]]},
                          separators=(",", ":")).encode()
        headers = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in signature_headers(secret=SECRET,
                                                                                          raw_body=body).items()}
        requests.append(factory.post("/viber/webhook/", data=body, content_type="application/json", **headers))
    applied = 0
    with override_settings(SMSPORTAL_VIBER_WEBHOOK_SECRET=SECRET):
        t0 = time.perf_counter()
        for request in requests:
            response = viber_webhook(request)
            if response.status_code != 200:
                raise RuntimeError(f"webhook answered {response.status_code}: {response.content[:200]!r}")
            applied += json.loads(response.content)["applied"]
        seconds = time.perf_counter() - t0
    delivered = Message.objects.filter(viber__provider_message_id__in=pids, status="delivered").count()
    seen = ViberDetail.objects.filter(provider_message_id__in=pids, seen_at__isnull=False).count()
    if delivered != len(pids) or seen != len(pids):
        raise RuntimeError(f"{delivered:,} delivered and {seen:,} seen of {len(pids):,} messages "
                           f"({applied:,} events applied)")
    return {"n": len(events), "messages": len(pids), "batch": batch, "rate": len(events) / seconds,
            "applied": applied, "webhooks": len(requests), "seconds": round(seconds, 2)}


def _simulator_in_group(group):
    from .procs import PY, Proc, free_port, wait_for_port

    def start():
        port = free_port()
        proc = group.add(Proc("viber-simulator", [PY, "manage.py", "viber_simulator", "--port", str(port),
                                                   "--delay", "0.5"]))
        wait_for_port(port)
        return port, proc.popen.pid, proc.stop
    return start


def _redis_nonces(url: str):
    from django.core.cache.backends.redis import RedisCache

    return RedisCache(url, {"KEY_PREFIX": "bench-viber"})


def _figures(sends: dict, hooks: list[dict], redis_url: str, accept: dict | None = None,
             db_hooks: dict | None = None) -> list[dict]:
    from .report import figure

    ok = sends["distinct_ids"] == sends["n"]
    out = [figure(name=f"Viber sends/s, adapter → provider-accepted via the simulator ({THREADS} threads)",
                  value=sends["send_rate"], unit="sends/s", limit_name="bare keep-alive POSTs, pre-encoded",
                  limit_value=sends["bare_rate"], ratio=sends["send_rate"] / sends["bare_rate"],
                  ratio_text=f"{100 * sends['send_rate'] / sends['bare_rate']:.0f} %", target="report",
                  passed=None if ok else False,
                  note=f"p50 {sends['p50_ms']} ms, p99 {sends['p99_ms']} ms (bare {sends['bare_p50_ms']} / "
                       f"{sends['bare_p99_ms']} ms); simulator CPU {sends['simulator_cpu_ms_per_send']} ms/send; "
                       f"bench process CPU {sends['bench_cpu_ms_per_send']} ms/send; "
                       f"{sends['distinct_ids']:,} distinct provider ids")]
    for h in hooks:
        out.append(figure(name=f"Viber status events verified+parsed+applied/s, {h['batch']} per webhook",
                          value=h["rate"], unit="events/s", limit_name="HMAC + one Redis SET NX per webhook",
                          limit_value=h["floor_rate"], ratio=h["rate"] / h["floor_rate"],
                          ratio_text=f"{100 * h['rate'] / h['floor_rate']:.0f} %", target="report",
                          note=f"{h['webhooks']:,} webhooks; nonces in Redis ({redis_url})"))
    if accept:
        out.append(figure(name="Viber messages/s, accept (viber_send) → provider-accepted (one dispatcher, 4 sending threads)",
                          value=accept["rate"], unit="msgs/s", limit_name=f"the adapter alone ({THREADS} threads)",
                          limit_value=sends["send_rate"], ratio=accept["rate"] / sends["send_rate"],
                          ratio_text=f"{100 * accept['rate'] / sends['send_rate']:.0f} %", target="report",
                          note=f"{accept['n']:,} welcome messages in sends of 1,000; accept alone "
                               f"{accept['accept_rate']:,.0f} msgs/s; each SUBMITTED and captured"))
    if db_hooks:
        memory = next((h for h in hooks if h["batch"] == db_hooks["batch"]), None)
        out.append(figure(name=f"Viber status events applied to the database/s, through the webhook view, "
                               f"{db_hooks['batch']} per webhook",
                          value=db_hooks["rate"], unit="events/s",
                          limit_name="the same webhooks verified + parsed + applied to a dict",
                          limit_value=memory["rate"] if memory else None,
                          ratio=db_hooks["rate"] / memory["rate"] if memory else None,
                          ratio_text=f"{100 * db_hooks['rate'] / memory['rate']:.0f} %" if memory else "",
                          target="report",
                          note=f"{db_hooks['messages']:,} submitted Viber messages × sent, delivered, seen; "
                               f"{db_hooks['webhooks']:,} webhooks; {db_hooks['applied']:,} events changed a row; "
                               f"each message checked delivered and seen"))
    return out


def _print(sends: dict, hooks: list[dict]) -> None:
    print(f"  sends: {sends['send_rate']:,.0f}/s (p50 {sends['p50_ms']} ms, p99 {sends['p99_ms']} ms); bare POSTs "
          f"{sends['bare_rate']:,.0f}/s; simulator CPU {sends['simulator_cpu_ms_per_send']} ms/send, bench "
          f"{sends['bench_cpu_ms_per_send']} ms/send")
    for h in hooks:
        print(f"  webhooks ({h['batch']}/POST): {h['rate']:,.0f} events/s; HMAC + Redis SET NX alone {h['floor_rate']:,.0f}/s")


def run(ctx, n: int, profile: str) -> dict:
    from . import env
    from .procs import Group

    with Group() as group:
        sends = measure_sends(n, _simulator_in_group(group))
        accept = measure_accept_to_accepted(ctx.seeded.client, min(n, ACCEPT_MAX), _simulator_in_group(group))
    db_hooks = measure_webhooks_db(ctx.seeded.client)
    hooks = [measure_webhooks(n, env.BROKER, batch=1), measure_webhooks(n, env.BROKER, batch=BATCH)]
    _print(sends, hooks)
    print(f"  accept → provider-accepted: {accept['rate']:,.0f} msgs/s (accept alone {accept['accept_rate']:,.0f}/s)")
    print(f"  webhooks applied to the database ({db_hooks['batch']}/POST, the view): {db_hooks['rate']:,.0f} "
          f"events/s ({db_hooks['messages']:,} messages, {db_hooks['applied']:,} events changed a row)")
    return {"name": "viber", "n": n, "sends": sends, "webhooks": hooks, "accept": accept, "webhooks_db": db_hooks,
            "figures": _figures(sends, hooks, env.BROKER, accept, db_hooks)}


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench import env

    env.configure()
    import django

    django.setup()
    from bench.procs import Group

    size = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with Group() as g:
        result_sends = measure_sends(size, _simulator_in_group(g))
    result_hooks = [measure_webhooks(size, env.BROKER, batch=1), measure_webhooks(size, env.BROKER, batch=BATCH)]
    _print(result_sends, result_hooks)
