"""The Viber provider seam, pure parts: pre-send validation and its refusal codes (R-VIB-02,
R-VIB-03, R-VIB-06), the monotonic status rule (R-VIB-07 late statuses), webhook signatures
(good, bad, old, replayed) and the webhook/wire parsers. No database, no network."""
import itertools
import json
import secrets
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from django.core.cache import cache

from messaging.viber import wire
from messaging.viber.http import provider_get
from messaging.viber.provider import (
    WIRE_CODES, ProviderNotConfigured, OutgoingMessage, Refusal, Refused, Status, StatusEvent, ViberState, WebhookExpired,
    WebhookInvalid, WebhookMalformed, WebhookReplayed, WebhookSignatureInvalid, status_apply, status_window_open,
)
from messaging.viber.signing import signature_compute, signature_headers, signature_verify
from messaging.viber.validation import image_upload_check, message_check, message_refusals, session_check
from messaging.viber.webhooks import events_parse, webhook_parse

AT = datetime(2026, 12, 5, 10, 0, tzinfo=timezone.utc)
SECRET = "whsec_test_viber"


def msg(**kw) -> OutgoingMessage:
    base = {"message_id": "m-1", "sender": "DemoShop", "phone": "+380671234567", "text": "Hello from DemoShop"}
    return OutgoingMessage(**(base | kw))


def codes(message, **kw) -> list[str]:
    return [r.code for r in message_refusals(message, **kw)]


# --- validation -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [
    {},
    {"text": "x" * 1000},
    {"text": "", "image_url": "https://cdn.example.com/promo.png"},
    {"button_caption": "x" * 30, "button_url": "https://shop.example.com/sale"},
    {"image_url": "https://cdn.example.com/a.JPG?v=2", "button_caption": "Open", "button_url": "http://x.ua"},
    {"viber_type": "transactional", "text": "Your order 42 is ready"},
    {"viber_type": "test", "text": "Тест повідомлення"},
    {"viber_type": "test", "text": "This is a TEST"},
    {"viber_type": "welcome", "text": "Welcome to DemoShop"},
    {"viber_type": "session", "text": "Sure", "image_url": "https://cdn.example.com/a.jpeg"},
    {"ttl": 60}, {"ttl": 86_400},
])
def test_r_vib_02_allowed_messages_pass(kw):
    assert message_refusals(msg(**kw)) == []
    assert message_check(msg(**kw)) is None


@pytest.mark.parametrize(("kw", "code"), [
    ({"text": "x" * 1001}, Refusal.TEXT_TOO_LONG),
    ({"button_caption": "x" * 31, "button_url": "https://shop.example.com"}, Refusal.CAPTION_TOO_LONG),
    ({"button_caption": "Open"}, Refusal.BUTTON_INCOMPLETE),
    ({"button_url": "https://shop.example.com"}, Refusal.BUTTON_INCOMPLETE),
    ({"button_caption": "Open", "button_url": "javascript:alert(1)"}, Refusal.BUTTON_URL_INVALID),
    ({"image_url": "http://cdn.example.com/a.png", "button_caption": "Open", "button_url": "https://x.ua"},
     Refusal.IMAGE_URL_INVALID),
    ({"image_url": "https://cdn.example.com/a.gif", "button_caption": "Open", "button_url": "https://x.ua"},
     Refusal.IMAGE_TYPE),
    ({"image_url": "https://cdn.example.com/a.png"}, Refusal.COMBINATION),  # text + image needs a button
    ({"text": "", "image_url": "https://cdn.example.com/a.png", "button_caption": "Open",
      "button_url": "https://x.ua"}, Refusal.COMBINATION),
    ({"text": ""}, Refusal.EMPTY),
    ({"ttl": 59}, Refusal.TTL_OUT_OF_RANGE),
    ({"ttl": 86_401}, Refusal.TTL_OUT_OF_RANGE),
    ({"phone": "0671234567"}, Refusal.PHONE_INVALID),
    ({"sender": "x" * 21}, Refusal.SENDER_INVALID),
    ({"sender": ""}, Refusal.SENDER_INVALID),
    ({"viber_type": "promo"}, Refusal.TYPE_INVALID),
    ({"viber_type": "session", "button_caption": "Open", "button_url": "https://x.ua"}, Refusal.COMBINATION),
])
def test_r_vib_02_each_refusal_has_its_code(kw, code):
    assert codes(msg(**kw)) == [code]
    refused = message_check(msg(**kw))
    assert refused.code == code and refused.detail


@pytest.mark.parametrize("kw", [
    {"image_url": "https://cdn.example.com/a.png", "button_caption": "Open", "button_url": "https://x.ua"},
    {"button_caption": "Open", "button_url": "https://x.ua"},
])
def test_r_vib_03_transactional_is_text_only(kw):
    assert codes(msg(viber_type="transactional", **kw)) == [Refusal.TRANSACTIONAL_RICH]


