"""`Idempotency-Key` on the API's creating POSTs (R-BILL-14: nothing is sent or charged twice):
one key, one request, once — under concurrency too (real threads, each on its own PostgreSQL
connection), with every repeat answered like the first."""
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_key_create
from billing.models import Invoice, LedgerEntry
from billing.services import wallet_topup
from messaging.models import Campaign, ContactGroup, IdempotencyKey, Message
from messaging.services import message_send
from messaging.services.idempotency import RETENTION, idempotency_keys_purge
from senders.models import SenderName
from tests.factories import SenderNameFactory, make_client

SEND = {"sender": "TestShop", "recipients": ["+380671234567"], "text": "Your order 42 is ready"}
CAMPAIGN = {"sender": "TestShop", "text": "Sale -20% today", "name": "Friday",
            "recipients": ["+380671234567", "+380501234567", "+380931234567"]}


def _api(client) -> APIClient:
    _key, raw = api_key_create(client=client, name="tests")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def _concurrently(n: int, call) -> list:
    """Runs call(i) in n threads released together; returns their results in thread order."""
    results, errors, barrier = [None] * n, [], threading.Barrier(n)

    def attempt(i):
        try:
            barrier.wait(timeout=30)
            results[i] = call(i)
        except Exception as exc:  # noqa: BLE001 (reported by the assertion below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


def _race_client():
    client = make_client(name="Race LLC", balance=100)
    SenderNameFactory(client=client, name="TestShop", approved=True)
    return client


@pytest.mark.django_db(transaction=True)
def test_r_bill_14_ten_concurrent_sends_with_one_key_send_and_hold_once(tariff, route):
    client = _race_client()
    _key, raw = api_key_create(client=client, name="race")

    def post(_i):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        r = api.post("/api/v1/messages/", SEND, format="json", HTTP_IDEMPOTENCY_KEY="order-42")
        return r.status_code, r.content, r.headers.get("Idempotent-Replayed")

    results = _concurrently(10, post)
    assert {(status, body) for status, body, _ in results} == {(201, results[0][1])}  # 10 identical answers
    assert sorted(replayed or "" for _s, _b, replayed in results) == [""] + ["true"] * 9
    assert Message.objects.filter(client=client).count() == 1
    wallet = client.wallet
    wallet.refresh_from_db()
    assert LedgerEntry.objects.filter(wallet=wallet, kind="hold").count() == 1
    assert wallet.held.amount == Decimal("0.85")
    assert IdempotencyKey.objects.filter(client=client, endpoint="messages.send", key="order-42").count() == 1


@pytest.mark.django_db(transaction=True)
def test_r_bill_14_ten_concurrent_campaigns_with_one_key_create_and_hold_once(tariff, route):
    client = _race_client()
    _key, raw = api_key_create(client=client, name="race")

    def post(_i):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        r = api.post("/api/v1/campaigns/", CAMPAIGN, format="json", HTTP_IDEMPOTENCY_KEY="friday-sale")
        return r.status_code, r.content

    results = _concurrently(10, post)
    assert [status for status, _ in results] == [201] * 10
    assert all(body == results[0][1] for _, body in results)
    assert Campaign.objects.filter(client=client).count() == 1
    assert Message.objects.filter(client=client).count() == 3
    wallet = client.wallet
    wallet.refresh_from_db()
    assert LedgerEntry.objects.filter(wallet=wallet, kind="hold").count() == 1
    assert wallet.held.amount == Decimal("2.55")


@pytest.mark.django_db(transaction=True)
def test_r_bill_14_concurrent_different_bodies_with_one_key_send_one_and_refuse_the_others(tariff, route):
    client = _race_client()
    _key, raw = api_key_create(client=client, name="race")
    bodies = [SEND, {**SEND, "text": "Another text"}]

    def post(i):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        r = api.post("/api/v1/messages/", bodies[i % 2], format="json", HTTP_IDEMPOTENCY_KEY="order-43")
        return i % 2, r.status_code, r.content

    results = _concurrently(8, post)
    [message] = Message.objects.filter(client=client)
    winner = 0 if message.text == SEND["text"] else 1
    assert {(status, body) for body_no, status, body in results if body_no == winner} == {
        (201, next(b for n, s, b in results if n == winner))}
    assert {status for body_no, status, _ in results if body_no != winner} == {422}
    assert LedgerEntry.objects.filter(wallet__client=client, kind="hold").count() == 1


