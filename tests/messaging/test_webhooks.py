"""Delivery-status webhooks: the endpoint and its URL check, the outbox written by status changes,
signed batched delivery, retries with backoff, 4xx stop, per-client isolation."""
import json
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from messaging.models import MessagePart, WebhookDelivery, WebhookEndpoint, WebhookEvent
from messaging.services import message_send, messages_transition, receipts_apply, receipts_store
from messaging.services.webhooks import (GIVE_UP_AFTER, WebhookUrlInvalid, retry_delay, sign, signature_valid,
                                         webhook_endpoint_set, webhook_secret_regenerate, webhook_url_check,
                                         webhooks_deliver)
from messaging.status import Status
from tests.factories import SenderNameFactory, make_client
from tests.webhook_receiver import webhook_receiver


def _send(client, sender="TestShop", n=1, **kw):
    recipients = [f"+38067123{4560 + i:04d}" for i in range(n)]
    return message_send(client=client, sender=sender, recipients=recipients, text="Hi", **kw).messages


def _submitted(route, messages, prefix="s"):
    ids = [m.pk for m in messages]
    messages_transition(ids=ids, new=Status.SUBMITTING)
    for m in messages:
        MessagePart.objects.create(message=m, seq=1, route=route, status=Status.SUBMITTED,
                                   smsc_message_id=f"{prefix}{m.pk}", submitted_at=timezone.now())
    messages_transition(ids=ids, new=Status.SUBMITTED)


def _deliver_receipts(route, messages, prefix="s", stat="DELIVRD"):
    receipts_store(route_id=route.pk, receipts=[(f"{prefix}{m.pk}", stat, "000", "") for m in messages])
    return receipts_apply()


@pytest.fixture
def other_client(db, tariff):
    client = make_client(name="Beta LLC", balance=100, round_the_clock=True)
    SenderNameFactory(client=client, name="BetaShop", approved=True)
    return client


# --- signature --------------------------------------------------------------------------------

def test_signature_is_hmac_sha256_of_timestamp_dot_body():
    import hashlib
    import hmac

    body = b'{"events":[]}'
    expected = hmac.new(b"whsec_x", b"1764614400." + body, hashlib.sha256).hexdigest()
    assert sign("whsec_x", 1764614400, body) == f"sha256={expected}"
    assert signature_valid("whsec_x", "1764614400", body, f"sha256={expected}", now=1764614400 + 10)
    assert not signature_valid("whsec_x", "1764614400", body + b" ", f"sha256={expected}", now=1764614400)
    assert not signature_valid("whsec_y", "1764614400", body, f"sha256={expected}", now=1764614400)
    # a replayed request, older than the tolerance, is refused
    assert not signature_valid("whsec_x", "1764614400", body, f"sha256={expected}", now=1764614400 + 301)


# --- the endpoint -----------------------------------------------------------------------------

@override_settings(SMSPORTAL_WEBHOOK_ALLOW_PRIVATE=False)
@pytest.mark.parametrize("url", ["ftp://example.com/x", "example.com/hook", "http://127.0.0.1:8000/hook",
                                 "http://10.1.2.3/hook", "http://192.168.0.10/", "http://169.254.169.254/latest",
                                 "http://[::1]/hook", "http://localhost:8000/", "https://user:pw@example.com/",
                                 "http://0.0.0.0/", "https://example.com:99999/", "http://x.internal/"])
def test_webhook_url_refused_in_production(url):
    with pytest.raises(WebhookUrlInvalid):
        webhook_url_check(url)


@override_settings(SMSPORTAL_WEBHOOK_ALLOW_PRIVATE=False)
def test_webhook_url_public_accepted():
    assert webhook_url_check(" https://hooks.example.com/sms?x=1 ") == "https://hooks.example.com/sms?x=1"
    assert webhook_url_check("http://8.8.8.8:8080/hook") == "http://8.8.8.8:8080/hook"


@override_settings(SMSPORTAL_WEBHOOK_ALLOW_PRIVATE=True)
def test_webhook_url_private_allowed_when_the_setting_permits():
    assert webhook_url_check("http://127.0.0.1:8000/hook") == "http://127.0.0.1:8000/hook"
    with pytest.raises(WebhookUrlInvalid):
        webhook_url_check("ftp://127.0.0.1/")