def test_r_vib_03_test_message_needs_the_test_word():
    assert codes(msg(viber_type="test", text="Hello")) == [Refusal.TEST_WORD_MISSING]


def test_r_vib_03_transactional_from_the_shared_sender_refused():
    message = msg(viber_type="transactional", sender="ViberShared")
    assert codes(message, shared_sender="vibershared") == [Refusal.SHARED_SENDER_TRANSACTIONAL]
    assert codes(replace(message, viber_type="test", text="Test"), shared_sender="ViberShared") == []


def test_r_vib_02_every_refusal_is_listed():
    assert codes(msg(text="x" * 1001, ttl=10, button_caption="x" * 31)) == [
        Refusal.TTL_OUT_OF_RANGE, Refusal.TEXT_TOO_LONG, Refusal.BUTTON_INCOMPLETE, Refusal.CAPTION_TOO_LONG]


def test_r_vib_02_uploaded_image_size_and_type():
    assert image_upload_check(size=3 * 1024 * 1024, content_type="image/png") is None
    assert image_upload_check(size=3 * 1024 * 1024 + 1, content_type="image/jpeg").code == Refusal.FILE_TOO_BIG
    assert image_upload_check(size=10, content_type="image/gif").code == Refusal.IMAGE_TYPE


def test_r_vib_06_session_limits():
    opened = AT
    assert session_check(opened_at=opened, now=AT + timedelta(hours=23), client_messages=59, in_a_row=4) is None
    assert session_check(opened_at=opened, now=AT, client_messages=60, in_a_row=0).code == Refusal.SESSION_LIMIT
    assert session_check(opened_at=opened, now=AT, client_messages=5, in_a_row=5).code == Refusal.SESSION_LIMIT
    assert session_check(opened_at=opened, now=AT + timedelta(hours=24), client_messages=0,
                         in_a_row=0).code == Refusal.SESSION_CLOSED


def test_refusal_wire_codes_mirror_turbosms_and_are_unique():
    assert {WIRE_CODES[c] for c in (Refusal.IMAGE_TYPE, Refusal.STOP_LIST, Refusal.CAPTION_TOO_LONG,
                                    Refusal.TRANSACTIONAL_RICH, Refusal.TEXT_TOO_LONG,
                                    Refusal.SHARED_SENDER_TRANSACTIONAL, Refusal.NO_TEMPLATE, Refusal.FILE_TOO_BIG,
                                    Refusal.SESSION_LIMIT)} == {402, 404, 408, 410, 413, 415, 416, 420, 422}
    assert len(set(WIRE_CODES.values())) == len(WIRE_CODES) == len(Refusal) - 1  # all but OTHER
    assert wire.refusal_from_wire(408, "X") == Refused(Refusal.CAPTION_TOO_LONG, "X")
    assert wire.refusal_from_wire(777, "WHATEVER").code == Refusal.OTHER


def test_send_request_round_trips_through_the_simulators_reading():
    message = msg(image_url="https://cdn.example.com/a.png", button_caption="Open", button_url="https://x.ua",
                  ttl=3600, sequence_id="seq-1", viber_type="advertising")
    [back] = wire.messages_from_send_request(json.loads(json.dumps(wire.send_request(message))))
    assert back == replace(message, message_id="m-1")
    with pytest.raises(ValueError):
        wire.messages_from_send_request({"recipients": [], "viber": {}})


# --- status_apply ---------------------------------------------------------------------------------
def ev(status, reason="", event_id=None):
    return StatusEvent(provider_id="p-1", status=status, at=AT, reason=reason,
                       event_id=event_id if event_id is not None else secrets.token_hex(4))


def st(status, clicked=False):
    return ViberState(status=status, clicked=clicked, at=AT)


@pytest.mark.parametrize(("current", "event", "expected"), [
    (None, "sent", "sent"),
    (None, "delivered", "delivered"),
    ("accepted", "sent", "sent"),
    ("accepted", "delivered", "delivered"),
    ("sent", "delivered", "delivered"),
    ("sent", "seen", "seen"),
    ("delivered", "seen", "seen"),
    ("accepted", "undelivered", "undelivered"),
    ("sent", "expired", "expired"),
    ("sent", "rejected", "rejected"),
    ("sent", "sent", None),
    ("delivered", "sent", None),
    ("delivered", "delivered", None),
    ("delivered", "undelivered", None),
    ("delivered", "expired", None),
    ("delivered", "rejected", None),
    ("seen", "delivered", None),
    ("seen", "expired", None),
    ("seen", "seen", None),
    ("expired", "delivered", "delivered"),
    ("expired", "seen", "seen"),
    ("expired", "undelivered", "undelivered"),
    ("expired", "expired", None),
    ("expired", "sent", None),
    ("expired", "rejected", None),
    ("undelivered", "delivered", None),
    ("undelivered", "seen", None),
    ("rejected", "delivered", None),
    ("rejected", "expired", None),
    ("sent", "bogus", None),
])
def test_r_vib_07_status_apply_table(current, event, expected):
    new = status_apply(st(current) if current else None, ev(event))
    if expected is None:
        assert new is None
    else:
        assert new is not None and new.status == expected and new.at == AT


