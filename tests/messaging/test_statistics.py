"""R-ACC-09: a client sees statistics and message status for at least the last 6 months, on the
website and the API; no periodic job purges them earlier."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery import current_app
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from messaging.models import Message
from messaging.selectors import message_statistics, statistics_default_from

pytestmark = pytest.mark.django_db
KYIV = ZoneInfo("Europe/Kyiv")
NOW = datetime(2026, 9, 15, 12, 0, tzinfo=KYIV)


def _send(api, to, text="Order 1 is ready"):
    r = api.post("/api/v1/messages/", {"sender": "TestShop", "recipients": [to], "text": text}, format="json")
    assert r.status_code == 201, r.content
    return Message.objects.get(public_id=r.json()["messages"][0]["id"])


@pytest.fixture
def history(api):
    """Three messages: exactly 6 months old (delivered, 15 March), 3 months old (undelivered), today (queued)."""
    old = _send(api, "+380671234561")
    mid = _send(api, "+380671234562", "Привіт")
    new = _send(api, "+380671234563")
    Message.objects.filter(pk=old.pk).update(created_at=NOW - timedelta(days=184), status="delivered")
    Message.objects.filter(pk=mid.pk).update(created_at=NOW - timedelta(days=92), status="undelivered")
    Message.objects.filter(pk=new.pk).update(created_at=NOW - timedelta(minutes=5))
    return old, mid, new


def test_r_acc_09_default_period_is_six_whole_months_back():
    assert statistics_default_from(date(2026, 9, 15)) == date(2026, 3, 1)
    assert statistics_default_from(date(2026, 3, 31)) == date(2025, 9, 1)


def test_r_acc_09_statistics_page_shows_six_months(web, history):
    with time_machine.travel(NOW, tick=False):
        r = web.get(reverse("message_statistics"))
    assert r.status_code == 200
    stats = r.context["stats"]
    assert stats["date_from"] == date(2026, 3, 1) and stats["date_to"] == date(2026, 9, 15)
    by_month = {row["period"]: row for row in stats["rows"]}
    assert by_month[date(2026, 3, 1)]["delivered"] == 1
    assert by_month[date(2026, 6, 1)]["undelivered"] == 1
    assert by_month[date(2026, 9, 1)]["in_progress"] == 1
    assert stats["totals"]["messages"] == 3 and stats["totals"]["parts"] == 3
    html = r.content.decode()
    assert "March 2026" in html and "at least the last 6 months" in html
    assert "?date_from=2026-03-01&amp;date_to=2026-03-31" in html


def test_r_acc_09_message_list_by_period_shows_old_statuses(web, history):
    old, _mid, _new = history
    with time_machine.travel(NOW, tick=False):
        r = web.get(reverse("message_list"), {"date_from": "2026-03-01", "date_to": "2026-03-31"})
        assert [m.pk for m in r.context["rows"]] == [old.pk]
        assert "Delivered" in r.content.decode()
        assert web.get(reverse("message_detail", args=[old.public_id])).status_code == 200


def test_r_acc_09_api_statistics_and_status(api, history):
    old, _mid, _new = history
    with time_machine.travel(NOW, tick=False):
        r = api.get("/api/v1/statistics/")
        assert r.status_code == 200
        body = r.json()
        assert body["from"] == "2026-03-01" and body["totals"]["messages"] == 3
        assert body["rows"][0]["period"] == "2026-09-01"
        assert api.get(f"/api/v1/messages/{old.public_id}/").json()["status"] == "delivered"
        r = api.get("/api/v1/statistics/", {"from": "2026-03-13", "to": "2026-03-15", "by": "day"})
        assert [row["period"] for row in r.json()["rows"]] == ["2026-03-15"]
        r = api.get("/api/v1/statistics/", {"from": "2026-09-01", "to": "2026-01-01"})
        assert r.status_code == 400 and r.json()["code"] == "invalid_period"
        r = api.get("/api/v1/statistics/", {"from": "yesterday"})
        assert r.status_code == 400 and r.json()["code"] == "invalid_period"
        r = api.get("/api/v1/statistics/", {"from": "2025-01-01", "by": "day"})
        assert r.status_code == 400 and "per month" in r.json()["detail"]


def test_r_acc_09_bad_period_on_the_website_is_a_form_error(web):
    r = web.get(reverse("message_statistics"), {"date_from": "2026-09-01", "date_to": "2026-01-01"})
    assert r.status_code == 400 and "before its start" in r.content.decode()


def test_r_acc_09_no_periodic_job_purges_the_last_six_months(history):
    """Every job in the beat schedule runs; the six-month-old message keeps its text and status."""
    old, mid, _new = history
    names = set(PeriodicTask.objects.filter(enabled=True).values_list("task", flat=True))
    assert {"accounts.block_dormant", "accounts.terminate_due", "accounts.destroy_terminated_data"} <= names
    import billing.tasks, lifecycle.tasks, messaging.tasks  # noqa: F401, E401 (register every task)

    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        for name in sorted(names):
            current_app.tasks[name].apply(throw=True)
    old.refresh_from_db()
    assert old.status == "delivered" and old.text == "Order 1 is ready" and old.recipient == "+380671234561"
    assert Message.objects.filter(pk=mid.pk).exists()
    stats = message_statistics(client=old.client, date_from=date(2026, 3, 1), date_to=date(2026, 9, 16))
    assert stats["totals"]["messages"] == 3
