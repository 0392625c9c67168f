"""Campaigns through the API: per-row reports, personalization, one hold, cancel with release."""
import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import LedgerEntry
from compliance.models import OptOut
from messaging.models import Campaign, Message, WebhookEvent
from messaging.services import messages_release_due
from messaging.services.webhooks import webhook_endpoint_set
from messaging.status import Status

pytestmark = pytest.mark.django_db
URL = "/api/v1/campaigns/"


def create(api, **body):
    payload = {"sender": "TestShop", "text": "Sale -20% today", "recipients": ["+380671234567"]} | body
    return api.post(URL, payload, format="json")


def test_campaign_reports_invalid_and_duplicate_rows_and_sends_the_rest(api):
    r = create(api, name="Black Friday", recipients=[
        "0671234567", "+380671234567", "380 50 123 45 67", "12345", "", "+380441234567", "+48 512 345 678"])
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["state"] == "sending"
    assert body["counts"]["accepted"] == 3 and body["counts"]["duplicates"] == 1 and body["counts"]["invalid"] == 3
    reasons = {e["row"]: e["reason"] for e in body["errors"]}
    assert reasons == {4: "not a valid phone number", 5: "empty", 6: "not a mobile number"}
    assert body["total_price"] == {"amount": "2.55", "currency": "UAH"}
    assert Message.objects.filter(campaign__public_id=body["id"], status=Status.QUEUED).count() == 3
    hold = LedgerEntry.objects.get(kind="hold")  # one hold for the whole campaign
    assert hold.held_delta.amount == Decimal("2.55") and hold.idempotency_key == f"campaign:{body['id']}"


def test_personalized_text_priced_per_recipient(api):
    r = create(api, text="Hi {name}, your code {code}", recipients=[
        {"phone": "0671234567", "name": "Olha", "code": "1"},
        {"phone": "0501234567", "name": "Олег", "code": "2"},
        {"phone": "0931234567", "name": "Ivan"}])
    assert r.status_code == 201
    body = r.json()
    assert body["counts"]["accepted"] == 2 and body["counts"]["invalid"] == 1
    assert body["errors"][0]["reason"] == "no value for {code}"
    texts = dict(Message.objects.values_list("recipient", "text"))
    assert texts == {"+380671234567": "Hi Olha, your code 1", "+380501234567": "Hi Олег, your code 2"}
    assert dict(Message.objects.values_list("recipient", "encoding")) == {"+380671234567": "gsm7",
                                                                         "+380501234567": "ucs2"}


def test_r_cmp_05_opted_out_recipient_refused_and_not_charged(api):
    OptOut.objects.create(client=api.account, phone="+380671234567", source="reply")
    r = create(api, recipients=["0671234567", "0501234567"])
    assert r.status_code == 201
    assert r.json()["counts"]["refused"] == 1 and r.json()["counts"]["accepted"] == 1
    assert r.json()["total_price"]["amount"] == "0.85"
    refused = Message.objects.get(recipient="+380671234567")
    assert refused.status == Status.REFUSED and refused.price.amount == 0


def test_r_bill_14_campaign_beyond_balance_fails_whole_and_stores_nothing(api):
    recipients = [f"+38067{i:07d}" for i in range(200)]  # 200 × 0.85 = 170 > 100
    r = create(api, recipients=recipients)
    assert r.status_code == 402 and r.json()["code"] == "insufficient_funds"
    campaign = Campaign.objects.get()
    assert campaign.state == Campaign.State.FAILED and "cannot pay" in campaign.error_detail
    assert Message.objects.count() == 0
    assert not LedgerEntry.objects.filter(kind__in=["charge", "hold"]).exists()


def test_r_msg_03_scheduled_campaign_released_by_the_minute_job(api):
    at = timezone.now() + datetime.timedelta(hours=1)
    r = create(api, recipients=["0671234567", "0501234567"], send_at=at.isoformat())
    assert r.status_code == 201 and r.json()["state"] == "scheduled"
    assert messages_release_due() == 0
    assert messages_release_due(now=at + datetime.timedelta(seconds=30)) == 2