@pytest.mark.django_db
def test_secret_made_once_and_regenerated(client_account):
    endpoint, raw = webhook_endpoint_set(client=client_account, url="http://127.0.0.1:9/a")
    assert raw and raw.startswith("whsec_") and endpoint.secret == raw
    endpoint, again = webhook_endpoint_set(client=client_account, url="http://127.0.0.1:9/b")
    assert again is None and endpoint.secret == raw and endpoint.url.endswith("/b")
    endpoint, new = webhook_secret_regenerate(client=client_account)
    assert new != raw and WebhookEndpoint.objects.get(client=client_account).secret == new


def _stored_secret(endpoint) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT secret FROM messaging_webhookendpoint WHERE id = %s", [endpoint.pk])
        return cur.fetchone()[0]


@pytest.mark.django_db
def test_secret_is_stored_encrypted_and_read_in_clear(client_account):
    from smsportal import crypto  # noqa: PLC0415

    endpoint, raw = webhook_endpoint_set(client=client_account, url="http://127.0.0.1:9/a")
    stored = _stored_secret(endpoint)
    assert raw not in stored and crypto.is_encrypted(stored) and crypto.decrypt(stored) == raw
    assert WebhookEndpoint.objects.values_list("secret", flat=True).get(pk=endpoint.pk) == raw  # what signs
    _, new = webhook_secret_regenerate(client=client_account)
    assert crypto.decrypt(_stored_secret(endpoint)) == new


@pytest.mark.django_db
def test_migration_encrypts_existing_secrets_and_reverses(client_account):
    import importlib  # noqa: PLC0415

    from smsportal import crypto  # noqa: PLC0415

    migration = importlib.import_module("messaging.migrations.0016_webhook_secret_encrypted")
    endpoint, raw = webhook_endpoint_set(client=client_account, url="http://127.0.0.1:9/a")
    with connection.cursor() as cur:  # as a row saved before secrets were encrypted
        cur.execute("UPDATE messaging_webhookendpoint SET secret = %s WHERE id = %s", ["whsec_old", endpoint.pk])
    with connection.schema_editor(atomic=False) as editor:
        migration.encrypt_all(None, editor)
        assert crypto.decrypt(_stored_secret(endpoint)) == "whsec_old"
        assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == "whsec_old"
        migration.encrypt_all(None, editor)  # again: nothing is encrypted twice
        assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == "whsec_old"
        migration.decrypt_all(None, editor)
        assert _stored_secret(endpoint) == "whsec_old"


# --- writing events ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_events_only_for_clients_with_a_webhook_in_one_insert_per_batch(client_account, other_client, route):
    webhook_endpoint_set(client=client_account, url="http://127.0.0.1:9/hook")
    mine, theirs = _send(client_account, n=3), _send(other_client, sender="BetaShop", n=2)
    _submitted(route, mine + theirs)
    assert not WebhookEvent.objects.exists()  # `submitted` only for endpoints that ask for it
    with CaptureQueriesContext(connection) as ctx:
        assert _deliver_receipts(route, mine + theirs) == 5
    inserts = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("INSERT INTO \"messaging_webhookevent\"")
               or q["sql"].startswith("INSERT INTO messaging_webhookevent")]
    assert len(inserts) == 1
    events = list(WebhookEvent.objects.order_by("message_id"))
    assert [e.message_id for e in events] == [m.pk for m in mine]
    assert {e.client_id for e in events} == {client_account.pk}
    p = events[0].payload
    assert p["message_id"] == str(mine[0].public_id) and p["status"] == "delivered"
    assert p["recipient"] == mine[0].recipient and p["segments"] == 1 and p["campaign_id"] is None
    assert p["price"]["currency"] == "UAH" and p["price"]["amount"] == f"{mine[0].price.amount:.2f}"
    assert p["done_at"] and p["created_at"] and p["submitted_at"] and p["error_code"] is None


@pytest.mark.django_db
def test_submitted_events_when_asked_and_cancelled_is_an_event(client_account, route):
    webhook_endpoint_set(client=client_account, url="http://127.0.0.1:9/hook", submitted_events=True)
    sent = _send(client_account, n=2)
    _submitted(route, sent[:1])
    messages_transition(ids=[sent[1].pk], new=Status.CANCELLED, error_code="cancelled")
    assert sorted(WebhookEvent.objects.values_list("event", flat=True)) == ["cancelled", "submitted"]
    cancelled = WebhookEvent.objects.get(event="cancelled")
    assert cancelled.payload["error_code"] == "cancelled"


@pytest.mark.django_db
def test_callback_url_of_a_send_overrides_the_clients_url(client_account, route):
    webhook_endpoint_set(client=client_account, url="http://127.0.0.1:9/default")
    sent = _send(client_account, callback_url="http://127.0.0.1:9/this-send")
    other = _send(client_account)
    _submitted(route, sent + other)
    _deliver_receipts(route, sent + other)
    assert dict(WebhookEvent.objects.values_list("message_id", "url")) == {
        sent[0].pk: "http://127.0.0.1:9/this-send", other[0].pk: "http://127.0.0.1:9/default"}


