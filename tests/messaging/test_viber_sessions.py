"""Viber chat sessions (R-VIB-06): opened only by a recipient, 24 hours, 60 replies, 5 in a row,
charged once at the first reply; the inbox page and the API."""
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation
from djmoney.money import Money

from billing.models import ExchangeRate, LedgerEntry, Wallet
from compliance.models import OptOut
from messaging.models import ChatSession, Message, ViberDetail, ViberInbound, WebhookEvent
from messaging.services.webhooks import webhook_endpoint_set
from messaging.viber.provider import InboundEvent
from messaging.viber.sessions import (SessionClosed, SessionLimit, inbound_apply, session_reply)
from tests.billing.factories import make_tariff
from tests.factories import SenderNameFactory, make_client

pytestmark = pytest.mark.django_db

PHONE = "+380671234567"
SESSION_EUR = Decimal("0.0500")
RATE = Decimal("45.00")
SESSION_UAH = Decimal("2.2500")  # 0.05 € × 45


@pytest.fixture
def viber(client_account):
    """The client's approved Viber sender 'AcmeViber' and a price list with the session price."""
    SenderNameFactory(client=client_account, name="AcmeViber", channel="viber", approved=True)
    make_tariff(valid_from=timezone.now() - timedelta(hours=5), lines=[
        {"channel": "viber", "message_type": "session", "price": str(SESSION_EUR)},
        {"channel": "viber", "message_type": "advertising", "price": "0.0190"}])
    ExchangeRate.objects.create(date=timezone.localdate() - timedelta(days=3), rate=RATE)
    return client_account


_n = iter(range(1, 10**6))


def _in(text="Hello?", *, phone=PHONE, sender="AcmeViber", at=None, reply_to="", provider_id=None):
    return InboundEvent(event_id=f"e-{next(_n)}", provider_id=provider_id or f"in-{next(_n)}", phone=phone,
                        sender=sender, at=at or timezone.now(), text=text, reply_to=reply_to)


def _session(client):
    return ChatSession.objects.get(client=client)


def _charges(client):
    return LedgerEntry.objects.filter(wallet__client=client, idempotency_key__startswith="viber-session:")


# --- inbound ----------------------------------------------------------------------------------

def test_r_vib_06_recipient_message_opens_a_24_hour_session(viber):
    at = timezone.now()
    assert inbound_apply([_in(at=at)]) == 1
    s = _session(viber)
    assert s.recipient == PHONE and s.sender == "AcmeViber"
    assert s.opened_at == at and s.expires_at == at + timedelta(hours=24)
    assert s.unread == 1 and s.in_a_row == 0 and s.charged_at is None
    # a second message inside the window joins it
    inbound_apply([_in("More", at=at + timedelta(hours=1))])
    assert ChatSession.objects.filter(client=viber).count() == 1
    assert _session(viber).unread == 2


def test_r_vib_06_only_a_recipient_opens_a_session(viber):
    with pytest.raises(SessionClosed) as exc:
        session_reply(client=viber, recipient=PHONE, text="Hi, anything new?")
    assert exc.value.code == "session_closed"
    assert not ChatSession.objects.exists() and not Message.objects.exists()


def test_r_vib_06_inbound_is_stored_once_and_unknown_senders_open_nothing(viber):
    event = _in(provider_id="dup-1")
    assert inbound_apply([event, event]) == 1
    assert inbound_apply([event]) == 0
    assert ViberInbound.objects.count() == 1
    # the shared sender or a name nobody owns: stored without a client, no session
    inbound_apply([_in(sender="NobodysName")])
    stray = ViberInbound.objects.get(sender="NobodysName")
    assert stray.client_id is None and stray.session_id is None
    # an SMS name of the client is not its Viber sender
    inbound_apply([_in(sender="TestShop")])
    assert ChatSession.objects.count() == 1


