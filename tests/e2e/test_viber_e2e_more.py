"""End to end with the real processes (gunicorn receiving the Viber simulator's signed webhooks, a
Celery worker sending to the simulator), no mocks: a transactional message matched to an approved
template (R-VIB-05), and a chat session opened by the recipient's reply (R-VIB-06)."""
# ruff: noqa: F811 (the `viber_client` fixture is imported, then named by the tests)
import sys
from decimal import Decimal

import pytest
from djmoney.money import Money

from billing.models import LedgerEntry, TariffPrice
from messaging.models import ChatSession, Message, ViberDetail, ViberInbound
from tests.e2e.conftest import wait_for_worker
from tests.e2e.processes import free_port, wait_for_port, wait_until
from tests.messaging.viber_fixtures import TEMPLATE, viber_client  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SECRET = "whsec_viber_e2e_more"
TOKEN = "viber-e2e-more-token"
DELIVERED_NOT_SEEN = "+380671234506"  # the simulator: sent, delivered, never seen
REPLIES = "+380671234507"             # the simulator: sent, delivered, seen, then the user replies
REPLY_AFTER = 4.0                     # seconds from seen to the user's reply
WELCOME = {"channel": "viber", "sender": "ViberShop", "viber_type": "welcome",
           "text": "Welcome to ViberShop! Questions: +380441234567"}
assert TEMPLATE == "Your order {number} is ready. Info: +380441234567"


@pytest.fixture
def viber_live(live, viber_client, api, tariff):
    """The Viber simulator, gunicorn receiving its webhooks, a worker sending to it; the price
    list also has the chat-session price."""
    TariffPrice.objects.create(tariff=tariff, channel="viber", message_type="session", price=Money("0.0500", "EUR"))
    web_port, viber_port = free_port(), free_port()
    env = {"SMSPORTAL_VIBER_BASE_URL": f"http://127.0.0.1:{viber_port}", "SMSPORTAL_VIBER_TOKEN": TOKEN,
           "SMSPORTAL_VIBER_WEBHOOK_SECRET": SECRET, "SMSPORTAL_VIBER_TIMEOUT": "5",
           "SECURE_SSL_REDIRECT": "false", "CACHE_URL": "locmemcache://"}
    live.start("web", [sys.executable, "-m", "gunicorn", "smsportal.wsgi:application", "-b",
                       f"127.0.0.1:{web_port}", "-w", "1", "--threads", "4"], **env)
    live.start("viber", [sys.executable, "manage.py", "viber_simulator", "--port", str(viber_port),
                         "--callback-url", f"http://127.0.0.1:{web_port}/viber/webhook/", "--secret", SECRET,
                         "--token", TOKEN, "--delay", "0.2", "--reply-after", str(REPLY_AFTER),
                         "--shared-sender", "SMSPortal"])
    worker = live.worker(**env)
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


def _delivered(api, mid, live, timeout=40):
    done = wait_until(lambda: (v := _get(api, mid))["status"] == "delivered" and v, timeout=timeout)
    assert done, live.logs()
    return done


def test_r_vib_05_transactional_matched_to_approved_template_is_delivered(api, viber_live):
    [welcome] = _send(api, **WELCOME, recipients=[DELIVERED_NOT_SEEN])
    _delivered(api, welcome["id"], viber_live)
    [m] = _send(api, channel="viber", sender="ViberShop", viber_type="transactional", recipients=[DELIVERED_NOT_SEEN],
                text="Your order 12345 is ready. Info: +380441234567")
    assert m["status"] == "queued"
    done = _delivered(api, m["id"], viber_live)
    assert done["submitted_at"] and done["viber"]["delivered_via"] == "viber"
    detail = ViberDetail.objects.select_related("template").get(message__public_id=m["id"])
    assert detail.template is not None and detail.template.name == "Order ready"
    assert detail.provider_message_id  # the simulator accepted it


def test_r_vib_05_transactional_matching_no_template_is_refused_and_nothing_stored(api, viber_live):
    [welcome] = _send(api, **WELCOME, recipients=[DELIVERED_NOT_SEEN])
    _delivered(api, welcome["id"], viber_live)
    before = Message.objects.count()
    r = api.post("/api/v1/messages/", {"channel": "viber", "sender": "ViberShop", "viber_type": "transactional",
                                       "recipients": [DELIVERED_NOT_SEEN],
                                       "text": "Your parcel 5 is lost. Info: +380441234567"}, format="json")
    assert r.status_code == 400, r.content
    assert r.json()["code"] == "no_matching_template"
    assert Message.objects.count() == before
    wallet = api.account.wallet
    wallet.refresh_from_db()
    assert wallet.held.amount == 0


def _reply(api, session, text):
    return api.post(f"/api/v1/viber/sessions/{session.public_id}/reply/", {"text": text}, format="json")


def test_r_vib_06_chat_session_opened_by_the_recipient_limits_and_one_charge(api, viber_live):
    [welcome] = _send(api, **WELCOME, recipients=[REPLIES])
    # The simulator's user reads the welcome and replies REPLY_AFTER seconds later: a session opens.
    session = wait_until(lambda: ChatSession.objects.filter(client=api.account, recipient=REPLIES).first(),
                         timeout=40)
    assert session, viber_live.logs()
    inbound = ViberInbound.objects.get(session=session)
    assert inbound.reply_to.public_id.hex == welcome["id"].replace("-", "")

    # Five replies in a row (each well within REPLY_AFTER, before the user can answer the first).
    for i in range(1, 6):
        r = _reply(api, session, f"Reply {i}: see you on Friday.")
        assert r.status_code in (200, 201, 202), r.content
    sixth = _reply(api, session, "Reply 6")
    assert sixth.status_code == 409 and sixth.json()["code"] == "session_limit", sixth.content
    assert ViberInbound.objects.filter(session=session).count() == 1  # no new recipient message came yet
    session.refresh_from_db()
    assert (session.client_messages, session.in_a_row) == (5, 5)

    # The replies go out through the worker and the simulator; its user answers the first one:
    # a new recipient message resets the count, and the client may reply again.
    replies = list(Message.objects.filter(viber__session=session).values_list("public_id", flat=True))
    assert len(replies) == 5
    assert wait_until(lambda: Message.objects.filter(public_id__in=replies, status="delivered").count() == 5,
                      timeout=60), viber_live.logs()
    assert wait_until(lambda: ChatSession.objects.get(pk=session.pk).in_a_row == 0, timeout=40), viber_live.logs()
    assert ViberInbound.objects.filter(session=session).count() >= 2
    again = _reply(api, session, "Reply 7 after your answer")
    assert again.status_code in (200, 201, 202), again.content

    # The 60 replies of a session: the counter is set near it through the ORM (58 more replies
    # through the API would only repeat the above), then the real replies hit it.
    ChatSession.objects.filter(pk=session.pk).update(client_messages=59, in_a_row=0)
    assert _reply(api, session, "Reply 60").status_code in (200, 201, 202)
    over = _reply(api, session, "Reply 61")
    assert over.status_code == 409 and over.json()["code"] == "session_limit" and "60" in over.json()["detail"]

    # Charged once, at the first reply, whatever the number of replies.
    session.refresh_from_db()
    assert session.charged_at is not None and session.price.amount > Decimal("0")
    charges = LedgerEntry.objects.filter(idempotency_key=f"viber-session:{session.public_id}")
    assert charges.count() == 1
    assert Message.objects.filter(viber__session=session, price__gt=0).count() == 0  # the replies cost nothing more
