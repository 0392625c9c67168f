"""Compliance at accept time, for every kind of send (R-CMP-01, 02, 03, 05, 07): the text's
screening, the recipient gate, the 10-a-day cap and the sending hours, on the API, the website,
campaigns and the estimate. Nothing refused is stored sendable, held or charged."""
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services import client_contract_sign
from billing.models import LedgerEntry
from compliance.services import opt_out_record, sending_hours_exemption_revoke
from messaging.models import Campaign, Message
from messaging.services import message_send
from messaging.services.campaigns import campaign_start
from messaging.services.prepare import message_estimate
from messaging.status import Status
from smsportal.kyiv import KYIV

from .test_web_campaigns import confirm, review_url, step1

pytestmark = pytest.mark.django_db

URL = "/api/v1/messages/"
ESTIMATE = "/api/v1/messages/estimate/"
A, B, C = "+380671234567", "+380501234567", "+380631234567"
REFUSED_TEXT = "Найкраще казино України чекає на тебе"  # gambling (R-CMP-01)
REVIEW_TEXT = "Кредит готівкою під 0% на 30 днів"  # financial services (R-CMP-02)
AD_TEXT = "TestShop: sale -20% on all shoes, call 0441234567"  # names the company and a phone (R-CMP-04)


def kyiv(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=KYIV)


NIGHT = kyiv(2026, 12, 8, 3, 0)  # a Tuesday, 03:00 in Kyiv
OPENING = kyiv(2026, 12, 8, 9, 0)
NOON = kyiv(2026, 12, 8, 12, 0)


def _send(api, recipients=(A,), text="Your order 12 is ready", **body):
    return api.post(URL, {"sender": "TestShop", "recipients": list(recipients), "text": text} | body, format="json")


def _held(client) -> Decimal:
    client.wallet.refresh_from_db()
    return client.wallet.held.amount


# --- R-CMP-01: refused content ---------------------------------------------------------------------

def test_r_cmp_01_refused_text_api_400_nothing_stored(api):
    r = _send(api, recipients=[A, B], text=REFUSED_TEXT)
    assert r.status_code == 400, r.content
    body = r.json()
    assert body["code"] == "content_refused"
    assert body["category"] == "gambling" and body["reason"] == "content_prohibited"
    assert body["detail"] and "R-CMP" not in body["detail"]
    assert not Message.objects.filter(client=api.account).exists()
    assert _held(api.account) == 0
    assert not LedgerEntry.objects.filter(wallet=api.account.wallet, kind="hold").exists()


def test_r_cmp_01_refused_text_website_form_error_under_the_text(web):
    r = web.post(reverse("message_send"), {"sender": "TestShop", "recipients": A, "text": REFUSED_TEXT,
                                   "message_type": "service", "token": str(uuid.uuid4())})
    assert r.status_code == 400
    errors = r.context["form"].errors
    assert "text" in errors and "may not be sent" in errors["text"][0]
    assert "may not be sent" in r.content.decode()
    assert not Message.objects.filter(client=web.account).exists()


def test_r_cmp_01_refused_text_campaign_refused_before_it_exists(api, web):
    r = api.post("/api/v1/campaigns/", {"sender": "TestShop", "text": REFUSED_TEXT, "recipients": [A, B]},
                 format="json")
    assert r.status_code == 400 and r.json()["code"] == "content_refused"
    assert not Campaign.objects.exists()
    # The website's campaign page says so under the text, at the first step.
    r = step1(web, text=REFUSED_TEXT, numbers=f"{A}\n{B}")
    assert r.status_code != 302
    assert "may not be sent" in r.context["form"].errors["text"][0]
    assert not Campaign.objects.exists() and not Message.objects.exists()


