"""R-ACC-09: the statistics page charts sent, delivered and undelivered messages per day or month
(at least 6 months, per day too), broken down by sender name, operator or campaign, with the
table below and a CSV export. Every figure is aggregated in the database (GROUP BY date_trunc in
Kyiv time), in a fixed number of queries."""
import csv
import io
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from messaging.models import Message
from messaging.selectors import message_statistics
from messaging.services import campaign_accept, campaign_create
from tests.factories import SenderNameFactory

pytestmark = pytest.mark.django_db
KYIV = ZoneInfo("Europe/Kyiv")
UTC = ZoneInfo("UTC")
NOW = datetime(2026, 9, 15, 12, 0, tzinfo=KYIV)


def _send(api, to, sender="TestShop", text="Order 1 is ready"):
    r = api.post("/api/v1/messages/", {"sender": sender, "recipients": [to], "text": text}, format="json")
    assert r.status_code == 201, r.content
    return Message.objects.get(public_id=r.json()["messages"][0]["id"])


def _set(message, **fields):
    Message.objects.filter(pk=message.pk).update(**fields)


@pytest.fixture
def traffic(api):
    """Six messages over six months, two senders, three operators, one campaign."""
    SenderNameFactory(client=api.account, name="Kvitka", approved=True)
    m = [_send(api, f"+38067123456{i}", sender="Kvitka" if i % 2 else "TestShop") for i in range(5)]
    _set(m[0], created_at=NOW - timedelta(days=170), status="delivered", operator="kyivstar")  # March
    # 31 March 22:30 UTC is 1 April 01:30 in Kyiv: April, not March
    _set(m[1], created_at=datetime(2026, 3, 31, 22, 30, tzinfo=UTC), status="undelivered", operator="vodafone")
    _set(m[2], created_at=NOW - timedelta(days=30), status="submitted", operator="lifecell")
    _set(m[3], created_at=NOW - timedelta(days=1), status="failed", operator="kyivstar")  # not sent
    _set(m[4], created_at=NOW - timedelta(hours=1), status="expired", operator="")
    campaign = campaign_create(client=api.account, sender="TestShop", text="Hi", name="Autumn sale")
    campaign = campaign_accept(campaign=campaign, rows=["0501234567"])
    Message.objects.filter(campaign=campaign).update(created_at=NOW - timedelta(hours=2), status="delivered",
                                                     operator="vodafone")
    return m, campaign


def _stats(client, **kw):
    params = {"date_from": date(2026, 3, 1), "date_to": date(2026, 9, 15), "by": "month", **kw}
    return message_statistics(client=client, **params)


def test_r_acc_09_months_are_kyiv_months_and_sent_counts_what_left(api, traffic):
    stats = _stats(api.account)
    by_month = {r["period"]: r for r in stats["rows"]}
    assert by_month[date(2026, 3, 1)]["delivered"] == 1 and by_month[date(2026, 3, 1)]["messages"] == 1
    assert by_month[date(2026, 4, 1)]["undelivered"] == 1  # the Kyiv month of 31 March 22:30 UTC
    assert by_month[date(2026, 8, 1)]["sent"] == 1 and by_month[date(2026, 8, 1)]["in_progress"] == 1
    sept = by_month[date(2026, 9, 1)]
    assert (sept["messages"], sept["sent"], sept["delivered"], sept["undelivered"], sept["not_sent"]) == (3, 2, 1, 1, 1)
    totals = stats["totals"]
    assert (totals["messages"], totals["sent"], totals["delivered"], totals["undelivered"]) == (6, 5, 2, 2)
    assert totals["parts"] == 5  # the failed one is not charged
    assert totals["cost"] == Decimal("4.25")  # 5 × 0.85


def test_r_acc_09_per_day_for_six_months(web, traffic):
    with time_machine.travel(NOW, tick=False):
        r = web.get(reverse("message_statistics"), {"date_from": "2026-03-01", "date_to": "2026-09-15", "by": "day"})
    assert r.status_code == 200
    stats = r.context["stats"]
    assert stats["by"] == "day"
    assert {row["period"] for row in stats["rows"]} >= {date(2026, 4, 1), date(2026, 9, 14)}
    chart = r.context["chart"]
    assert len(chart["labels"]) == 199  # every day of the period, the empty ones too
    assert chart["labels"][0] == "01.03.2026" and chart["labels"][-1] == "15.09.2026"
    series = {s["key"]: s["data"] for s in chart["series"]}
    assert set(series) == {"sent", "delivered", "undelivered"}
    assert sum(series["sent"]) == 5 and sum(series["delivered"]) == 2 and sum(series["undelivered"]) == 2
    assert series["undelivered"][chart["labels"].index("01.04.2026")] == 1


