"""Viber dispatch, statuses and the SMS fallback (messaging.viber.dispatch, POST /viber/webhook/)."""
# ruff: noqa: F811 (the `viber_client` fixture is imported, then named by the tests)
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from billing.selectors import wallet_get
from messaging.models import Message, ViberDetail, ViberEventSeen, WebhookEndpoint, WebhookEvent
from messaging.viber.dispatch import events_apply, fallbacks_send, viber_dispatch, viber_poll
from messaging.viber.provider import Accepted, ProviderUnavailable, Refused, StatusEvent
from messaging.viber.service import viber_send
from messaging.viber.signing import signature_headers
from tests.messaging.viber_fixtures import KYIVSTAR, VODAFONE, req, viber_client  # noqa: F401

pytestmark = pytest.mark.django_db
SECRET = "webhook-secret-for-tests"


class FakeProvider:
    def __init__(self, answer=None):
        self.sent, self.answer, self.polled = [], answer, []
        self.poll_answer = []

    def send(self, message):
        self.sent.append(message)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer or Accepted(f"p-{message.phone}-{len(self.sent)}")

    def statuses(self, ids):
        self.polled.append(list(ids))
        return self.poll_answer


def _send(client, phones=(KYIVSTAR,), **kw):
    return viber_send(client=client, recipients=list(phones), request=req(**kw))


def _dispatched(client, provider=None, **kw):
    provider = provider or FakeProvider()
    result = _send(client, **kw)
    viber_dispatch(provider=provider)
    return [Message.objects.select_related("viber").get(pk=m.pk) for m in result.messages], provider


def _ev(pid, status, eid, at=None, reason=""):
    return StatusEvent(provider_id=pid, status=status, at=at or timezone.now(), reason=reason, event_id=eid)


def test_dispatch_submits_and_captures_with_the_provider_id(viber_client):
    before = wallet_get(client=viber_client).balance.amount
    [m], provider = _dispatched(viber_client)
    assert m.status == "submitted" and m.viber.provider_message_id.startswith("p-")
    out = provider.sent[0]
    assert out.sequence_id == str(m.public_id) and out.viber_type == "welcome" and out.phone == KYIVSTAR
    assert wallet_get(client=viber_client).balance.amount == before - Decimal("0.9000")


def test_dispatch_synchronous_refusal_is_refunded(viber_client):
    before = wallet_get(client=viber_client)
    [m], _ = _dispatched(viber_client, FakeProvider(Refused("recipient_stop_listed", "On the stop list")))
    after = wallet_get(client=viber_client)
    assert m.status == "refused" and m.error_code == "recipient_stop_listed"
    assert after.balance == before.balance and after.held == before.held


def test_dispatch_provider_down_requeues_with_backoff(viber_client):
    [m], provider = _dispatched(viber_client, FakeProvider(ProviderUnavailable()))
    assert m.status == "queued" and m.send_at > timezone.now()
    provider.answer = None
    viber_dispatch(provider=provider)
    assert Message.objects.get(pk=m.pk).status == "queued"  # not due yet
    Message.objects.filter(pk=m.pk).update(send_at=timezone.now() - timedelta(seconds=1))
    viber_dispatch(provider=provider)
    assert Message.objects.get(pk=m.pk).status == "submitted"
    assert {s.sequence_id for s in provider.sent} == {str(m.public_id)}  # the retry is the same send


def test_dispatch_rechecks_the_stop_list(viber_client):
    from compliance.services import opt_out_record

    result = _send(viber_client)
    opt_out_record(client=viber_client, phone=KYIVSTAR)
    provider = FakeProvider()
    viber_dispatch(provider=provider)
    m = Message.objects.get(pk=result.messages[0].pk)
    assert m.status == "refused" and m.error_code == "opted_out" and provider.sent == []


def test_statuses_delivered_seen_clicked_apply_once_and_in_order(viber_client):
    [m], _ = _dispatched(viber_client)
    pid = m.viber.provider_message_id
    WebhookEndpoint.objects.create(client=viber_client, url="https://hooks.example/sms")
    t = timezone.now()
    events_apply([_ev(pid, "seen", "e2", t + timedelta(seconds=2)), _ev(pid, "delivered", "e1", t),
                  _ev(pid, "clicked", "e3", t + timedelta(seconds=3))])
    m.refresh_from_db()
    d = ViberDetail.objects.get(pk=m.pk)
    assert m.status == "delivered" and d.seen_at and d.clicked_at and d.delivered_at
    # the late "delivered" after "seen" changes nothing; the same event id twice is one event
    assert events_apply([_ev(pid, "delivered", "e1"), _ev(pid, "undelivered", "e4")])["applied"] == 0
    assert Message.objects.get(pk=m.pk).status == "delivered"
    assert set(WebhookEvent.objects.filter(message=m).values_list("event", flat=True)) >= {"delivered", "seen",
                                                                                           "clicked"}
    assert ViberEventSeen.objects.filter(event_id="e1").count() == 1


def test_r_vib_07_late_status_within_14_days_after_the_ttl(viber_client):
    [m], _ = _dispatched(viber_client, ttl=3600)
    pid = m.viber.provider_message_id
    events_apply([_ev(pid, "expired", "x1")])
    assert Message.objects.get(pk=m.pk).status == "expired"
    later = timezone.now() + timedelta(days=13)
    events_apply([_ev(pid, "delivered", "x2", later)], now=later)
    assert Message.objects.get(pk=m.pk).status == "delivered"


