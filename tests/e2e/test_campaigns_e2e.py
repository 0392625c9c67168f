"""End to end, no eager mode: campaigns from the API, a CSV/XLSX upload on the website and a
contact group, through the real Celery worker and beat, the SMPP connector and the SMSC
simulator (separate processes), to delivery receipts; cancel with a refund of what was not sent."""
import csv
import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from billing.selectors import wallet_get
from billing.services import wallet_topup
from messaging.models import Campaign, Message, MessagePart, Route
from messaging.status import Status
from tests.e2e.conftest import beat_jobs, wait_for_worker
from tests.e2e.processes import free_port, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def available(client) -> Decimal:
    return wallet_get(client=client).available.amount


def campaign_state(api, cid) -> dict:
    return api.get(f"/api/v1/campaigns/{cid}/").json()


def test_r_msg_03_scheduled_api_campaign_released_by_beat_and_delivered(api, route, live):
    """R-MSG-03 and R-MSG-04: a personalized API campaign with bad and repeated rows, scheduled a
    few seconds ahead, is released by the beat job, submitted, and settled by receipts whose text
    ids are decimal while submit_sm_resp ids are hex; counts and cost end right."""
    wallet_topup(client=api.account, amount=Decimal("100"), key="e2e-more")
    port = free_port()
    Route.objects.filter(pk=route.pk).update(port=port, receipt_id_format=Route.IdFormat.HEX)
    beat_jobs(every=1)
    recipients = [{"phone": f"067{n:07d}", "name": f"Client {n}"} for n in range(1, 41)]
    recipients += [{"phone": "+380501230000", "name": "Nobody"},  # the simulator never delivers *0000
                   {"phone": "0670000001", "name": "Again"},  # a repeat of row 1
                   {"phone": "12345", "name": "Broken"}, {"phone": "0501112233"}]  # invalid; no {name}
    text = "Dear {name}, your spring order ships today. Track it in the app; reply STOP to opt out. " * 2
    estimate = api.post("/api/v1/messages/estimate/", {"text": text, "recipients": recipients}, format="json").json()
    assert estimate["count"] == 41 and estimate["duplicates"] == 1 and len(estimate["invalid"]) == 2
    assert {r["segments"] for r in estimate["recipients"]} == {2}
    before = available(api.account)

    procs = live
    procs.simulator(port, receipt_delay=0.2, id_format="hex", receipt_id_format="decimal")
    worker = procs.worker()
    procs.beat()
    procs.connector("test-route")
    wait_for_worker(procs, worker)

    send_at = timezone.now() + timedelta(seconds=3)
    r = api.post("/api/v1/campaigns/", {"name": "Spring", "sender": "TestShop", "text": text,
                                        "recipients": recipients, "send_at": send_at.isoformat()}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    cid = body["id"]
    assert body["state"] == "scheduled" and body["total_price"] == estimate["total_price"]
    assert (body["counts"]["accepted"], body["counts"]["invalid"], body["counts"]["duplicates"]) == (41, 2, 1)
    assert {e["row"] for e in body["errors"]} == {43, 44}
    assert Message.objects.filter(campaign__public_id=cid, status=Status.SCHEDULED).count() == 41

    assert wait_until(lambda: campaign_state(api, cid)["state"] == "done", timeout=60, interval=0.5), procs.logs()
    first_submit = Message.objects.filter(campaign__public_id=cid).order_by("submitted_at").first().submitted_at
    assert first_submit >= send_at  # released by the job, not before its time
    assert wait_until(lambda: campaign_state(api, cid)["counts"]["delivered"] == 40, timeout=30), procs.logs()
    counts = campaign_state(api, cid)["counts"]
    assert counts["undelivered"] == 1 and counts["queued"] == 0 and counts["submitted"] == 0
    assert MessagePart.objects.filter(message__campaign__public_id=cid).count() == 82
    assert Message.objects.get(recipient="+380670000007").text.startswith("Dear Client 7, your")
    assert before - available(api.account) == Decimal(estimate["total_price"]["amount"])


def csv_upload(rows) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["Телефон", "Ім'я"])
    writer.writerows(rows)
    return SimpleUploadedFile("clients.csv", out.getvalue().encode("cp1251"), content_type="text/csv")


def xlsx_upload(rows) -> SimpleUploadedFile:
    book = openpyxl.Workbook()
    book.active.append(["phone", "name"])
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("clients.xlsx", out.getvalue())