# --- delivering -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_events_batched_into_one_signed_post(client_account, route):
    with webhook_receiver() as rx:
        _endpoint, secret = webhook_endpoint_set(client=client_account, url=rx.url())
        sent = _send(client_account, n=3)
        _submitted(route, sent)
        _deliver_receipts(route, sent)
        assert webhooks_deliver() == 3
    assert len(rx.requests) == 1
    req = rx.requests[0]
    ts, sig = req["headers"]["X-Smsportal-Timestamp"], req["headers"]["X-Smsportal-Signature"]
    assert sig == sign(secret, ts, req["body"]) and abs(int(ts) - time.time()) < 60
    assert signature_valid(secret, ts, req["body"], sig)
    events = req["json"]["events"]
    assert sorted(e["message_id"] for e in events) == sorted(str(m.public_id) for m in sent)
    assert {e["type"] for e in events} == {"message.status"} and all(e["id"] for e in events)
    assert set(WebhookEvent.objects.values_list("state", flat=True)) == {"delivered"}
    delivery = WebhookDelivery.objects.get()
    assert delivery.http_status == 200 and delivery.events == 3


@pytest.mark.django_db
def test_a_client_never_receives_another_clients_events(client_account, other_client, route):
    with webhook_receiver() as rx:
        _e, secret_a = webhook_endpoint_set(client=client_account, url=rx.url("/a"))
        _e, secret_b = webhook_endpoint_set(client=other_client, url=rx.url("/b"))
        mine, theirs = _send(client_account, n=2), _send(other_client, sender="BetaShop", n=2)
        _submitted(route, mine + theirs)
        _deliver_receipts(route, mine + theirs)
        assert webhooks_deliver() == 4
    assert len(rx.requests) == 2
    for req in rx.requests:
        secret, batch = (secret_a, mine) if req["path"] == "/a" else (secret_b, theirs)
        h = req["headers"]
        assert h["X-Smsportal-Signature"] == sign(secret, h["X-Smsportal-Timestamp"], req["body"])
        assert sorted(e["message_id"] for e in req["json"]["events"]) == sorted(str(m.public_id) for m in batch)


def test_retry_schedule_is_exponential_capped_and_jittered():
    with override_settings(SMSPORTAL_WEBHOOK_RETRY_BASE_SECONDS=30, SMSPORTAL_WEBHOOK_RETRY_MAX_SECONDS=3600):
        for attempts, nominal in [(1, 30), (2, 60), (3, 120), (5, 480), (8, 3600), (30, 3600)]:
            for _ in range(20):
                assert nominal * 0.9 <= retry_delay(attempts) <= nominal * 1.1


@pytest.mark.django_db
@pytest.mark.parametrize("answer", [500, 503, 408, 429])
def test_5xx_408_429_retried_with_backoff_then_delivered(client_account, route, answer):
    with webhook_receiver() as rx:
        webhook_endpoint_set(client=client_account, url=rx.url())
        sent = _send(client_account)
        _submitted(route, sent)
        _deliver_receipts(route, sent)
        rx.status = [answer, answer, 200]
        now = timezone.now()
        assert webhooks_deliver(now=now) == 0
        event = WebhookEvent.objects.get()
        assert event.state == "pending" and event.attempts == 1 and event.last_http_status == answer
        assert timedelta(seconds=26) < event.next_attempt_at - now < timedelta(seconds=34)
        assert webhooks_deliver(now=now + timedelta(seconds=10)) == 0 and len(rx.requests) == 1  # not yet due
        assert webhooks_deliver(now=now + timedelta(seconds=35)) == 0
        event.refresh_from_db()
        assert event.attempts == 2
        assert timedelta(seconds=52) < event.next_attempt_at - (now + timedelta(seconds=35)) < timedelta(seconds=68)
        assert webhooks_deliver(now=now + timedelta(seconds=200)) == 1
    event.refresh_from_db()
    assert event.state == "delivered" and event.attempts == 3 and len(rx.requests) == 3
    # every try of the same events carries the same event ids (receivers dedupe on them)
    assert len({r["json"]["events"][0]["id"] for r in rx.requests}) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("answer", [400, 401, 404, 410])