def test_r_vib_07_status_after_the_late_window_is_dropped(viber_client):
    [m], _ = _dispatched(viber_client, ttl=3600)
    pid = m.viber.provider_message_id
    events_apply([_ev(pid, "expired", "y1")])
    too_late = timezone.now() + timedelta(days=14, hours=2)
    assert events_apply([_ev(pid, "delivered", "y2", too_late)], now=too_late)["applied"] == 0
    assert Message.objects.get(pk=m.pk).status == "expired"


def test_fallback_to_sms_when_not_a_viber_user(viber_client):
    [m], _ = _dispatched(viber_client, fallback_sender="TestShop", fallback_text="Welcome! Our shop: +380441234567")
    out = events_apply([_ev(m.viber.provider_message_id, "undelivered", "f1", reason="not_viber_user")])
    assert out["fallbacks"] == 1
    d = ViberDetail.objects.select_related("fallback_message").get(pk=m.pk)
    leg = d.fallback_message
    assert leg.channel == "sms" and leg.sender == "TestShop" and leg.recipient == KYIVSTAR
    assert leg.status == "queued" and leg.price.amount > 0
    assert fallbacks_send() == 0  # once


def test_no_fallback_when_rejected_or_without_one(viber_client):
    [m], _ = _dispatched(viber_client, fallback_sender="TestShop", fallback_text="Hi +380441234567")
    events_apply([_ev(m.viber.provider_message_id, "rejected", "g1", reason="rejected_by_viber")])
    assert ViberDetail.objects.get(pk=m.pk).fallback_message is None
    [n], _ = _dispatched(viber_client, phones=[VODAFONE])
    events_apply([_ev(n.viber.provider_message_id, "undelivered", "g2", reason="not_viber_user")])
    assert ViberDetail.objects.get(pk=n.pk).fallback_message is None


def test_fallback_sender_must_be_an_approved_sms_sender(viber_client):
    from smsportal.errors import ApplicationError

    with pytest.raises(ApplicationError) as exc:
        _send(viber_client, fallback_sender="ViberShop", fallback_text="Hi")
    assert exc.value.code == "sender_not_approved"
    with pytest.raises(ApplicationError) as exc:
        _send(viber_client, fallback_sender="TestShop")
    assert exc.value.code == "fallback_incomplete"


def test_polling_applies_statuses_the_webhooks_missed(viber_client):
    [m], provider = _dispatched(viber_client)
    pid = m.viber.provider_message_id
    provider.poll_answer = [_ev(pid, "delivered", f"poll:{pid}:delivered")]
    later = timezone.now() + timedelta(minutes=30)
    assert viber_poll(provider=provider, now=later) == 1
    assert provider.polled == [[pid]] and Message.objects.get(pk=m.pk).status == "delivered"


@override_settings(SMSPORTAL_VIBER_WEBHOOK_SECRET=SECRET)
def test_webhook_signed_applied_and_replay_safe(viber_client, client):
    [m], _ = _dispatched(viber_client)
    body = json.dumps({"events": [{"event_id": "w1", "type": "status", "message_id": m.viber.provider_message_id,
                                   "status": "delivered", "reason": "", "at": timezone.now().isoformat()}]}).encode()
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in signature_headers(secret=SECRET, raw_body=body).items()}
    ok = client.post("/viber/webhook/", body, content_type="application/json", **headers)
    assert ok.status_code == 200 and ok.json()["applied"] == 1
    assert Message.objects.get(pk=m.pk).status == "delivered"
    replay = client.post("/viber/webhook/", body, content_type="application/json", **headers)
    assert replay.status_code == 401 and replay.json()["code"] == "viber_webhook_replayed"
    bad = {**headers, "HTTP_X_SIGNATURE": "0" * 64}
    forged = client.post("/viber/webhook/", body, content_type="application/json", **bad)
    assert forged.status_code == 401 and forged.json()["code"] == "viber_webhook_signature_invalid"
    junk = signature_headers(secret=SECRET, raw_body=b"[]")
    malformed = client.post("/viber/webhook/", b"[]", content_type="application/json",
                            **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in junk.items()})
    assert malformed.status_code == 400


@override_settings(SMSPORTAL_VIBER_BASE_URL="")
def test_dispatch_without_a_configured_provider_keeps_the_messages_queued(viber_client):
    assert viber_dispatch() == 0  # nothing queued: no provider needed, no error
    m = _send(viber_client).messages[0]
    viber_dispatch()
    m.refresh_from_db()
    assert m.status == "queued" and m.send_at > timezone.now() + timedelta(minutes=4)


def test_fallback_to_sms_when_the_viber_message_expired_undelivered(viber_client):
    [m], _ = _dispatched(viber_client, fallback_sender="TestShop", fallback_text="Welcome! +380441234567")
    assert events_apply([_ev(m.viber.provider_message_id, "expired", "h1")])["fallbacks"] == 1
    leg = ViberDetail.objects.select_related("fallback_message").get(pk=m.pk).fallback_message
    assert leg is not None and leg.channel == "sms"