def test_r_cmp_01_personalized_row_refused_uncharged_the_rest_go(client_account):
    campaign = campaign_start(client=client_account, sender="TestShop", text="{offer} for you",
                              rows=[{"phone": A, "offer": "Your parcel is ready"},
                                    {"phone": B, "offer": "Найкраще казино"},
                                    {"phone": C, "offer": "Your parcel is ready"}])
    campaign.refresh_from_db()
    assert (campaign.accepted, campaign.refused) == (2, 1)
    refused = Message.objects.get(campaign=campaign, recipient=B)
    assert refused.status == Status.REFUSED and refused.price.amount == 0
    assert refused.error_code == "content_prohibited" and "may not be sent" in refused.error_detail
    assert refused.text == "Найкраще казино for you"
    assert [e for e in campaign.errors if e["value"] == B][0]["code"] == "content_prohibited"
    sent = Message.objects.filter(campaign=campaign).exclude(recipient=B)
    assert {m.status for m in sent} == {Status.QUEUED}
    assert _held(client_account) == sum(m.price.amount for m in sent) == campaign.total_price.amount


# --- R-CMP-02: review -----------------------------------------------------------------------------

def test_r_cmp_02_review_text_pending_review_held(api):
    r = _send(api, recipients=[A, B], text=REVIEW_TEXT)
    assert r.status_code == 201, r.content
    body = r.json()
    assert {m["status"] for m in body["messages"]} == {"pending_review"}
    for m in body["messages"]:
        assert m["error_code"] == "content_review"
        assert "staff" in m["status_detail"] and "R-CMP" not in m["status_detail"]
    stored = Message.objects.filter(client=api.account)
    assert {m.status for m in stored} == {Status.PENDING_REVIEW}
    assert all(m.error_code == "content_review" and m.error_detail for m in stored)
    # Its price is held (inside the send's hold), not charged.
    total = Decimal(body["total_price"]["amount"])
    assert total > 0 and _held(api.account) == total
    assert api.account.wallet.balance.amount == Decimal("100")
    # The message page says why it waits.
    detail = api.get(f"{URL}{body['messages'][0]['id']}/").json()
    assert detail["status"] == "pending_review" and detail["status_detail"]


def test_r_cmp_02_personalized_row_held_for_review_the_rest_go(client_account):
    campaign = campaign_start(client=client_account, sender="TestShop", text="{offer}",
                              rows=[{"phone": A, "offer": "Your parcel is ready"},
                                    {"phone": B, "offer": REVIEW_TEXT}])
    held = Message.objects.get(campaign=campaign, recipient=B)
    assert held.status == Status.PENDING_REVIEW and held.error_code == "content_review" and held.price.amount > 0
    assert Message.objects.get(campaign=campaign, recipient=A).status == Status.QUEUED
    # The held message's price is inside the campaign's hold.
    assert _held(client_account) == sum(m.price.amount for m in Message.objects.filter(campaign=campaign))


# --- R-CMP-05: the recipient gate's own code ----------------------------------------------------------

def test_r_cmp_05_opted_out_recipient_refused_with_its_code(api):
    opt_out_record(client=api.account, phone=B)
    r = _send(api, recipients=[A, B])
    assert r.status_code == 201
    by_phone = {m["recipient"]: m for m in r.json()["messages"]}
    assert by_phone[B]["status"] == "refused" and by_phone[B]["error_code"] == "opted_out"
    assert by_phone[B]["status_detail"] and by_phone[B]["price"]["amount"] in ("0", "0.00")
    assert by_phone[A]["status"] == "queued"


# --- R-CMP-03: 10 a day -----------------------------------------------------------------------------

def test_r_cmp_03_eleventh_refused_uncharged_across_sends(api):
    for _ in range(10):
        assert _send(api).json()["messages"][0]["status"] == "queued"
    held = _held(api.account)
    r = _send(api)
    assert r.status_code == 201
    m = r.json()["messages"][0]
    assert m["status"] == "refused" and m["error_code"] == "frequency_cap"
    assert "10 messages" in m["status_detail"]
    assert Decimal(m["price"]["amount"]) == 0 and Decimal(r.json()["total_price"]["amount"]) == 0
    assert _held(api.account) == held  # nothing more held
    # Another recipient is not capped.
    assert _send(api, recipients=[B]).json()["messages"][0]["status"] == "queued"


