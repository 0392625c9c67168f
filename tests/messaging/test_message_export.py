"""The website's message pages: the delivery-report export of the list (CSV and XLSX, the list's
filters applied, streamed), a message's detail with its timeline, parts and webhook events, its
Cancel button, and the SMS replies page with STOP marked."""
import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from billing.selectors import wallet_get
from messaging.models import Message, MessagePart, WebhookEndpoint, WebhookEvent
from messaging.services import inbound_store, message_send
from messaging.status import Status
from tests.factories import SenderNameFactory, make_client

pytestmark = pytest.mark.django_db


def _send(client, phones, text="Hello", **kw):
    return message_send(client=client, sender="TestShop", recipients=phones, text=text, **kw).messages


def _csv(response):
    assert response.streaming
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_export_csv_applies_the_lists_filters(web):
    a, b = _send(web.account, ["+380671111111", "+380672222222"], text="=cmd|' /C calc'!A0")
    Message.objects.filter(pk=b.pk).update(status=Status.DELIVERED)
    other = make_client(name="Other LLC", balance=10)
    rows = _csv(web.get("/messages/export.csv"))
    assert rows[0][:7] == ["id", "created_at", "channel", "sender", "recipient", "type", "status"]
    assert {r[4] for r in rows[1:]} == {"+380671111111", "+380672222222"}
    assert rows[1][-1].startswith("'=")  # a formula is text
    delivered = _csv(web.get("/messages/export.csv", {"status": "delivered"}))
    assert [r[4] for r in delivered[1:]] == ["+380672222222"]
    by_number = _csv(web.get("/messages/export.csv", {"q": "1111111"}))
    assert [r[4] for r in by_number[1:]] == ["+380671111111"]
    today = timezone.localdate()
    assert len(_csv(web.get("/messages/export.csv", {"date_to": str(today - timedelta(days=1))}))) == 1
    assert other.pk != web.account.pk


def test_export_xlsx_has_the_same_rows(web):
    _send(web.account, ["+380671111111", "+380672222222"], text="@SUM(1)")
    r = web.get("/messages/export.xlsx", {"status": "queued"})
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(b"".join(r.streaming_content)), read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][4] == "recipient" and {row[4] for row in rows[1:]} == {"+380671111111", "+380672222222"}
    assert rows[1][-1] == "'@SUM(1)"


def test_the_list_links_the_exports_with_its_filters(web):
    _send(web.account, ["+380671111111"])
    html = web.get("/messages/", {"status": "queued"}).content.decode()
    assert "/messages/export.csv?status=queued" in html and "/messages/export.xlsx?status=queued" in html
    assert "/messages/replies/" in html


def test_detail_shows_timeline_parts_and_webhook_events(web, route):
    WebhookEndpoint.objects.create(client=web.account, url="https://example.com/hook", secret="s" * 40)
    m = _send(web.account, ["+380671111111"])[0]
    now = timezone.now()
    MessagePart.objects.create(message=m, seq=1, route=route, status=Status.DELIVERED, smsc_message_id="abc123",
                               submitted_at=now, done_at=now)
    Message.objects.filter(pk=m.pk).update(status=Status.DELIVERED, submitted_at=now, done_at=now)
    WebhookEvent.objects.create(client=web.account, message=m, url="https://example.com/hook", event="delivered",
                                payload={}, state="delivered", attempts=1, created_at=now)
    html = web.get(f"/messages/{m.public_id}/").content.decode()
    assert 'id="timeline"' in html and "Accepted" in html and "Part 1 sent to the operator" in html
    assert "abc123" in html and "Delivered to your server" in html
    assert 'id="cancel-form"' not in html  # delivered: nothing to cancel


def test_cancel_button_on_a_scheduled_message(web):
    m = _send(web.account, ["+380671111111"], send_at=timezone.now() + timedelta(days=1))[0]
    assert m.status == Status.SCHEDULED
    html = web.get(f"/messages/{m.public_id}/").content.decode()
    assert 'id="cancel-form"' in html
    r = web.post(f"/messages/{m.public_id}/cancel/")
    assert r.status_code == 302
    m.refresh_from_db()
    assert m.status == Status.CANCELLED
    assert wallet_get(client=web.account).held.amount == 0
    again = web.post(f"/messages/{m.public_id}/cancel/", follow=True)
    assert "can no longer be cancelled" in again.content.decode()


def test_cancel_of_another_clients_message_is_a_404(web):
    other = make_client(name="Other LLC", balance=10)
    SenderNameFactory(client=other, name="OtherCo", approved=True)
    m = message_send(client=other, sender="OtherCo", recipients=["+380671111111"], text="Hi",
                     send_at=timezone.now() + timedelta(days=1)).messages[0]
    assert web.post(f"/messages/{m.public_id}/cancel/").status_code == 404
    assert web.get(f"/messages/{m.public_id}/").status_code == 404
    m.refresh_from_db()
    assert m.status == Status.SCHEDULED


def test_sms_replies_page_marks_stop(web, route):
    inbound_store(route_id=route.pk, messages=[("+380671112233", "TestShop", "Дякую!"),
                                               ("+380671112244", "TestShop", "STOP")])
    html = web.get("/messages/replies/").content.decode()
    assert "Дякую!" in html and "+380671112244" in html
    assert html.count('class="is-stop"') == 1
    assert web.get("/messages/replies/", {"cursor": "garbage"}).status_code == 200