def test_4xx_stops_at_once(client_account, route, answer):
    with webhook_receiver() as rx:
        webhook_endpoint_set(client=client_account, url=rx.url())
        sent = _send(client_account)
        _submitted(route, sent)
        _deliver_receipts(route, sent)
        rx.status = answer
        now = timezone.now()
        webhooks_deliver(now=now)
        webhooks_deliver(now=now + timedelta(hours=2))
    event = WebhookEvent.objects.get()
    assert event.state == "failed" and event.attempts == 1 and event.last_http_status == answer
    assert len(rx.requests) == 1


@pytest.mark.django_db
def test_network_errors_retried_for_24_hours_then_failed(client_account, route):
    with webhook_receiver() as rx:
        dead = rx.url()
    webhook_endpoint_set(client=client_account, url=dead)  # nothing listens there any more
    sent = _send(client_account)
    _submitted(route, sent)
    _deliver_receipts(route, sent)
    event = WebhookEvent.objects.get()
    at, tries = event.created_at, 0
    while WebhookEvent.objects.get().state == "pending":
        event = WebhookEvent.objects.get()
        at = max(at, event.next_attempt_at)
        webhooks_deliver(now=at)
        tries += 1
        assert tries < 60
    event = WebhookEvent.objects.get()
    assert event.state == "failed" and event.last_http_status is None and event.last_error
    assert event.last_attempt_at <= event.created_at + GIVE_UP_AFTER + timedelta(hours=1.1)
    assert event.last_attempt_at >= event.created_at + GIVE_UP_AFTER - timedelta(hours=1.1)
    assert 20 <= event.attempts == tries


@pytest.mark.django_db
@override_settings(SMSPORTAL_WEBHOOK_ALLOW_PRIVATE=False)
def test_delivery_refuses_a_private_address_in_production(client_account, route):
    WebhookEndpoint.objects.create(client=client_account, url="http://127.0.0.1:9/hook", secret="whsec_x")
    sent = _send(client_account)
    _submitted(route, sent)
    _deliver_receipts(route, sent)
    webhooks_deliver()
    event = WebhookEvent.objects.get()
    assert event.state == "pending" and "private" in event.last_error


@pytest.mark.django_db(transaction=True)
def test_delivered_after_commit_and_no_lock_held_during_the_post(client_account, route, monkeypatch):
    """The commit that writes events starts their delivery (eager here); the POST runs outside
    any transaction, so no row lock is held while the client's server answers."""
    import messaging.services.webhooks as W

    seen = []
    original = W.webhook_post

    def probing_post(url, secret, body):
        seen.append(connection.in_atomic_block)
        return original(url, secret, body)

    monkeypatch.setattr(W, "webhook_post", probing_post)
    with webhook_receiver() as rx:
        webhook_endpoint_set(client=client_account, url=rx.url())
        sent = _send(client_account)
        _submitted(route, sent)
        _deliver_receipts(route, sent)  # receipts_apply commits: the delivery task runs (eager)
    assert seen == [False]
    assert json.loads(rx.requests[0]["body"])["events"][0]["status"] == "delivered"
    assert WebhookEvent.objects.get().state == "delivered"


# --- API: callback_url ------------------------------------------------------------------------