def test_r_cmp_03_eleventh_refused_individually_within_one_send(api):
    for _ in range(9):
        _send(api)
    # The 10th to A goes with this send; B's first goes too.
    r = _send(api, recipients=[A, B])
    assert {m["recipient"]: m["status"] for m in r.json()["messages"]} == {A: "queued", B: "queued"}
    # The next send to both: A's 11th refused, B goes; only B's price is held.
    held = _held(api.account)
    r = _send(api, recipients=[A, B, A])  # A twice in one send is one message (deduplicated)
    by_phone = {m["recipient"]: m for m in r.json()["messages"]}
    assert len(r.json()["messages"]) == 2
    assert by_phone[A]["status"] == "refused" and by_phone[A]["error_code"] == "frequency_cap"
    assert by_phone[B]["status"] == "queued"
    assert _held(api.account) - held == Decimal(by_phone[B]["price"]["amount"]) == Decimal(
        r.json()["total_price"]["amount"])


def test_r_cmp_03_refused_messages_do_not_count_and_the_cap_is_per_kyiv_day_of_send_at(api):
    for _ in range(10):
        _send(api)
    assert _send(api).json()["messages"][0]["status"] == "refused"  # not counted itself
    tomorrow = (timezone.now().astimezone(KYIV) + timedelta(days=1)).replace(hour=12, minute=0)
    r = _send(api, send_at=tomorrow.isoformat())
    assert r.json()["messages"][0]["status"] == "scheduled"


def test_r_cmp_03_campaign_rows_over_the_cap_refused(client_account):
    for _ in range(10):
        message_send(client=client_account, sender="TestShop", recipients=[A], text="Hello")
    campaign = campaign_start(client=client_account, sender="TestShop", text="Hello", rows=[A, B])
    assert (campaign.accepted, campaign.refused) == (1, 1)
    capped = Message.objects.get(campaign=campaign, recipient=A)
    assert capped.status == Status.REFUSED and capped.error_code == "frequency_cap" and capped.price.amount == 0


# --- R-CMP-07: sending hours ------------------------------------------------------------------------

@pytest.fixture
def signed(client_account):
    return client_contract_sign(client=client_account, number="SMS-7")


def test_r_cmp_07_advertising_at_night_scheduled_for_opening(api, signed, time_machine):
    time_machine.move_to(NIGHT, tick=False)
    r = _send(api, text=AD_TEXT, type="advertising", ttl=3600)
    assert r.status_code == 201, r.content
    m = r.json()["messages"][0]
    assert m["status"] == "scheduled"
    assert datetime.fromisoformat(m["send_at"]) == OPENING
    assert m["schedule_reason"] == "outside_sending_hours"
    assert "09:00" in m["notice"] and "R-CMP" not in m["notice"]
    stored = Message.objects.get(public_id=m["id"])
    assert stored.send_at == OPENING and stored.valid_until == OPENING + timedelta(seconds=3600)
    assert _held(api.account) == stored.price.amount  # held as any scheduled send
    # A wanted time later than the opening is kept.
    later = kyiv(2026, 12, 8, 15, 30)
    m = _send(api, recipients=[B], text=AD_TEXT, type="advertising", send_at=later.isoformat()).json()["messages"][0]
    assert datetime.fromisoformat(m["send_at"]) == later and m["schedule_reason"] is None


def test_r_cmp_07_advertising_at_night_website_notice(web, signed, time_machine):
    time_machine.move_to(NIGHT, tick=False)
    r = web.post(reverse("message_send"), {"sender": "TestShop", "recipients": A, "text": AD_TEXT,
                                   "message_type": "advertising", "token": str(uuid.uuid4())}, follow=True)
    assert r.status_code == 200
    page = r.content.decode()
    message = Message.objects.get(client=web.account)
    assert message.status == Status.SCHEDULED and message.send_at == OPENING
    assert "Scheduled for 09:00 on 08.12.2026" in page
    assert 'id="hours-notice"' in page  # the message page itself says so, not only the flash
    assert "Scheduled for 09:00" in web.get(reverse("message_detail", args=[message.public_id])).content.decode()


def test_r_cmp_07_exempt_service_at_night_goes_queued(api, time_machine):
    time_machine.move_to(NIGHT, tick=False)
    m = _send(api).json()["messages"][0]
    assert m["status"] == "queued" and m["schedule_reason"] is None and m["notice"] is None