def test_r_vib_07_late_delivered_after_expired_is_applied():
    state = status_apply(st("sent"), ev("expired"))
    late = status_apply(state, ev("delivered"))
    assert state.status == "expired" and late.status == "delivered" and late.reason == ""


def test_r_vib_07_statuses_accepted_until_14_days_after_the_ttl():
    ttl = 3600
    limit = AT + timedelta(seconds=ttl, days=14)
    assert status_window_open(sent_at=AT, ttl=ttl, now=limit)
    assert not status_window_open(sent_at=AT, ttl=ttl, now=limit + timedelta(seconds=1))


def test_status_apply_failure_keeps_its_reason():
    new = status_apply(st("accepted"), ev("undelivered", reason="not_viber_user"))
    assert (new.status, new.reason) == ("undelivered", "not_viber_user")


def test_status_apply_clicked_is_a_flag():
    new = status_apply(st("delivered"), ev("clicked"))
    assert (new.status, new.clicked) == ("delivered", True)
    assert status_apply(new, ev("clicked")) is None  # a second click changes nothing
    assert status_apply(new, ev("seen")).clicked is True
    assert status_apply(st("undelivered"), ev("clicked")) is None
    assert status_apply(st("rejected"), ev("clicked")) is None


def test_status_apply_same_event_id_twice_is_a_duplicate():
    first = status_apply(st("accepted"), ev("sent", event_id="e-1"))
    assert first.status == "sent" and "e-1" in first.seen_events
    # the same report again, whatever it says, changes nothing
    assert status_apply(first, ev("sent", event_id="e-1")) is None
    assert status_apply(first, ev("clicked", event_id="e-1")) is None


def test_status_apply_converges_whatever_the_order():
    """Every order of sent, delivered, seen, clicked and two repeats (one with the same event id,
    one with a new one) ends seen and clicked."""
    events = [ev("sent"), ev("delivered"), ev("seen"), ev("clicked"), ev("delivered"), ev("sent")]
    events.append(events[2])
    for order in itertools.permutations(range(len(events))):
        state = ViberState(status=Status.ACCEPTED)
        for i in order:
            state = status_apply(state, events[i]) or state
        assert (state.status, state.clicked) == ("seen", True), order


# --- signatures -----------------------------------------------------------------------------------
BODY = json.dumps({"events": [{"event_id": "e-1", "type": "status", "message_id": "p-1", "status": "delivered",
                               "reason": "", "at": "2026-12-05T10:00:00.000Z"}]}).encode()


def signed(body=BODY, *, secret=SECRET, now=None):
    return signature_headers(secret=secret, raw_body=body, now=now, nonce=secrets.token_hex(12))


def test_signature_good_passes():
    headers = signed()
    assert headers["X-Signature"] == signature_compute(secret=SECRET, raw_body=BODY, nonce=headers["X-Nonce"],
                                                       timestamp=headers["X-Timestamp"])
    signature_verify(secret=SECRET, raw_body=BODY, headers=headers)
    # header names in any case (a plain dict from another server)
    signature_verify(secret=SECRET, raw_body=BODY, headers={k.lower(): v for k, v in signed().items()})


@pytest.mark.parametrize("tamper", ["body", "secret", "signature", "nonce", "timestamp", "missing"])
def test_signature_bad_refused(tamper):
    headers, body, secret = signed(), BODY, SECRET
    if tamper == "body":
        body = BODY.replace(b"delivered", b"seen")
    elif tamper == "secret":
        secret = "whsec_other"
    elif tamper == "signature":
        headers["X-Signature"] = "0" * 64
    elif tamper == "nonce":
        headers["X-Nonce"] = secrets.token_hex(12)
    elif tamper == "timestamp":
        headers["X-Timestamp"] = str(int(headers["X-Timestamp"]) - 1)
    else:
        del headers["X-Signature"]
    with pytest.raises(WebhookSignatureInvalid):
        signature_verify(secret=secret, raw_body=body, headers=headers)


