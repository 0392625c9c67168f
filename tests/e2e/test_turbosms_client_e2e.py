"""End to end with a real TurboSMS client: the public PyPI package `turbosms` 0.0.2, unchanged,
sends through a real gunicorn serving the facade at the root of a TurboSMS host name
(TURBOSMS_HOSTS), the message goes out through the real SMPP connector to the SMSC simulator,
its receipt comes back through the Celery worker, and the facade's status.json reports it
`Delivered` with TurboSMS's dates.

The client has the URL `https://api.turbosms.ua/message/send.json?token=…` as a literal in its
function, with no setting for the host: customers repoint it with DNS. Here the one `requests`
the client module uses is given a `post` that sends to our server instead of api.turbosms.ua
(the path, query, JSON body and headers as the client built them; only scheme, host and port
change), which is what a DNS entry does, without a certificate for that name.
"""
import re
import sys
from datetime import datetime
from types import SimpleNamespace

import pytest
import requests
import turbosms.lib

from accounts.services import api_key_create
from messaging.models import Message, Route
from tests.e2e.processes import free_port, wait_for_port, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TURBOSMS_URL = re.compile(r"^https://api\.turbosms\.ua/")


def _client_pointed_at(monkeypatch, base: str):
    """`turbosms.lib`'s requests, with its host api.turbosms.ua replaced by `base`."""
    seen = []

    def post(url, **kwargs):
        assert TURBOSMS_URL.match(url), url
        moved = TURBOSMS_URL.sub(base.rstrip("/") + "/", url)
        response = requests.post(moved, timeout=30, **kwargs)
        seen.append((moved, response))
        return response

    monkeypatch.setattr(turbosms.lib, "requests", SimpleNamespace(post=post))
    return seen


def _gunicorn(procs, port: int):
    proc = procs.start("web", [sys.executable, "-m", "gunicorn", "smsportal.wsgi:application", "--bind",
                               f"127.0.0.1:{port}", "--workers", "1", "--threads", "2"],
                       TURBOSMS_HOSTS="127.0.0.1", TURBOSMS_PATH_PREFIX="turbosms",
                       ALLOWED_HOSTS="localhost", SECURE_SSL_REDIRECT="false")
    wait_for_port(port, timeout=30)

    def answers():  # the worker loads Django on its first request
        try:
            return requests.get(f"http://127.0.0.1:{port}/message/ping.json", timeout=30).status_code == 200
        except requests.RequestException:
            return False

    assert wait_until(answers, timeout=60, interval=0.5), procs.logs()
    return proc


def test_turbosms_client_sends_through_the_facade_to_delivered(live, client_account, route, settings, monkeypatch):
    smsc = free_port()
    Route.objects.filter(pk=route.pk).update(port=smsc)
    web = free_port()
    _key, token = api_key_create(client=client_account, name="turbosms client")
    settings.IS_SMS_ENABLED, settings.SMS_TOKEN, settings.SMS_SIGNATURE = True, token, "TestShop"

    live.simulator(smsc, receipt_delay=0.2)
    live.worker()
    live.connector("test-route")
    _gunicorn(live, web)
    base = f"http://127.0.0.1:{web}"
    seen = _client_pointed_at(monkeypatch, base)

    # The client as its README shows it; debug=True raises on anything but HTTP 200.
    turbosms.lib.send_sms("Ваше замовлення №42 готове", recipients=["380671234567", "+380501112233"], debug=True)

    (url, response), = seen
    assert url == f"{base}/message/send.json?token={token}"
    body = response.json()
    assert (body["response_code"], body["response_status"]) == (800, "SUCCESS_MESSAGE_ACCEPTED"), live.logs()
    ids = [item["message_id"] for item in body["response_result"]]
    assert [item["phone"] for item in body["response_result"]] == ["380671234567", "380501112233"]
    assert set(Message.objects.values_list("sender", "recipient")) == {("TestShop", "+380671234567"),
                                                                        ("TestShop", "+380501112233")}

    def statuses():
        r = requests.post(f"{base}/message/status.json", json={"messages": ids},
                          headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert r.status_code == 200
        items = r.json()["response_result"]
        return items if all(i["status"] == "Delivered" for i in items) else None

    items = wait_until(statuses, timeout=40, interval=0.3)
    assert items, live.logs()
    for item in items:
        assert (item["response_code"], item["response_status"], item["type"]) == (0, "OK", "sms")
        datetime.strptime(item["sent"], "%Y-%m-%d %H:%M:%S")  # exactly yyyy-MM-dd HH:mm:ss
        datetime.strptime(item["updated"], "%Y-%m-%d %H:%M:%S")

    # The other auth styles and the balance, over HTTP: 100 UAH less two one-part messages (UCS-2).
    balance = requests.get(f"{base}/user/balance.json?token={token}", timeout=10).json()
    assert balance == {"response_code": 0, "response_status": "OK", "response_result": {"balance": 98.3}}
    assert requests.post(f"{base}/user/balance.json", headers={"Authorization": f"Basic {token}"},
                         timeout=10).json()["response_result"] == {"balance": 98.3}
    # The TurboSMS host serves only the facade; the site's own host serves the site, and the facade
    # under /turbosms/ (the path for trying it locally).
    assert requests.get(f"{base}/api/v1/balance/", headers={"Authorization": f"Bearer {token}"},
                        timeout=10).status_code == 404
    site = f"http://localhost:{web}"
    assert requests.get(f"{site}/api/v1/balance/", headers={"Authorization": f"Bearer {token}"},
                        timeout=10).status_code == 200
    assert requests.post(f"{site}/turbosms/message/ping.json", timeout=10).json()["response_status"] == "PONG"
    seen = _client_pointed_at(monkeypatch, f"{site}/turbosms")
    turbosms.lib.send_sms("Ще одне", recipients=["0671234567"], debug=True)
    (url, response), = seen
    assert url.startswith(f"{site}/turbosms/message/send.json?token=")
    assert response.json()["response_code"] == 800
    assert Message.objects.count() == 3