def test_r_cmp_07_service_without_exemption_waits_too(api, time_machine):
    sending_hours_exemption_revoke(client=api.account)
    time_machine.move_to(NIGHT, tick=False)
    m = _send(api).json()["messages"][0]
    assert m["status"] == "scheduled" and datetime.fromisoformat(m["send_at"]) == OPENING


def test_r_cmp_07_advertising_in_the_day_goes_at_once(api, signed, time_machine):
    time_machine.move_to(NOON, tick=False)
    m = _send(api, text=AD_TEXT, type="advertising").json()["messages"][0]
    assert m["status"] == "queued" and m["schedule_reason"] is None


def test_r_cmp_07_campaign_at_night_scheduled_for_opening(client_account, signed, time_machine):
    time_machine.move_to(NIGHT, tick=False)
    client_account.refresh_from_db()  # the contract signed
    campaign = campaign_start(client=client_account, sender="TestShop", text=AD_TEXT, rows=[A, B],
                              message_type="advertising")
    assert campaign.state == Campaign.State.SCHEDULED and campaign.send_at == OPENING
    assert {(m.status, m.send_at) for m in Message.objects.filter(campaign=campaign)} == {
        (Status.SCHEDULED, OPENING)}


def test_r_cmp_07_campaign_page_at_night_shows_the_notice(web, signed, time_machine,
                                                          django_capture_on_commit_callbacks):
    time_machine.move_to(NIGHT, tick=False)
    url = review_url(step1(web, text=AD_TEXT, numbers=f"{A}\n{B}", message_type="advertising"))
    review = web.get(url)
    assert "Scheduled for 09:00 on 08.12.2026" in review.content.decode()
    campaign, _ = confirm(web, url, django_capture_on_commit_callbacks)
    assert campaign.state == Campaign.State.SCHEDULED and campaign.send_at == OPENING
    page = web.get(reverse("campaign_detail", args=[campaign.public_id])).content.decode()
    assert 'id="hours-notice"' in page and "09:00" in page


# --- the estimate -----------------------------------------------------------------------------------

def test_r_cmp_01_estimate_reports_refused_text(api):
    body = api.post(ESTIMATE, {"text": REFUSED_TEXT, "recipients": [A]}, format="json").json()
    assert body["content"]["outcome"] == "refuse" and body["content"]["category"] == "gambling"
    assert body["content"]["detail"] and body["content"]["refused"] == 1
    assert "content_refused" in [w["code"] for w in body["warnings"]]


def test_r_cmp_02_estimate_reports_review(api):
    body = api.post(ESTIMATE, {"text": REVIEW_TEXT, "recipients": [A, B]}, format="json").json()
    assert body["content"]["outcome"] == "review" and body["content"]["reason"] == "content_review"
    assert body["pending_review"] == 2 and body["content"]["review"] == 2
    assert "pending_review" in [w["code"] for w in body["warnings"]]


def test_r_cmp_01_estimate_reports_personalized_refusals(client_account):
    body = message_estimate(client=client_account, text="{offer}",
                            recipients=[{"phone": A, "offer": "Parcel ready"}, {"phone": B, "offer": "Казино"}])
    assert body["content"]["outcome"] == "refuse" and body["content"]["refused"] == 1
    assert body["count"] == 1 and body["refused"][0]["code"] == "content_prohibited"


def test_r_cmp_05_and_03_estimate_counts_opted_out_and_over_the_cap(api):
    opt_out_record(client=api.account, phone=C)
    for _ in range(10):
        _send(api)
    body = api.post(ESTIMATE, {"text": "Hello", "recipients": [A, B, C]}, format="json").json()
    assert (body["opted_out"], body["over_daily_cap"], body["count"]) == (1, 1, 1)
    assert body["refused_by_reason"] == {"opted_out": 1, "frequency_cap": 1}
    assert "frequency_cap" in [w["code"] for w in body["warnings"]]
    assert body["content"]["outcome"] == "pass"