@pytest.mark.parametrize("make_file", [csv_upload, xlsx_upload], ids=["csv", "xlsx"])
def test_website_upload_is_read_by_the_worker_with_progress_and_delivered(web, route, live, settings, tmp_path,
                                                                           make_file):
    """A CSV (cp1251, semicolons, Cyrillic header) or XLSX upload on the website: the real worker
    reads it (progress on the campaign), personalizes per row, reports bad rows, and the connector
    sends it; receipts in the text form only (no TLVs) settle it."""
    settings.MEDIA_ROOT = tmp_path / "media"  # shared with the worker (its SMSPORTAL_VAR_DIR)
    port = free_port()
    Route.objects.filter(pk=route.pk).update(port=port)
    rows = [[f"+38 (067) {n:03d}-00-{n % 100:02d}", f"Клієнт {n}"] for n in range(100, 160)]
    rows += [["0441234567", "Landline"], ["067 100-00-00", "Repeat"]]
    procs = live
    procs.simulator(port, receipt_delay=0.1, no_receipt_tlvs=True)
    worker = procs.worker(SMSPORTAL_VAR_DIR=str(tmp_path))
    procs.connector("test-route")
    wait_for_worker(procs, worker)

    r = web.post(reverse("campaign_new"), {"name": "Upload", "sender": "TestShop", "text": "{name}, знижка 20%!",
                                           "source": "file", "file": make_file(rows), "numbers": "", "send_at": "",
                                           "ttl": "86400"})
    assert r.status_code == 302, r.context["form"].errors if r.context else r.content[:500]
    review = r["Location"]
    page = web.get(review)
    assert page.status_code == 200 and page.context["src"]["total"] == 62
    r = web.post(review, {"phone_column": "0"})
    assert r.status_code == 302, r.content.decode()[:2000]
    detail = r["Location"]
    campaign = Campaign.objects.get(public_id=detail.rstrip("/").split("/")[-1])
    assert campaign.source == Campaign.Source.UPLOAD

    def progress():
        return web.get(reverse("campaign_progress", args=[campaign.public_id])).json()

    assert wait_until(lambda: progress()["state"] != "accepting", timeout=30), procs.logs()
    campaign.refresh_from_db()
    assert (campaign.total_rows, campaign.processed_rows) == (62, 62)
    assert (campaign.accepted, campaign.invalid, campaign.duplicates) == (60, 1, 1)
    finished = [Status.DELIVERED, Status.UNDELIVERED]
    assert wait_until(lambda: Message.objects.filter(campaign=campaign, status__in=finished).count() == 60,
                      timeout=40), procs.logs()
    # +380671000000 ends in 0000: the simulator never delivers those
    assert Message.objects.get(campaign=campaign, recipient="+380671000000").status == Status.UNDELIVERED
    assert Message.objects.get(campaign=campaign, recipient="+380671230023").text == "Клієнт 123, знижка 20%!"
    assert (progress()["counts"]["delivered"], progress()["counts"]["undelivered"]) == (59, 1)
    assert progress()["sending"]["percent"] == 100 and progress()["accepting"]["percent"] == 100
    assert web.get(detail).status_code == 200


def test_contact_group_campaign_through_the_api_and_the_worker(api, route, live):
    port = free_port()
    Route.objects.filter(pk=route.pk).update(port=port)
    contacts = [{"phone": f"050{n:07d}", "name": f"Олена {n}", "city": "Львів"} for n in range(1, 21)]
    gid = api.post("/api/v1/contact-groups/", {"name": "VIP", "contacts": contacts}, format="json").json()["id"]
    procs = live
    procs.simulator(port, receipt_delay=0.1)
    worker = procs.worker()
    procs.connector("test-route")
    wait_for_worker(procs, worker)
    r = api.post("/api/v1/campaigns/", {"sender": "TestShop", "text": "{name}, до зустрічі у {city}!", "group": gid},
                 format="json")
    assert r.status_code == 202 and r.json()["state"] == "accepting", r.content
    cid = r.json()["id"]
    assert wait_until(lambda: campaign_state(api, cid)["counts"]["delivered"] == 20, timeout=40), procs.logs()
    body = campaign_state(api, cid)
    assert body["rows"] == {"total": 20, "processed": 20} and body["counts"]["accepted"] == 20
    assert Message.objects.get(recipient="+380500000003").text == "Олена 3, до зустрічі у Львів!"


def test_cancel_during_sending_refunds_what_was_not_submitted(api, route, live):
    """A campaign on a slow route (5 parts/s) is cancelled while it is sent: what reached the SMSC
    stays (and is delivered), the rest is cancelled, never sent, and refunded in one entry."""
    wallet_topup(client=api.account, amount=Decimal("100"), key="e2e-more")
    port = free_port()
    Route.objects.filter(pk=route.pk).update(port=port, tps_limit=5, window_size=2)
    procs = live
    procs.simulator(port, receipt_delay=0.0)
    worker = procs.worker()
    procs.connector("test-route")
    wait_for_worker(procs, worker)
    before = available(api.account)
    r = api.post("/api/v1/campaigns/", {"sender": "TestShop", "text": "Flash sale",
                                        "recipients": [f"+38093{n:07d}" for n in range(1, 61)]}, format="json")
    cid = r.json()["id"]
    assert wait_until(lambda: Message.objects.filter(campaign__public_id=cid, status=Status.DELIVERED).count() >= 5,
                      timeout=20), procs.logs()
    r = api.post(f"/api/v1/campaigns/{cid}/cancel/")
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    cancelled = Message.objects.filter(campaign__public_id=cid, status=Status.CANCELLED).count()
    assert 0 < cancelled < 60
    # whatever was claimed before the cancel goes on; nothing cancelled is ever sent
    assert wait_until(lambda: not Message.objects.filter(campaign__public_id=cid, status__in=[
        Status.QUEUED, Status.SUBMITTING, Status.SUBMITTED]).exists(), timeout=20)
    sent = Message.objects.filter(campaign__public_id=cid, status=Status.DELIVERED).count()
    assert sent + cancelled == 60
    assert MessagePart.objects.filter(message__campaign__public_id=cid).count() == sent
    assert before - available(api.account) == Decimal("0.85") * sent
    body = campaign_state(api, cid)
    assert body["counts"]["cancelled"] == cancelled and body["counts"]["delivered"] == sent