def test_r_vib_06_reply_to_links_the_clients_message(viber):
    m = Message.objects.create(client=viber, batch_id=uuid.uuid4(), sender="AcmeViber", recipient=PHONE, text="Hi",
                               encoding="viber", segments=1, price=Money(0, "UAH"), status="delivered",
                               channel="viber")
    ViberDetail.objects.create(message=m, viber_type="advertising", ttl=3600, provider_message_id="prov-42")
    inbound_apply([_in("Thanks", reply_to="prov-42")])
    assert ViberInbound.objects.get().reply_to == m


def test_r_vib_06_stop_reply_goes_to_the_stop_list_and_opens_no_session(viber):
    inbound_apply([_in("СТОП")])
    assert OptOut.objects.filter(client=viber, phone=PHONE, source="reply").exists()
    assert not ChatSession.objects.exists()


def test_r_vib_06_inbound_reaches_the_clients_webhook(viber, django_capture_on_commit_callbacks):
    webhook_endpoint_set(client=viber, url="http://127.0.0.1:9/hook")
    with django_capture_on_commit_callbacks(execute=False):
        inbound_apply([_in("Where is my order?")])
    event = WebhookEvent.objects.get(client=viber, event="inbound")
    assert event.payload["type"] == "message.inbound"
    assert event.payload["text"] == "Where is my order?" and event.payload["phone"] == PHONE
    assert event.payload["session_id"] == str(_session(viber).public_id)


# --- replies and limits -----------------------------------------------------------------------

def test_r_vib_06_reply_is_a_queued_viber_message_of_the_session(viber):
    inbound_apply([_in()])
    s = _session(viber)
    m = session_reply(client=viber, session_id=s.public_id, text="Your order ships today.")
    assert (m.channel, m.status, m.message_type, m.price.amount, m.segments) == ("viber", "queued", "service", 0, 1)
    assert m.sender == "AcmeViber" and m.recipient == PHONE
    assert m.viber.viber_type == "session" and m.viber.session_id == s.pk
    s.refresh_from_db()
    assert s.client_messages == 1 and s.in_a_row == 1


def test_r_vib_06_session_closes_at_24_hours(viber):
    opened = timezone.now()
    inbound_apply([_in(at=opened)])
    s = _session(viber)
    with time_machine.travel(opened + timedelta(hours=24) - timedelta(seconds=1), tick=False):
        session_reply(client=viber, session_id=s.public_id, text="Just in time.")
    with time_machine.travel(opened + timedelta(hours=24), tick=False):
        with pytest.raises(SessionClosed) as exc:
            session_reply(client=viber, session_id=s.public_id, text="Too late.")
    assert exc.value.code == "session_closed"
    assert Message.objects.count() == 1


def test_r_vib_06_five_in_a_row_then_a_recipient_reply_resets(viber):
    inbound_apply([_in()])
    s = _session(viber)
    for i in range(5):
        session_reply(client=viber, session_id=s.public_id, text=f"Note {i}")
    with pytest.raises(SessionLimit) as exc:
        session_reply(client=viber, session_id=s.public_id, text="Sixth")
    assert exc.value.code == "session_limit" and "in a row" in exc.value.detail
    inbound_apply([_in("ok")])
    s.refresh_from_db()
    assert s.in_a_row == 0
    session_reply(client=viber, session_id=s.public_id, text="Thanks!")
    assert Message.objects.filter(viber__session=s).count() == 6


def test_r_vib_06_sixty_replies_per_session(viber):
    inbound_apply([_in()])
    s = _session(viber)
    for i in range(60):
        if i and i % 5 == 0:
            inbound_apply([_in(f"answer {i}")])
        session_reply(client=viber, session_id=s.public_id, text=f"Reply {i}")
    inbound_apply([_in("one more?")])
    with pytest.raises(SessionLimit) as exc:
        session_reply(client=viber, session_id=s.public_id, text="61st")
    assert exc.value.code == "session_limit" and "60" in exc.value.detail and "in a row" not in exc.value.detail
    assert Message.objects.filter(viber__session=s).count() == 60