def test_r_cmp_07_estimate_says_when_it_would_go(api, signed, time_machine):
    time_machine.move_to(NIGHT, tick=False)
    body = api.post(ESTIMATE, {"text": AD_TEXT, "recipients": [A], "type": "advertising"}, format="json").json()
    assert body["schedule_reason"] == "outside_sending_hours"
    assert datetime.fromisoformat(body["send_at"]) == OPENING and "09:00" in body["notice"]
    assert "outside_sending_hours" in [w["code"] for w in body["warnings"]]
    service = api.post(ESTIMATE, {"text": "Hello", "recipients": [A]}, format="json").json()
    assert service["schedule_reason"] is None and service["send_at"] is None
    # A wanted time in the evening waits for the next morning's opening.
    evening = api.post(ESTIMATE, {"text": AD_TEXT, "recipients": [A], "type": "advertising",
                                  "send_at": kyiv(2026, 12, 8, 21, 0).isoformat()}, format="json").json()
    assert datetime.fromisoformat(evening["send_at"]) == kyiv(2026, 12, 9, 9, 0)


def test_r_cmp_07_live_preview_shows_the_same(web, signed, time_machine):
    time_machine.move_to(NIGHT, tick=False)
    body = web.post(reverse("message_send_estimate"), {"text": AD_TEXT, "recipients": A,
                                                       "message_type": "advertising"}).json()
    assert body["notice"] and body["schedule_reason"] == "outside_sending_hours"
    refused = web.post(reverse("message_send_estimate"), {"text": REFUSED_TEXT, "recipients": A}).json()
    assert refused["content"]["outcome"] == "refuse"


def test_r_cmp_03_a_big_campaign_asks_for_the_recipients_at_the_cap(client_account, settings):
    """Over 1,000 recipients the cap is read as "who is at it" (not the list sent to the database):
    the same answer."""
    from messaging.services.frequency import over_daily_cap

    for _ in range(10):
        message_send(client=client_account, sender="TestShop", recipients=[A], text="Hello")
    phones = [A] + [f"+38067{n:07d}" for n in range(2_000_000, 2_001_500)]
    assert over_daily_cap(client_id=client_account.pk, message_type="service", phones=phones,
                          at=timezone.now()) == {A}
    assert over_daily_cap(client_id=client_account.pk, message_type="service", phones=phones[1:],
                          at=timezone.now()) == set()


def test_r_cmp_07_api_campaign_at_night_says_it_waits(api, signed, time_machine):
    time_machine.move_to(NIGHT, tick=False)
    r = api.post("/api/v1/campaigns/", {"sender": "TestShop", "text": AD_TEXT, "recipients": [A, B],
                                        "type": "advertising"}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["state"] == "scheduled" and datetime.fromisoformat(body["send_at"]) == OPENING
    assert body["schedule_reason"] == "outside_sending_hours" and "09:00" in body["notice"]


def test_r_cmp_07_message_detail_and_a_replay_say_it_waits(api, signed, time_machine):
    time_machine.move_to(NIGHT, tick=False)
    api.account.refresh_from_db()  # the contract signed
    first = api.post(URL, {"sender": "TestShop", "recipients": [A], "text": AD_TEXT, "type": "advertising"},
                     format="json", HTTP_IDEMPOTENCY_KEY="night-1")
    again = api.post(URL, {"sender": "TestShop", "recipients": [A], "text": AD_TEXT, "type": "advertising"},
                     format="json", HTTP_IDEMPOTENCY_KEY="night-1")
    assert again.json() == first.json()  # the replay gives the first answer again
    assert again.json()["messages"][0]["schedule_reason"] == "outside_sending_hours"
    # The service's own replay (the website's form token) says so too.
    replay = message_send(client=api.account, sender="TestShop", recipients=[A], text=AD_TEXT,
                          message_type="advertising", idempotency_key="night-2")
    replay = message_send(client=api.account, sender="TestShop", recipients=[A], text=AD_TEXT,
                          message_type="advertising", idempotency_key="night-2")
    assert not replay.created and replay.schedule_reason == "outside_sending_hours" and "09:00" in replay.notice
    detail = api.get(f"{URL}{first.json()['messages'][0]['id']}/").json()
    assert detail["schedule_reason"] == "outside_sending_hours" and "09:00" in detail["notice"]
