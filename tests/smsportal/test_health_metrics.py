"""/healthz for load balancers, /metrics for Prometheus, JSON logs (smsportal.health, .metrics, .logs)."""
import json
import logging
import sys
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from messaging.models import BindHeartbeat, ReceiptInbox
from messaging.services.binds import bind_heartbeats_delete, bind_heartbeats_write
from messaging.status import Status
from smsportal.logs import JsonFormatter
from tests.factories import RouteFactory

pytestmark = pytest.mark.django_db

TOKEN = "scrape-" + "t" * 40


def _bind(n=0, *, up=True, **kw):
    return {"bind": n, "bound_since": timezone.now() if up else None, "window_in_use": 3, "window_size": 10,
            "submitted": 120, "throttled": 4, **kw}


# --- /healthz -----------------------------------------------------------------------------------


def test_healthz_ok_with_every_active_route_bound(client, route):
    bind_heartbeats_write(route_id=route.pk, binds=[_bind(0), _bind(1, up=False)])
    r = client.get("/healthz")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]
    assert body["checks"]["routes"]["routes"] == [{"route": route.name, "binds_up": 1, "binds": route.binds,
                                                   "ok": True}]
    assert body["checks"]["receipts"] == {"ok": True, "lag_seconds": 0.0, "ms": body["checks"]["receipts"]["ms"]}
    assert "Set-Cookie" not in r.headers  # no session for a probe


def test_healthz_503_when_an_active_routes_binds_are_down(client, route):
    bind_heartbeats_write(route_id=route.pk, binds=[_bind(0, up=False)])
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json()["checks"]["routes"]["routes"][0] == {"route": route.name, "binds_up": 0, "binds": 1,
                                                         "ok": False}


def test_healthz_503_when_the_connector_stopped_writing_its_heartbeat(client, route):
    bind_heartbeats_write(route_id=route.pk, binds=[_bind(0)], now=timezone.now() - timedelta(minutes=1))
    assert client.get("/healthz").status_code == 503
    bind_heartbeats_delete(route_id=route.pk)
    assert client.get("/healthz").status_code == 503


def test_healthz_ignores_inactive_routes_and_web_scope_skips_routes(client, route):
    RouteFactory(name="spare", is_active=False)
    r = client.get("/healthz")
    assert r.status_code == 503 and [x["route"] for x in r.json()["checks"]["routes"]["routes"]] == [route.name]
    r = client.get("/healthz?scope=web")
    assert r.status_code == 200 and set(r.json()["checks"]) == {"database", "broker"}


def test_healthz_503_on_receipt_lag(client, route):
    bind_heartbeats_write(route_id=route.pk, binds=[_bind(0)])
    receipt = ReceiptInbox.objects.create(route=route, smsc_message_id="abc", stat="DELIVRD")
    ReceiptInbox.objects.filter(pk=receipt.pk).update(received_at=timezone.now() - timedelta(minutes=10))
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json()["checks"]["receipts"]["ok"] is False and r.json()["checks"]["receipts"]["lag_seconds"] >= 600


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_healthz_503_when_the_broker_is_unreachable(client, route):
    r = client.get("/healthz?scope=web")
    assert r.status_code == 503
    assert r.json()["checks"]["broker"]["ok"] is False and r.json()["checks"]["database"]["ok"] is True
    # No login is needed here: the failure is named by its kind, without the driver's message
    # (which can carry host and user names); the message goes to the log.
    error = r.json()["checks"]["broker"]["error"]
    assert error and ":" not in error and "127.0.0.1" not in r.content.decode()


@override_settings(ALLOWED_HOSTS=["sms.example.com"], SECURE_SSL_REDIRECT=True)
def test_healthz_answers_a_balancer_asking_by_ip_over_http(client, route):
    bind_heartbeats_write(route_id=route.pk, binds=[_bind(0)])
    r = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert r.status_code == 200
    assert client.get("/", HTTP_HOST="10.0.0.7:8000").status_code == 400  # everything else still checks


# --- /metrics -----------------------------------------------------------------------------------


@override_settings(METRICS_TOKEN="")
def test_metrics_off_without_a_token(client):
    assert client.get("/metrics").status_code == 404


@override_settings(METRICS_TOKEN=TOKEN)
def test_metrics_need_the_bearer_token(client):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def _scrape(client) -> dict[str, float]:
    r = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", HTTP_HOST="10.0.0.9:8000")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/plain")
    values = {}
    for line in r.content.decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