def test_r_vib_06_charged_once_at_the_first_reply(viber):
    inbound_apply([_in()])
    s = _session(viber)
    before = Wallet.objects.get(client=viber).balance.amount
    session_reply(client=viber, session_id=s.public_id, text="First")
    session_reply(client=viber, session_id=s.public_id, text="Second")
    s.refresh_from_db()
    assert s.charged_at is not None and s.price.amount == SESSION_UAH and s.rate == RATE
    assert _charges(viber).count() == 1
    assert _charges(viber).get().amount.amount == -SESSION_UAH
    assert Wallet.objects.get(client=viber).balance.amount == before - SESSION_UAH


def test_r_vib_06_never_charged_without_a_reply(viber):
    inbound_apply([_in(), _in("anyone?")])
    assert _charges(viber).count() == 0 and _session(viber).charged_at is None


def test_r_vib_06_a_reply_the_wallet_cannot_pay_is_refused_whole(viber):
    poor = make_client(name="Poor LLC")
    SenderNameFactory(client=poor, name="PoorViber", channel="viber", approved=True)
    inbound_apply([_in(sender="PoorViber")])
    s = ChatSession.objects.get(client=poor)
    with pytest.raises(Exception) as exc:
        session_reply(client=poor, session_id=s.public_id, text="Hello")
    assert getattr(exc.value, "code", "") == "insufficient_funds"
    s.refresh_from_db()
    assert s.client_messages == 0 and s.charged_at is None and not Message.objects.filter(client=poor).exists()


@pytest.mark.parametrize("kwargs, code", [
    ({"text": ""}, "message_empty"),
    ({"text": "Hi", "image_url": "https://example.com/a.png"}, "content_combination_invalid"),
    ({"text": "x" * 1001}, "text_too_long"),
    ({"image_url": "http://example.com/a.png"}, "image_url_invalid"),
    ({"image_url": "https://example.com/a.gif"}, "image_type_invalid"),
])
def test_r_vib_06_text_or_image_only(viber, kwargs, code):
    inbound_apply([_in()])
    with pytest.raises(Exception) as exc:
        session_reply(client=viber, session_id=_session(viber).public_id, **kwargs)
    assert exc.value.code == code
    assert _charges(viber).count() == 0


def test_r_vib_06_image_reply(viber):
    inbound_apply([_in()])
    m = session_reply(client=viber, recipient=PHONE, image_url="https://cdn.example.com/menu.jpg")
    assert m.viber.image_url == "https://cdn.example.com/menu.jpg" and m.text == ""


# --- website ----------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "uk"])
def test_r_vib_06_inbox_renders_threads_and_marks_read(web, viber, language):
    inbound_apply([_in("Where is my parcel?"), _in("Hello?", phone="+380501234567")])
    s = ChatSession.objects.get(recipient=PHONE)
    session_reply(client=viber, session_id=s.public_id, text="It ships today.")
    with translation.override(language):
        r = web.get(reverse("viber_inbox"), HTTP_ACCEPT_LANGUAGE=language)
        html = r.content.decode()
        assert r.status_code == 200 and f'<html lang="{language}">' in html
        assert PHONE in html and "+380501234567" in html
        r = web.get(reverse("viber_thread", args=[s.public_id]), HTTP_ACCEPT_LANGUAGE=language)
    html = r.content.decode()
    assert r.status_code == 200
    assert "Where is my parcel?" in html and "It ships today." in html and 'id="reply-limits"' in html
    assert "59" in html and "4" in html  # replies left of 60, in a row left of 5
    s.refresh_from_db()
    assert s.unread == 0 and not ViberInbound.objects.filter(session=s, read_at__isnull=True).exists()


def test_r_vib_06_reply_from_the_inbox(web, viber):
    inbound_apply([_in()])
    s = _session(viber)
    url = reverse("viber_thread", args=[s.public_id])
    r = web.post(url, {"text": "On its way.", "image_url": ""})
    assert r.status_code == 302
    assert Message.objects.get(viber__session=s).text == "On its way."
    for _ in range(4):
        web.post(url, {"text": "More", "image_url": ""})
    r = web.post(url, {"text": "Sixth", "image_url": ""})
    assert r.status_code == 400 and "in a row" in r.content.decode()


