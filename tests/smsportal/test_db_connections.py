"""A web process holds a bounded number of PostgreSQL connections however many requests come at
once (settings.py, `# --- database`): a threaded server draws from a pool of DB_POOL_MAX_SIZE
connections instead of opening one per thread, so 40 concurrent API calls answer without a 500
("too many clients") and leave no idle connections beyond the bound.

The servers run for real, in a subprocess against the test database; pg_stat_activity is read
by the application name each one is given."""
import http.client
import json
import os
import sys
import threading
import time
import uuid

import pytest
import redis
from django.db import connection

from accounts.services import api_key_create
from tests.e2e.processes import QUEUE, free_port, running, wait_for_port

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

CONCURRENT = 40


def _connections(app_name: str) -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND datname = %s",
                    [app_name, connection.settings_dict["NAME"]])
        return cur.fetchone()[0]


def _call(port: int, method: str, path: str, key: str, body: dict | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Authorization": f"Bearer {key}", "Host": "127.0.0.1"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=payload, headers=headers)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def _burst(port: int, key: str, app_name: str, n: int) -> tuple[list[tuple[int, bytes]], int]:
    """n requests released at once (half campaign POSTs, half balance reads); returns their
    answers and the most connections the server process held while they ran."""
    barrier = threading.Barrier(n)
    answers: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        barrier.wait()
        if i % 2:
            res = _call(port, "POST", "/api/v1/campaigns/", key,
                        {"sender": "TestShop", "text": f"load {i}", "recipients": [f"+38067{i:07d}"]})
        else:
            res = _call(port, "GET", "/api/v1/balance/", key)
        with lock:
            answers.append(res)

    peak = 0
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        peak = max(peak, _connections(app_name))
        time.sleep(0.02)
    for t in threads:
        t.join()
    return answers, max(peak, _connections(app_name))


def _ready(port: int, key: str, proc, procs) -> None:
    wait_for_port(port, timeout=30)
    status, body = _call(port, "GET", "/api/v1/balance/", key)
    assert status == 200, (status, body[:300], procs.logs())


SERVERS = {
    # runserver (`make run`) starts a thread per TCP connection: only the pool bounds it. Its listen
    # backlog is 10 (WSGIServer.request_queue_size): more connections at once are reset by the
    # kernel before Django sees them, so it gets 10.
    "runserver": (lambda port: [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                  {"DB_POOL_MAX_SIZE": 4}, 4, 10),
    # gunicorn as Procfile.prod runs it: 2 workers × 4 threads, a pool of 4 per worker.
    "gunicorn": (lambda port: [sys.executable, "-m", "gunicorn", "smsportal.wsgi", "--bind", f"127.0.0.1:{port}",
                               "--workers", "2", "--threads", "4", "--worker-class", "gthread"],
                 {"DB_POOL_MAX_SIZE": 4}, 8, CONCURRENT),
}


@pytest.mark.parametrize("server", SERVERS)
def test_concurrent_requests_stay_within_the_connection_bound(client_account, server):
    _key, raw = api_key_create(client=client_account, name="load")
    args, env, bound, n = SERVERS[server]
    app_name = f"smsportal-test-{uuid.uuid4().hex[:8]}"
    port = free_port()
    with running() as procs:
        proc = procs.start(f"web-{server}", args(port), DB_APPLICATION_NAME=app_name, ALLOWED_HOSTS="127.0.0.1",
                           SECURE_SSL_REDIRECT="false", **env)
        try:
            _ready(port, raw, proc, procs)
            answers, peak = _burst(port, raw, app_name, n)
            statuses = sorted(status for status, _body in answers)
            assert len(answers) == n
            assert all(status in (200, 201) for status in statuses), (
                [(s, b[:200]) for s, b in answers if s >= 300], procs.logs())
            assert 0 < peak <= bound, (peak, bound)
            # The connections stay bounded after the burst too (none left idle per thread).
            assert _connections(app_name) <= bound
        finally:
            # The campaigns' tasks went to this session's private queue; no worker reads it here.
            redis.Redis.from_url(os.environ.get("E2E_BROKER_URL", "redis://127.0.0.1:6379/15")).delete(QUEUE)