def test_cancel_releases_unsent_in_one_entry(api):
    at = timezone.now() + datetime.timedelta(hours=1)
    cid = create(api, recipients=["0671234567", "0501234567", "0931234567"], send_at=at.isoformat()).json()["id"]
    Message.objects.filter(recipient="+380671234567").update(status=Status.SUBMITTED)  # already with the operator
    r = api.post(f"{URL}{cid}/cancel/")
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    assert r.json()["counts"]["cancelled"] == 2 and r.json()["counts"]["submitted"] == 1
    releases = LedgerEntry.objects.filter(kind="release")
    assert releases.count() == 1 and releases.get().held_delta.amount == Decimal("-1.70")
    api.account.wallet.refresh_from_db()
    assert api.account.wallet.available.amount == Decimal("99.15")  # 0.85 still held for the submitted one
    r = api.post(f"{URL}{cid}/cancel/")
    assert r.status_code == 400 and r.json()["code"] == "campaign_finished"


def test_campaign_cancel_writes_cancelled_webhook_events(api):
    """A campaign's cancel goes through the status door like an account's: each message it cancels
    gets its `cancelled` webhook event; the one already with the operator gets none."""
    webhook_endpoint_set(client=api.account, url="http://127.0.0.1:9/hooks")
    at = timezone.now() + datetime.timedelta(hours=1)
    cid = create(api, recipients=["0671234567", "0501234567", "0931234567"], send_at=at.isoformat()).json()["id"]
    Message.objects.filter(recipient="+380671234567").update(status=Status.SUBMITTED)  # already with the operator
    assert api.post(f"{URL}{cid}/cancel/").status_code == 200
    events = list(WebhookEvent.objects.filter(client=api.account).order_by("payload__recipient"))
    assert [(e.event, e.payload["recipient"], e.payload["status"], e.payload["error_code"], e.payload["campaign_id"])
            for e in events] == [("cancelled", "+380501234567", "cancelled", "cancelled", cid),
                                 ("cancelled", "+380931234567", "cancelled", "cancelled", cid)]
    assert all(e.url == "http://127.0.0.1:9/hooks" and e.payload["done_at"] for e in events)


def test_campaign_of_another_client_is_404(api):
    from accounts.services import api_key_create
    from rest_framework.test import APIClient
    from tests.factories import make_client

    cid = create(api).json()["id"]
    _k, raw = api_key_create(client=make_client(name="Other"), name="x")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert other.get(f"{URL}{cid}/").status_code == 404
    assert other.post(f"{URL}{cid}/cancel/").status_code == 404


@pytest.mark.parametrize(("body", "code"), [
    ({"recipients": "0671234567"}, "invalid"),
    ({"recipients": []}, "invalid"),
    ({"recipients": ["nope", "12"]}, "invalid_recipient"),
    ({"ttl": 5}, "invalid_ttl"),
    ({"sender": "Nope"}, "sender_not_approved"),
])
def test_bad_campaign_input_is_a_clear_4xx(api, body, code):
    r = create(api, **body)
    assert r.status_code == 400, r.content
    assert r.json()["code"] == code


def test_estimate_prices_without_sending(api):
    r = api.post("/api/v1/messages/estimate/", {"text": "Привіт", "recipients": ["0671234567", "0501234567", "x"]},
                 format="json")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 2 and body["total_price"]["amount"] == "1.70"
    assert body["recipients"][0] | {} == {"recipient": "+380671234567", "operator": "kyivstar", "country": "UA",
                                          "segments": 1, "encoding": "ucs2",
                                          "price": {"amount": "0.85", "currency": "UAH"}}
    assert body["invalid"][0]["row"] == 3
    assert Message.objects.count() == 0 and not LedgerEntry.objects.filter(kind__in=["charge", "hold"]).exists()