def test_r_vib_06_other_clients_thread_is_404(web, viber):
    other = make_client(name="Other LLC")
    SenderNameFactory(client=other, name="OtherViber", channel="viber", approved=True)
    inbound_apply([_in(sender="OtherViber")])
    s = ChatSession.objects.get(client=other)
    assert web.get(reverse("viber_thread", args=[s.public_id])).status_code == 404
    assert web.post(reverse("viber_thread", args=[s.public_id]), {"text": "x"}).status_code == 404


# --- API --------------------------------------------------------------------------------------

def test_r_vib_06_api_threads_messages_and_reply(api, viber):
    inbound_apply([_in("Hi there")])
    s = _session(viber)
    r = api.get("/api/v1/viber/sessions/")
    assert r.status_code == 200
    [thread] = r.json()["sessions"]
    assert thread["id"] == str(s.public_id) and thread["unread"] == 1 and thread["replies_left"] == 60
    assert thread["charged"] is False and thread["price"] is None
    r = api.post(f"/api/v1/viber/sessions/{s.public_id}/reply/", {"text": "Hello!"}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "queued" and body["session"]["replies_left"] == 59
    assert body["session"]["charged"] is True and body["session"]["price"]["amount"] == "2.2500"
    detail = api.get(f"/api/v1/viber/sessions/{s.public_id}/").json()
    assert [(m["direction"], m["text"]) for m in detail["messages"]] == [("in", "Hi there"), ("out", "Hello!")]


def test_r_vib_06_api_refusals(api, viber):
    opened = timezone.now()
    inbound_apply([_in(at=opened)])
    s = _session(viber)
    assert api.get(f"/api/v1/viber/sessions/{uuid.uuid4()}/").status_code == 404
    assert api.get("/api/v1/viber/sessions/nope/").json()["code"] == "session_not_found"
    r = api.post(f"/api/v1/viber/sessions/{s.public_id}/reply/", {"text": ""}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "message_empty"
    for i in range(5):
        api.post(f"/api/v1/viber/sessions/{s.public_id}/reply/", {"text": f"n{i}"}, format="json")
    r = api.post(f"/api/v1/viber/sessions/{s.public_id}/reply/", {"text": "n6"}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "session_limit"
    with time_machine.travel(opened + timedelta(hours=25), tick=False):
        r = api.post(f"/api/v1/viber/sessions/{s.public_id}/reply/", {"text": "late"}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "session_closed"


def test_r_vib_06_schema_documents_the_inbound_webhook(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    hook = schema["x-webhooks"]["messageInbound"]["post"]
    assert hook["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/WebhookInboundEvents")
    assert {"phone", "text", "session_id", "stop"} <= set(schema["components"]["schemas"]["WebhookInboundEvent"]
                                                          ["properties"])
    assert {"/api/v1/viber/templates/", "/api/v1/viber/sessions/{session_id}/reply/"} <= set(schema["paths"])


def _race(*calls):
    """Runs the calls at once in threads (each with its own connection); returns their results or errors."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:  # noqa: BLE001
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_r_vib_06_two_messages_at_once_open_one_session(viber):
    at = timezone.now()
    _race(lambda: inbound_apply([_in("one", at=at)]), lambda: inbound_apply([_in("two", at=at)]))
    assert ChatSession.objects.filter(client=viber).count() == 1
    assert _session(viber).unread == 2


@pytest.mark.django_db(transaction=True)
def test_r_vib_06_racing_replies_never_pass_five_in_a_row(viber):
    inbound_apply([_in()])
    s = _session(viber)
    for i in range(3):
        session_reply(client=viber, session_id=s.public_id, text=f"n{i}")
    results = _race(*[lambda i=i: session_reply(client=viber, session_id=s.public_id, text=f"race {i}")
                      for i in range(4)])
    assert sum(isinstance(r, Message) for r in results) == 2
    assert all(getattr(r, "code", "") == "session_limit" for r in results if not isinstance(r, Message))
    s.refresh_from_db()
    assert s.in_a_row == 5 and Message.objects.filter(viber__session=s).count() == 5
    assert _charges(viber).count() == 1
