"""API.md cannot rot: its Python examples run, in order, against a live server with the demo
client (`seed_demo`, as `make run` seeds it), its webhook receiver accepts exactly what
messaging.services.webhooks signs, and it names every endpoint of /api/v1/ and of the facade."""
import io
import re
import threading
import time
from http.server import HTTPServer
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import URLPattern, URLResolver, include, path

from accounts.services import api_key_create

GUIDE = Path(__file__).resolve().parents[2] / "API.md"

# The live server's urlconf: the site with the facade under /turbosms/, as under `make run`
# (TURBOSMS_PATH_PREFIX is on only with DEBUG).
urlpatterns = [path("turbosms/", include("messaging.turbosms.urls")), path("", include("smsportal.urls"))]


def _blocks():
    """(heading, code) of each fenced ```python block, in order."""
    heading, out = "", []
    for match in re.finditer(r"^(#{1,4} [A-Z][^\n]*)$|^```python\n(.*?)^```", GUIDE.read_text(), re.M | re.S):
        if match.group(1):
            heading = match.group(1)
        else:
            out.append((heading, match.group(2)))
    return out


def _run(code, heading, ns):
    try:
        exec(compile(code, f"API.md {heading}", "exec"), ns)
    except Exception as exc:  # name the block that broke
        raise AssertionError(f"The example under {heading!r} failed: {exc!r}") from exc


@pytest.fixture
def demo_key(transactional_db):
    import importlib

    from django.apps import apps as global_apps

    from accounts.selectors import user_get

    # The starting price list `make run` gets from the migrations; an earlier transactional test
    # may have emptied the tables since they ran.
    importlib.import_module("billing.migrations.0005_default_price_list").seed(global_apps, None)
    importlib.import_module("billing.migrations.0010_penalty_rates_refunds").announce_existing_lists(global_apps, None)
    call_command("seed_demo", stdout=io.StringIO())
    client = user_get(email="demo@example.com").client
    _key, raw = api_key_create(client=client, name="guide")
    return client, raw


@pytest.mark.django_db(transaction=True)
def test_api_guide_python_examples_run_as_written(live_server, demo_key, monkeypatch):
    import turbosms.lib

    from messaging.models import Message

    client, raw = demo_key
    monkeypatch.setenv("SMSPORTAL_URL", live_server.url)
    monkeypatch.setenv("SMSPORTAL_KEY", raw)
    monkeypatch.setattr(turbosms.lib, "requests", turbosms.lib.requests)  # the guide's shim, undone after
    blocks = _blocks()
    assert len(blocks) >= 15
    ns = {"__name__": "api_guide"}
    facade_before = None
    with override_settings(IS_SMS_ENABLED=True, SMS_TOKEN=raw, SMS_SIGNATURE="DemoShop", ROOT_URLCONF=__name__):
        for heading, code in blocks:
            if "turbosms.lib.send_sms" in code:
                facade_before = Message.objects.filter(client=client).count()
            _run(code, heading, ns)
    # The blocks really ran: the sends are there, and the PyPI client's send reached the facade.
    assert facade_before is not None
    assert Message.objects.filter(client=client).count() == facade_before + 1
    assert Message.objects.filter(client=client, channel="viber").exists()


def _serve(handler):
    server = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_api_guide_webhook_receiver_accepts_exactly_our_signature(settings):
    from messaging.services.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, webhook_post

    settings.SMSPORTAL_WEBHOOK_ALLOW_PRIVATE = True
    (heading, code), = [b for b in _blocks() if "BaseHTTPRequestHandler" in b[1]]
    ns = {"__name__": "api_guide"}
    _run(code, heading, ns)
    ns["SECRET"] = "whsec_guide"
    assert (SIGNATURE_HEADER, TIMESTAMP_HEADER) == ("X-Smsportal-Signature", "X-Smsportal-Timestamp")
    assert f'"{SIGNATURE_HEADER}"' in code and f'"{TIMESTAMP_HEADER}"' in code
    server = _serve(ns["Receiver"])
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        body = b'{"events":[{"id":"e1","type":"message.status","status":"delivered"}]}'
        assert webhook_post(url, "whsec_guide", body) == (204, "")
        assert webhook_post(url, "another secret", body) == (401, "")
    finally:
        server.shutdown()
    valid = ns["signature_valid"]
    now = int(time.time())
    good = sign("whsec_guide", now, body)
    assert valid("whsec_guide", str(now), body, good)
    assert not valid("whsec_guide", str(now), body + b" ", good)           # the raw body is signed
    assert not valid("whsec_guide", str(now + 1), body, good)              # and the timestamp
    old = now - 301                                                         # 5 minutes, as we sign
    assert not valid("whsec_guide", str(old), body, sign("whsec_guide", old, body))
    assert valid("whsec_guide", str(now - 299), body, sign("whsec_guide", now - 299, body))
    assert not valid("whsec_guide", "soon", body, good)


def _routes(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def test_api_guide_names_every_endpoint():
    from messaging.turbosms import urls as facade
    from smsportal import api_urls

    text = GUIDE.read_text()
    missing = []
    for route in _routes(api_urls.urlpatterns):
        if route == "payments/callback/":  # the payment provider's, not the integrator's
            continue
        # "messages/<text:message_id>/cancel/" is shown as "/api/v1/messages/<id>/cancel/"
        shown = re.sub(r"<text:[a-z_]+>", "<", route).split("<")[0]
        if f"/api/v1/{shown}" not in text:
            missing.append(route)
    for name in ("message/send", "message/status", "user/balance"):
        if f"/turbosms/{name}.json" not in text:
            missing.append(name)
    assert not missing
    assert {p.name for p in facade.urlpatterns if p.name} >= {"turbosms-send", "turbosms-status", "turbosms-balance"}