@pytest.mark.django_db(transaction=True)
def test_r_bill_14_concurrent_service_sends_with_one_key_store_once(tariff, route):
    """The send service itself (the website's Send form passes its form token as the key) looks
    for the key's send again under a lock, so two submits racing past the first look send once."""
    client = _race_client()

    def send(_i):
        result = message_send(client=client, sender="TestShop", recipients=["+380671234567"], text="Hi",
                              idempotency_key="web:form-token-1")
        return [m.public_id for m in result.messages]

    results = _concurrently(8, send)
    assert all(ids == results[0] for ids in results)
    assert Message.objects.filter(client=client).count() == 1
    assert LedgerEntry.objects.filter(wallet__client=client, kind="hold").count() == 1


@pytest.mark.django_db
def test_r_bill_14_repeat_later_gets_the_same_status_and_body(api):
    first = api.post("/api/v1/messages/", SEND, format="json", HTTP_IDEMPOTENCY_KEY="order-7")
    again = api.post("/api/v1/messages/", SEND, format="json", HTTP_IDEMPOTENCY_KEY="order-7")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert Message.objects.count() == 1


@pytest.mark.django_db
def test_same_key_with_another_body_is_422_and_sends_nothing(api):
    assert api.post("/api/v1/messages/", SEND, format="json", HTTP_IDEMPOTENCY_KEY="k1").status_code == 201
    other = api.post("/api/v1/messages/", {**SEND, "text": "Another text"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert Message.objects.count() == 1 and LedgerEntry.objects.filter(kind="hold").count() == 1

    campaign = api.post("/api/v1/campaigns/", CAMPAIGN, format="json", HTTP_IDEMPOTENCY_KEY="c1")
    assert campaign.status_code == 201
    changed = api.post("/api/v1/campaigns/", {**CAMPAIGN, "recipients": ["+380671234567"]}, format="json",
                       HTTP_IDEMPOTENCY_KEY="c1")
    assert changed.status_code == 422 and changed.json()["code"] == "idempotency_key_reused"
    assert Campaign.objects.count() == 1


@pytest.mark.django_db
def test_same_parameters_in_another_key_order_are_the_same_request(api):
    first = api.post("/api/v1/messages/", SEND, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    reordered = api.post("/api/v1/messages/", dict(reversed(list(SEND.items()))), format="json",
                         HTTP_IDEMPOTENCY_KEY="k2")
    assert reordered.status_code == 201 and reordered.json() == first.json()


@pytest.mark.django_db
def test_keys_are_per_client_and_per_endpoint(api):
    other = make_client(name="Other LLC", balance=100)
    SenderNameFactory(client=other, name="OtherShop", approved=True)
    mine = api.post("/api/v1/messages/", SEND, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    theirs = _api(other).post("/api/v1/messages/", {**SEND, "sender": "OtherShop"}, format="json",
                              HTTP_IDEMPOTENCY_KEY="shared")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["messages"][0]["id"] != theirs.json()["messages"][0]["id"]
    assert Message.objects.filter(client=api.account).count() == 1 and Message.objects.filter(client=other).count() == 1
    assert LedgerEntry.objects.filter(kind="hold").count() == 2

    campaign = api.post("/api/v1/campaigns/", CAMPAIGN, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert campaign.status_code == 201 and Campaign.objects.count() == 1  # another endpoint: another key


@pytest.mark.django_db
def test_a_refused_request_does_not_use_up_its_key(api):
    bad = api.post("/api/v1/messages/", {**SEND, "sender": "Unknown"}, format="json", HTTP_IDEMPOTENCY_KEY="fix-me")
    assert bad.status_code == 400 and bad.json()["code"] == "sender_not_approved"
    assert not IdempotencyKey.objects.exists()
    fixed = api.post("/api/v1/messages/", SEND, format="json", HTTP_IDEMPOTENCY_KEY="fix-me")
    assert fixed.status_code == 201 and Message.objects.count() == 1


@pytest.mark.django_db
def test_r_bill_14_campaign_refused_for_funds_can_be_retried_with_its_key_after_a_top_up(api):
    body = {**CAMPAIGN, "recipients": [f"+38067{i:07d}" for i in range(150)]}  # 127.50 UAH > 100
    refused = api.post("/api/v1/campaigns/", body, format="json", HTTP_IDEMPOTENCY_KEY="big")
    assert refused.status_code == 402 and refused.json()["code"] == "insufficient_funds"
    assert Campaign.objects.get().state == Campaign.State.FAILED  # the refusal itself is still recorded
    wallet_topup(client=api.account, amount=Decimal("100"), key="bank-1")
    retried = api.post("/api/v1/campaigns/", body, format="json", HTTP_IDEMPOTENCY_KEY="big")
    assert retried.status_code == 201 and retried.json()["counts"]["accepted"] == 150
    again = api.post("/api/v1/campaigns/", body, format="json", HTTP_IDEMPOTENCY_KEY="big")
    assert again.status_code == 201 and again.json() == retried.json()
    assert Campaign.objects.filter(state=Campaign.State.SENDING).count() == 1
    assert LedgerEntry.objects.filter(kind="hold").count() == 1


@pytest.mark.django_db
def test_other_creating_posts_create_once_per_key(api):
    for _ in range(2):
        r = api.post("/api/v1/contact-groups/", {"name": "VIP", "contacts": ["+380671234567"]}, format="json",
                     HTTP_IDEMPOTENCY_KEY="g1")
        assert r.status_code == 201
    assert ContactGroup.objects.count() == 1
    group = ContactGroup.objects.get()
    for _ in range(2):
        r = api.post(f"/api/v1/contact-groups/{group.pk}/contacts/", {"contacts": ["+380501234567"]},
                     format="json", HTTP_IDEMPOTENCY_KEY="import-1")
        assert r.status_code == 200 and r.json()["added"] == 1  # the second answer is the first one's
    answers = [api.post("/api/v1/invoices/", {"amount": 500}, format="json", HTTP_IDEMPOTENCY_KEY="inv-1")
               for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 201] and answers[0].json() == answers[1].json()
    assert Invoice.objects.filter(client=api.account).count() == 1
    other = api.post("/api/v1/invoices/", {"amount": 600}, format="json", HTTP_IDEMPOTENCY_KEY="inv-1")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    names = [api.post("/api/v1/senders/", {"name": "Kvitka", "company_name": "Kvitka LLC"}, format="json",
                      HTTP_IDEMPOTENCY_KEY="sender-1") for _ in range(2)]
    assert [n.status_code for n in names] == [201, 201] and names[0].content == names[1].content
    assert SenderName.objects.filter(client=api.account, name="Kvitka").count() == 1


@pytest.mark.django_db
def test_idempotency_key_with_control_characters_is_400(api):
    r = api.post("/api/v1/messages/", SEND, format="json", HTTP_IDEMPOTENCY_KEY="a\tb")
    assert r.status_code == 400 and r.json()["code"] == "invalid_idempotency_key"
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_keys_are_purged_after_their_retention(api):
    api.post("/api/v1/messages/", SEND, format="json", HTTP_IDEMPOTENCY_KEY="old")
    api.post("/api/v1/messages/", {**SEND, "text": "New"}, format="json", HTTP_IDEMPOTENCY_KEY="new")
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - RETENTION - timedelta(minutes=1))
    assert idempotency_keys_purge() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db
def test_idempotency_keys_purge_job_is_declared_for_beat():
    from django_celery_beat.models import PeriodicTask

    job = PeriodicTask.objects.get(task="messaging.idempotency_keys_purge")
    assert job.enabled and job.crontab.hour == "3"


def test_uploaded_files_count_by_their_content_in_the_fingerprint():
    """A multipart request (a sender name with its proof document) repeated with one key: the same
    file name with other content is another request (422), not a replay of the first."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from messaging.services.idempotency import request_fingerprint

    def body(content):
        return {"name": "Kvitka", "proof": SimpleUploadedFile("proof.pdf", content)}

    assert request_fingerprint(body(b"one")) == request_fingerprint(body(b"one"))
    assert request_fingerprint(body(b"one")) != request_fingerprint(body(b"two"))
    upload = SimpleUploadedFile("proof.pdf", b"one")
    request_fingerprint({"proof": upload})
    assert upload.read() == b"one"  # read again from the start by the view


@pytest.mark.django_db
def test_a_server_error_is_not_a_refusal_its_writes_and_the_key_are_rolled_back(client_account):
    """A handler that wrote and then failed with a 5xx: nothing of it stays, and the key is free
    for the retry (a refusal, 4xx, keeps what the service recorded and frees the key)."""
    from rest_framework.exceptions import APIException

    from messaging.api.idempotency import IdempotentPostMixin
    from messaging.models import IdempotencyKey

    class Unavailable(APIException):
        status_code = 503

    class View(IdempotentPostMixin):
        idempotency_endpoint = "tests.failing"

    def failing(request):
        ContactGroup.objects.create(client=client_account, name="half-done")
        raise Unavailable("try later")

    class Request:
        headers = {"Idempotency-Key": "k-503"}
        data = {"a": 1}

        class user:  # noqa: N801
            client = client_account

    with pytest.raises(Unavailable):
        View().idempotent_post(Request(), failing)
    assert not ContactGroup.objects.filter(name="half-done").exists()
    assert not IdempotencyKey.objects.filter(key="k-503").exists()