@pytest.mark.django_db
def test_api_callback_url_needs_a_secret_and_a_valid_url(api):
    body = {"sender": "TestShop", "recipients": ["+380671234567"], "text": "Hi",
            "callback_url": "https://hooks.example.com/sms"}
    r = api.post("/api/v1/messages/", body, format="json")
    assert r.status_code == 400 and r.json()["code"] == "webhook_not_configured"
    webhook_endpoint_set(client=api.account, url="")
    r = api.post("/api/v1/messages/", {**body, "callback_url": "ftp://hooks.example.com/"}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "invalid_callback_url"
    r = api.post("/api/v1/messages/", body, format="json")
    assert r.status_code == 201, r.content
    from messaging.models import Message

    assert Message.objects.get().callback_url == "https://hooks.example.com/sms"


@pytest.mark.django_db
def test_api_campaign_callback_url_routes_its_events(api, route):
    from messaging.models import Campaign, Message

    webhook_endpoint_set(client=api.account, url="http://127.0.0.1:9/default")
    r = api.post("/api/v1/campaigns/", {"sender": "TestShop", "text": "Hi", "recipients": ["+380671234567"],
                                        "callback_url": "http://127.0.0.1:9/campaign"}, format="json")
    assert r.status_code == 201, r.content
    campaign = Campaign.objects.get()
    assert campaign.callback_url == "http://127.0.0.1:9/campaign"
    messages = list(Message.objects.filter(campaign=campaign))
    _submitted(route, messages)
    _deliver_receipts(route, messages)
    event = WebhookEvent.objects.get()
    assert event.url == "http://127.0.0.1:9/campaign" and event.payload["campaign_id"] == str(campaign.public_id)


@pytest.mark.django_db
def test_r_acc_08_webhook_events_destroyed_with_personal_data(client_account):
    from lifecycle.services import client_personal_data_destroy, client_terminate

    webhook_endpoint_set(client=client_account, url="http://127.0.0.1:9/hook")
    _send(client_account)
    client_terminate(client=client_account, reason="Contract ended")  # cancels what was not sent: an event
    assert WebhookEvent.objects.filter(client=client_account, event="cancelled").exists()
    client_personal_data_destroy(client=client_account)
    assert not WebhookEvent.objects.filter(client=client_account).exists()
    assert not WebhookEndpoint.objects.filter(client=client_account).exists()
    assert not WebhookDelivery.objects.filter(client=client_account).exists()


def test_readme_verification_snippet_accepts_our_signature_and_refuses_a_forged_one():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Webhooks", 1)[1]
    code = section.split("```python", 1)[1].split("```", 1)[0]
    scope: dict = {}
    exec(code, scope)  # noqa: S102 (our own README)
    body, ts = b'{"events":[{"status":"delivered"}]}', str(int(time.time()))
    assert scope["verify"]("whsec_s", ts, body, sign("whsec_s", ts, body))
    assert not scope["verify"]("whsec_s", ts, body + b"x", sign("whsec_s", ts, body))
    assert not scope["verify"]("whsec_other", ts, body, sign("whsec_s", ts, body))


@pytest.mark.django_db
def test_a_run_stops_after_its_time_budget_and_the_next_goes_on(client_account, other_client, route):
    with webhook_receiver() as rx:
        webhook_endpoint_set(client=client_account, url=rx.url("/a"))
        webhook_endpoint_set(client=other_client, url=rx.url("/b"))
        mine, theirs = _send(client_account), _send(other_client, sender="BetaShop")
        _submitted(route, mine + theirs)
        _deliver_receipts(route, mine + theirs)
        assert webhooks_deliver(budget_seconds=0.0) == 1  # one request, then the budget is spent
        assert webhooks_deliver() == 1
    assert sorted(r["path"] for r in rx.requests) == ["/a", "/b"]


@pytest.mark.django_db
def test_webhook_delivery_job_is_declared_for_beat():
    from django_celery_beat.models import PeriodicTask

    job = PeriodicTask.objects.get(task="messaging.webhooks_deliver")
    assert job.enabled and job.interval.every == 30 and job.interval.period == "seconds"


@pytest.mark.django_db
def test_submitted_events_from_the_connectors_flush_only_for_clients_that_ask(client_account, other_client, route):
    from messaging.services import connector_flush, parts_claim

    webhook_endpoint_set(client=client_account, url="http://127.0.0.1:9/a", submitted_events=True)
    webhook_endpoint_set(client=other_client, url="http://127.0.0.1:9/b")  # final statuses only
    mine, theirs = _send(client_account, n=2), _send(other_client, sender="BetaShop", n=2)
    claimed = parts_claim(route_id=route.pk, limit=10)
    assert len(claimed) == 4
    connector_flush(route_id=route.pk, submitted=[(p.part_id, p.message_id, f"x{p.part_id}") for p in claimed],
                    complete=[p.message_id for p in claimed])
    events = list(WebhookEvent.objects.values_list("message_id", "event", "url"))
    assert sorted(events) == sorted((m.pk, "submitted", "http://127.0.0.1:9/a") for m in mine)
    assert all(e.payload["submitted_at"] for e in WebhookEvent.objects.all())
    assert {m.pk for m in theirs}.isdisjoint({e[0] for e in events})


@pytest.mark.django_db
def test_old_events_and_deliveries_purged_nightly(client_account):
    from django_celery_beat.models import PeriodicTask

    from messaging.services.webhooks import webhook_events_purge

    now = timezone.now()
    for age in (31, 29):
        WebhookEvent.objects.create(client=client_account, url="http://127.0.0.1:9/", event="delivered", payload={},
                                    state="delivered", created_at=now - timedelta(days=age))
    old = WebhookDelivery.objects.create(client=client_account, url="http://127.0.0.1:9/", events=1, http_status=200)
    WebhookDelivery.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=31))
    assert webhook_events_purge(now=now, batch=1) == 1
    assert WebhookEvent.objects.count() == 1 and not WebhookDelivery.objects.exists()
    job = PeriodicTask.objects.get(task="messaging.webhooks_purge")
    assert job.enabled and job.crontab.hour == "3"