def test_r_acc_09_month_chart_covers_the_default_six_months(web, traffic):
    with time_machine.travel(NOW, tick=False):
        r = web.get(reverse("message_statistics"))
    chart = r.context["chart"]
    assert chart["labels"][0] == "March 2026" and chart["labels"][-1] == "September 2026" and len(chart["labels"]) == 7
    html = r.content.decode()
    payload = json.loads(html.split('id="statistics-data" type="application/json">')[1].split("</script>")[0])
    assert payload["labels"] == chart["labels"]
    assert "vendor/chartjs/chart.umd.min.js" in html and "js/statistics.js" in html
    assert 'id="statistics-chart"' in html and 'id="statistics-table"' in html


@pytest.mark.parametrize("dimension,expected", [
    ("sender", {"TestShop": (4, 4), "Kvitka": (2, 1)}),
    ("operator", {"Kyivstar": (2, 1), "Vodafone": (2, 2), "lifecell": (1, 1), "Unknown operator": (1, 1)}),
    ("campaign", {"Autumn sale": (1, 1), "Single messages (no campaign)": (5, 4)}),
])
def test_r_acc_09_breakdown_by_sender_operator_campaign(web, traffic, dimension, expected):
    with time_machine.travel(NOW, tick=False):
        r = web.get(reverse("message_statistics"), {"dimension": dimension})
    assert r.status_code == 200
    breakdown = r.context["stats"]["breakdown"]
    assert {row["label"]: (row["messages"], row["sent"]) for row in breakdown} == expected
    assert [row["messages"] for row in breakdown] == sorted((row["messages"] for row in breakdown), reverse=True)
    chart = r.context["chart"]["breakdown"]
    assert chart["labels"] == [row["label"] for row in breakdown]
    assert {s["key"] for s in chart["series"]} == {"delivered", "undelivered", "in_progress", "not_sent"}
    html = r.content.decode()
    assert 'id="statistics-breakdown"' in html and 'id="statistics-breakdown-table"' in html
    if dimension == "campaign":
        _m, campaign = traffic
        assert reverse("campaign_detail", args=[campaign.public_id]) in html


@pytest.mark.parametrize("dimension,queries", [("", 2), ("sender", 3), ("operator", 3), ("campaign", 4)])
def test_r_acc_09_aggregated_in_the_database_in_fixed_queries(api, traffic, dimension, queries,
                                                           django_assert_num_queries):
    for i in range(5):  # more messages do not add queries
        _send(api, f"+38050765432{i}")
    with django_assert_num_queries(queries) as captured:
        _stats(api.account, dimension=dimension, date_to=date(2026, 12, 31))
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    assert "DATE_TRUNC('month'" in sql and "Europe/Kyiv" in sql and "GROUP BY" in sql
    assert "FILTER (WHERE" in sql


def test_r_acc_09_csv_export_of_the_table(web, traffic):
    with time_machine.travel(NOW, tick=False):
        r = web.get(reverse("message_statistics"), {"by": "month", "export": "csv"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert 'filename="statistics-20260301-20260915-month.csv"' in r["Content-Disposition"]
    text = r.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["Month", "Messages", "Sent", "SMS parts", "Delivered", "Undelivered", "In progress",
                       "Not sent", "Cost, UAH"]
    assert rows[1][0] == "2026-09" and rows[-1] == ["Total", "6", "5", "5", "2", "2", "1", "1", "4.25"]


def test_r_acc_09_csv_export_of_a_breakdown_defuses_formulas(web, traffic):
    _m, campaign = traffic
    type(campaign).objects.filter(pk=campaign.pk).update(name="=HYPERLINK(\"http://x\")")
    with time_machine.travel(NOW, tick=False):
        r = web.get(reverse("message_statistics"), {"dimension": "campaign", "export": "csv"})
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8").lstrip("\ufeff"))))
    assert rows[0][0] == "Campaign"
    assert "'=HYPERLINK(\"http://x\")" in [row[0] for row in rows]
    assert 'href="?' in web.get(reverse("message_statistics")).content.decode()


def test_r_acc_09_bad_input_is_a_form_error_not_a_500(web):
    r = web.get(reverse("message_statistics"), {"dimension": "recipient"})
    assert r.status_code == 400 and "dimension" in r.context["form"].errors
    r = web.get(reverse("message_statistics"), {"date_from": "2024-01-01", "date_to": "2026-01-01", "by": "day"})
    assert r.status_code == 400 and "per month" in r.content.decode()
    r = web.get(reverse("message_statistics"), {"date_from": "2026-01-01", "date_to": "2026-01-02", "export": "csv",
                                                "by": "week"})
    assert r.status_code == 400 and r["Content-Type"].startswith("text/html")


def test_chart_library_is_served_from_our_static_files_with_its_license():
    vendor = Path(settings.BASE_DIR) / "static" / "vendor" / "chartjs"
    script = (vendor / "chart.umd.min.js").read_text()
    assert script.startswith("/*!\n * Chart.js v4.6.2")
    assert "sourceMappingURL" not in script
    assert "MIT License" in (vendor / "LICENSE.md").read_text()
