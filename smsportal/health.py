"""GET /healthz: is smsportal working? JSON for load balancers and monitoring, 200 or 503.

Checks: the database answers, the broker accepts a connection, every active route has at least
one bind up (its connector's heartbeat, messaging.services.binds), and delivery receipts are
matched within SMSPORTAL_HEALTH_MAX_RECEIPT_LAG seconds. `/healthz?scope=web` checks only what a
web process needs to serve (database and broker): a load balancer in front of the web processes
uses it, so a dead SMPP route does not take the website out as well.

No login, no session, no cookie: ProbeMiddleware answers before the host check and the HTTPS
redirect (a balancer asks by IP over plain HTTP). Each check is one cheap query or connect."""
from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Min
from django.http import JsonResponse
from django.utils import timezone

log = logging.getLogger("smsportal.health")


def _database() -> dict:
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
        cur.fetchone()
    return {"ok": True}


def _broker() -> dict:
    from smsportal.celery import app

    with app.connection_for_write(url=settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
        conn.default_channel  # noqa: B018 - Redis connects lazily: this makes it talk to the server
    return {"ok": True}


def _routes(now) -> dict:
    from messaging.models import BindHeartbeat, Route

    fresh = now - timedelta(seconds=settings.SMSPORTAL_BIND_STALE_SECONDS)
    up: dict[int, int] = {}
    for route_id in BindHeartbeat.objects.filter(heartbeat_at__gte=fresh, bound_since__isnull=False).values_list(
            "route_id", flat=True):
        up[route_id] = up.get(route_id, 0) + 1
    routes = [{"route": name, "binds_up": up.get(pk, 0), "binds": binds, "ok": up.get(pk, 0) > 0}
              for pk, name, binds in Route.objects.filter(is_active=True).values_list("pk", "name", "binds")]
    return {"ok": all(r["ok"] for r in routes), "routes": routes}


def _receipts(now) -> dict:
    from messaging.models import ReceiptInbox

    oldest = ReceiptInbox.objects.filter(processed_at__isnull=True).aggregate(t=Min("received_at"))["t"]
    lag = max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
    return {"ok": lag <= settings.SMSPORTAL_HEALTH_MAX_RECEIPT_LAG, "lag_seconds": round(lag, 1)}


def health_report(*, scope: str = "all") -> tuple[bool, dict]:
    """(healthy, details): each check's {"ok": …}; a check that raises is not ok with its error."""
    now = timezone.now()
    checks = {"database": _database, "broker": _broker}
    if scope != "web":
        checks |= {"routes": lambda: _routes(now), "receipts": lambda: _receipts(now)}
    results = {}
    for name, check in checks.items():
        started = time.monotonic()
        try:
            results[name] = check()
        except Exception as exc:  # a health check reports failures, it does not raise them
            # The answer names the kind of failure only: /healthz needs no login, and a driver's
            # message can carry host names and user names. The whole message goes to the log.
            log.error("health check %s failed: %s", name, exc)
            results[name] = {"ok": False, "error": type(exc).__name__}
            if name == "database":
                connection.close()  # a broken connection is not reused by the next request
        results[name]["ms"] = round((time.monotonic() - started) * 1000, 1)
    healthy = all(r["ok"] for r in results.values())
    return healthy, {"status": "ok" if healthy else "fail", "checks": results}


def healthz(request):
    healthy, body = health_report(scope="web" if request.GET.get("scope") == "web" else "all")
    response = JsonResponse(body, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response


class ProbeMiddleware:
    """First in MIDDLEWARE: answers /healthz and /metrics before the host check (ALLOWED_HOSTS),
    the HTTPS redirect, sessions and CSRF, since balancers and Prometheus ask by IP over HTTP.
    Every other request passes through untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD"):
            if request.path == "/healthz":
                return healthz(request)
            if request.path == "/metrics":
                from smsportal.metrics import metrics

                return metrics(request)
        return self.get_response(request)