def test_signature_old_or_future_refused():
    with pytest.raises(WebhookExpired):
        signature_verify(secret=SECRET, raw_body=BODY, headers=signed(now=time.time() - 301))
    with pytest.raises(WebhookExpired):
        signature_verify(secret=SECRET, raw_body=BODY, headers=signed(now=time.time() + 301))
    signature_verify(secret=SECRET, raw_body=BODY, headers=signed(now=time.time() - 290))


def test_signature_replayed_nonce_refused():
    headers = signed()
    signature_verify(secret=SECRET, raw_body=BODY, headers=headers)
    assert cache.get("viber:webhook-nonce:" + headers["X-Nonce"]) == 1  # kept in settings.CACHES
    with pytest.raises(WebhookReplayed):
        signature_verify(secret=SECRET, raw_body=BODY, headers=headers)


def test_signature_bad_one_does_not_burn_the_nonce():
    headers = signed()
    forged = dict(headers, **{"X-Signature": "f" * 64})
    with pytest.raises(WebhookSignatureInvalid):
        signature_verify(secret=SECRET, raw_body=BODY, headers=forged)
    signature_verify(secret=SECRET, raw_body=BODY, headers=headers)


def test_signature_without_a_secret_refused():
    with pytest.raises(WebhookInvalid) as exc:
        signature_verify(secret="", raw_body=BODY, headers=signed())
    assert exc.value.code == "viber_webhook_not_configured"


# --- webhook parsing ------------------------------------------------------------------------------
def test_webhook_parse_gives_events():
    body = json.dumps({"events": [
        {"event_id": "e-1", "type": "status", "message_id": "p-1", "status": "undelivered",
         "reason": "not_viber_user", "at": "2026-12-05T10:00:00.000Z"},
        {"event_id": "e-2", "type": "inbound", "message_id": "in-1", "phone": "+380671234507",
         "sender": "DemoShop", "text": "Yes", "media_url": "", "reply_to": "p-1", "at": "2026-12-05T10:01:00+00:00"},
    ]}).encode()
    status, inbound = webhook_parse(raw_body=body, headers=signed(body), secret=SECRET)
    assert status == StatusEvent(provider_id="p-1", status="undelivered", at=AT, reason="not_viber_user",
                                 event_id="e-1")
    assert (inbound.phone, inbound.reply_to, inbound.text, inbound.at) == ("+380671234507", "p-1", "Yes",
                                                                           AT + timedelta(minutes=1))


def test_webhook_parse_checks_the_signature_first():
    with pytest.raises(WebhookSignatureInvalid):
        webhook_parse(raw_body=b"not json", headers=signed(b"other"), secret=SECRET)


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b'{"events": {}}',
    b'{"events": [{"type": "status", "message_id": "p", "status": "delivered", "at": "2026-12-05T10:00:00Z"}]}',
    b'{"events": [{"event_id": "e", "type": "status", "message_id": "p", "status": "lost", '
    b'"at": "2026-12-05T10:00:00Z"}]}',
    b'{"events": [{"event_id": "e", "type": "status", "message_id": "p", "status": "sent", "at": "yesterday"}]}',
    b'{"events": [{"event_id": "e", "type": "status", "message_id": "p", "status": "sent", '
    b'"at": "2026-12-05T10:00:00"}]}',
    b'{"events": [{"event_id": "e", "type": "poke", "message_id": "p", "at": "2026-12-05T10:00:00Z"}]}',
    b'{"events": [{"event_id": "e", "type": "inbound", "message_id": "p", "at": "2026-12-05T10:00:00Z"}]}',
])
def test_webhook_malformed_bodies_refused(body):
    with pytest.raises(WebhookMalformed):
        events_parse(body)
    with pytest.raises(WebhookMalformed):
        webhook_parse(raw_body=body, headers=signed(body), secret=SECRET)


# --- the adapter's configuration ------------------------------------------------------------------
def test_provider_get_follows_the_settings(settings):
    settings.SMSPORTAL_VIBER_BASE_URL = ""
    with pytest.raises(ProviderNotConfigured):
        provider_get()
    settings.SMSPORTAL_VIBER_BASE_URL = "https://viber.example.com/api/"
    settings.SMSPORTAL_VIBER_TOKEN = "tok"
    first = provider_get()
    assert provider_get() is first  # one keep-alive pool per process and configuration
    assert (first.pool.scheme, first.pool.host, first.pool.port, first.pool.prefix) == (
        "https", "viber.example.com", None, "/api")
    settings.SMSPORTAL_VIBER_TOKEN = "other"
    assert provider_get() is not first
    settings.SMSPORTAL_VIBER_BASE_URL = "ftp://viber.example.com"
    with pytest.raises(ProviderNotConfigured):
        provider_get()