@override_settings(METRICS_TOKEN=TOKEN)
def test_metrics_report_queues_binds_receipts_webhooks_and_holds(client, api, route):
    r = api.post("/api/v1/messages/", {"sender": "TestShop", "recipients": ["+380671234567", "+380671234568"],
                                       "text": "hi"}, format="json")
    assert r.status_code in (200, 201, 202), r.content
    from messaging.models import Message, MessagePart

    queued = Message.objects.filter(status=Status.QUEUED).count()
    msg = Message.objects.first()
    MessagePart.objects.create(message=msg, seq=1, route=route, status=Status.SUBMITTED, smsc_message_id="s1",
                               submitted_at=timezone.now())
    ReceiptInbox.objects.create(route=route, smsc_message_id="zz", stat="DELIVRD")
    bind_heartbeats_write(route_id=route.pk, binds=[_bind(0), _bind(1, up=False)], process="host-a:7")

    m = _scrape(client)
    r_ = f'route="{route.name}"'
    assert m["smsportal_up"] == 1
    assert m[f"smsportal_messages_queued{{{r_}}}"] == queued
    assert m[f"smsportal_parts_submitted_total{{{r_}}}"] == 1
    assert m[f"smsportal_parts_in_doubt{{{r_}}}"] == 0
    assert m[f'smsportal_bind_up{{bind="0",process="host-a:7",{r_}}}'] == 1
    assert m[f'smsportal_bind_up{{bind="1",process="host-a:7",{r_}}}'] == 0
    assert m[f'smsportal_bind_window_in_use{{bind="0",process="host-a:7",{r_}}}'] == 3
    assert m[f'smsportal_bind_throttled_total{{bind="0",process="host-a:7",{r_}}}'] == 4
    assert m["smsportal_receipts_unmatched"] == 1
    assert m["smsportal_receipt_lag_seconds"] >= 0
    assert m["smsportal_webhook_events_pending"] == 0
    assert m["smsportal_holds_open"] >= 1 and m["smsportal_held_uah"] > 0


@override_settings(METRICS_TOKEN=TOKEN)
def test_metrics_forget_binds_of_a_connector_gone_silent(client, route):
    bind_heartbeats_write(route_id=route.pk, binds=[_bind(0)], process="gone:1",
                          now=timezone.now() - timedelta(minutes=5))
    assert not any(k.startswith("smsportal_bind_up") for k in _scrape(client))
    assert BindHeartbeat.objects.count() == 1
    bind_heartbeats_write(route_id=route.pk, binds=[_bind(0)], process="new:2",
                          now=timezone.now() + timedelta(hours=2))
    assert list(BindHeartbeat.objects.values_list("process", flat=True)) == ["new:2"]  # old rows deleted


# --- JSON logs ----------------------------------------------------------------------------------


def test_json_formatter_one_object_per_line_with_extra_and_exception():
    fmt = JsonFormatter()
    rec = logging.LogRecord("smsportal.connector", logging.WARNING, __file__, 1, "route %s: %s", ("ks", "down"),
                            None)
    rec.route = "ks"
    out = json.loads(fmt.format(rec))
    assert out["level"] == "WARNING" and out["logger"] == "smsportal.connector"
    assert out["message"] == "route ks: down" and out["route"] == "ks" and out["ts"].endswith("Z")
    try:
        raise ValueError("boom\nline two")
    except ValueError:
        rec = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    line = fmt.format(rec)
    assert "\n" not in line and "ValueError: boom" in json.loads(line)["exc"]


def test_json_formatter_gunicorn_access_fields():
    atoms = {"h": "203.0.113.5", "m": "POST", "U": "/api/v1/messages/", "q": "", "s": "201", "B": "512", "M": "12",
             "a": "curl/8", "f": "-"}
    rec = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, '%(h)s "%(m)s %(U)s" %(s)s', atoms, None)
    out = json.loads(JsonFormatter().format(rec))
    assert out["status"] == 201 and out["ms"] == 12 and out["path"] == "/api/v1/messages/"
    assert out["remote"] == "203.0.113.5" and "referer" not in out and "query" not in out


def test_log_format_json_setting_switches_the_console_handler():
    import subprocess

    code = ("import logging, django; django.setup(); "
            "logging.getLogger('smsportal.test').info('hello %s', 'there', extra={'route': 'r1'})")
    env = {"DJANGO_SETTINGS_MODULE": "smsportal.settings", "LOG_FORMAT": "json", "DEBUG": "true",
           "SMSPORTAL_VAR_DIR": __import__("tempfile").mkdtemp(), "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stderr.strip().splitlines()[-1])
    assert out["message"] == "hello there" and out["route"] == "r1" and out["level"] == "INFO"
