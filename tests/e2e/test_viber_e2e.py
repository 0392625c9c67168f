"""End to end, no eager mode: API → PostgreSQL → Celery worker (Viber dispatch) → the Viber
simulator over HTTP → its signed webhooks → our /viber/webhook/ (a real gunicorn) → statuses; and
the Viber → SMS fallback through the SMPP connector and the SMSC simulator."""
# ruff: noqa: F811 (the `viber_client` fixture is imported, then named by the tests)
import sys

import pytest

from messaging.models import Message, Route, ViberDetail
from tests.e2e.conftest import wait_for_worker
from tests.e2e.processes import free_port, wait_for_port, wait_until
from tests.messaging.viber_fixtures import consent, viber_client  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SECRET = "whsec_viber_e2e"
TOKEN = "viber-e2e-token"
SEEN_CLICKED = "+380671234501"   # the simulator: sent, delivered, seen, clicked
NOT_VIBER = "+380671234500"      # the simulator: undelivered, not_viber_user
WELCOME = {"channel": "viber", "sender": "ViberShop", "viber_type": "welcome",
           "text": "Welcome to ViberShop! Questions: +380441234567"}


@pytest.fixture
def viber_live(live, viber_client, api):
    """The Viber simulator, a web server receiving its webhooks, and a worker sending to it."""
    web_port, viber_port = free_port(), free_port()
    viber_env = {"SMSPORTAL_VIBER_BASE_URL": f"http://127.0.0.1:{viber_port}", "SMSPORTAL_VIBER_TOKEN": TOKEN,
                 "SMSPORTAL_VIBER_WEBHOOK_SECRET": SECRET, "SMSPORTAL_VIBER_TIMEOUT": "5",
                 "SECURE_SSL_REDIRECT": "false", "CACHE_URL": "locmemcache://"}
    live.start("web", [sys.executable, "-m", "gunicorn", "smsportal.wsgi:application", "-b",
                       f"127.0.0.1:{web_port}", "-w", "1", "--threads", "4"], **viber_env)
    live.start("viber", [sys.executable, "manage.py", "viber_simulator", "--port", str(viber_port),
                         "--callback-url", f"http://127.0.0.1:{web_port}/viber/webhook/", "--secret", SECRET,
                         "--token", TOKEN, "--delay", "0.2", "--shared-sender", "SMSPortal"])
    worker = live.worker(**viber_env)
    wait_for_port(web_port, timeout=60)
    wait_for_port(viber_port, timeout=60)
    wait_for_worker(live, worker)
    return live


def _send(api, **body):
    r = api.post("/api/v1/messages/", body, format="json")
    assert r.status_code == 201, r.content
    return r.json()["messages"]


def _get(api, mid):
    return api.get(f"/api/v1/messages/{mid}/").json()


def test_viber_delivered_seen_and_clicked_through_real_processes(api, viber_live):
    [welcome] = _send(api, **WELCOME, recipients=[SEEN_CLICKED],
                      button={"caption": "Open the shop", "url": "https://shop.example/"})
    assert welcome["status"] == "queued"

    def clicked():
        v = _get(api, welcome["id"])
        return v if v["status"] == "delivered" and v["viber"]["seen_at"] and v["viber"]["clicked_at"] else None

    done = wait_until(clicked, timeout=40)
    assert done, viber_live.logs()
    assert done["viber"]["delivered_via"] == "viber" and done["viber"]["delivered_at"]
    assert done["submitted_at"] and done["price"]["amount"] == "0.90"
    # A rich message to the same (now welcomed) number: image and button.
    [promo] = _send(api, channel="viber", sender="ViberShop", viber_type="test", recipients=[SEEN_CLICKED],
                    text="Test: spring sale -20% +380441234567", image_url="https://shop.example/sale.png",
                    button={"caption": "Shop now", "url": "https://shop.example/sale"})
    assert wait_until(lambda: _get(api, promo["id"])["viber"]["clicked_at"], timeout=40), viber_live.logs()
    wallet = api.account.wallet
    wallet.refresh_from_db()
    assert wallet.held.amount == 0  # both captured


def test_r_vib_04_first_message_to_a_new_number_is_refused_unless_welcome(api, viber_live):
    consent(api.account, SEEN_CLICKED)
    [m] = _send(api, channel="viber", sender="ViberShop", viber_type="test", recipients=[SEEN_CLICKED],
                text="Test message +380441234567")
    assert m["status"] == "refused" and m["error_code"] == "welcome_required" and m["price"]["amount"] == "0.00"
    [w] = _send(api, **WELCOME, recipients=[SEEN_CLICKED])
    assert wait_until(lambda: _get(api, w["id"])["status"] == "delivered", timeout=40), viber_live.logs()
    assert Message.objects.get(public_id=m["id"]).status == "refused"  # never sent


def test_viber_falls_back_to_sms_for_a_number_without_viber(api, viber_live, route):
    smsc_port = free_port()
    Route.objects.filter(pk=route.pk).update(port=smsc_port)
    viber_live.simulator(smsc_port, receipt_delay=0.2)
    viber_live.connector("test-route")
    [m] = _send(api, **WELCOME, recipients=[NOT_VIBER],
                fallback_sms={"sender": "TestShop", "text": "Welcome to TestShop! +380441234567"})

    def via_sms():
        v = _get(api, m["id"])
        return v if v["viber"]["delivered_via"] == "sms" else None

    done = wait_until(via_sms, timeout=60)
    assert done, viber_live.logs()
    assert done["status"] == "undelivered" and done["viber"]["reason"] == "not_viber_user"
    leg = _get(api, done["viber"]["fallback"]["message_id"])
    assert leg["channel"] == "sms" and leg["status"] == "delivered" and leg["sender"] == "TestShop"
    assert ViberDetail.objects.get(message__public_id=m["id"]).fallback_message.public_id.hex == leg["id"].replace(
        "-", "")
    # Each leg that was sent is paid: the Viber message and the SMS.
    assert float(done["price"]["amount"]) > 0 and float(leg["price"]["amount"]) > 0
