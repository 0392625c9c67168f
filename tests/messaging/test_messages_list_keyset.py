"""The website's message list reads a keyset page (messaging.selectors: messages_page and
messages_page_before, the API's cursor): at scale, the Older and the Newer page are both an index
scan of the list index, with no Sort node and no COUNT or OFFSET."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from messaging.cursors import cursor_encode
from messaging.models import Message
from messaging.selectors import messages_after, messages_filtered
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def _plan(sql, params):
    with connection.cursor() as cur:
        cur.execute("EXPLAIN " + sql, params)
        return "\n".join(r[0] for r in cur.fetchall())


def _many(client, other):
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO messaging_message (public_id, client_id, batch_id, sender, recipient, text, encoding, "
            "segments, message_type, price, price_currency, status, is_bulk, operator, error_code, error_detail, "
            "created_at, updated_at, callback_url, channel) "
            "SELECT gen_random_uuid(), CASE WHEN g %% 50 = 0 THEN %s ELSE %s END, gen_random_uuid(), 'TestShop', "
            "'+38067' || lpad(g::text, 7, '0'), 'x', 'gsm7', 1, 'service', 0.85, 'UAH', "
            "CASE WHEN g %% 7 = 0 THEN 'undelivered' ELSE 'delivered' END, false, '', '', '', "
            "now() - make_interval(secs => g), now(), '', 'sms' FROM generate_series(1, 60000) AS g",
            [client.pk, other.pk])
        cur.execute("ANALYZE messaging_message")


def test_website_list_pages_are_index_scans_without_sort_count_or_offset(web):
    _many(web.account, make_client(name="Noise LLC", balance=0))
    key = Message.objects.filter(client=web.account).order_by("-created_at", "-id") \
        .values_list("created_at", "id")[600]
    base = messages_filtered(client=web.account)
    newer = base.extra(where=['("messaging_message"."created_at", "messaging_message"."id") > (%s, %s)'],
                       params=list(key)).reverse()
    cases = {
        "older": messages_after(base, key),
        "newer": newer,
        "status older": messages_after(messages_filtered(client=web.account, status="undelivered"), key),
    }
    for name, qs in cases.items():
        sql, params = qs[:51].query.sql_with_params()
        plan = _plan(sql, params)
        assert "Index Scan" in plan and "using message_client" in plan, (name, plan)
        assert "Sort" not in plan, (name, plan)

    for arg in ("after", "before"):
        with CaptureQueriesContext(connection) as queries:
            r = web.get(reverse("message_list"), {arg: cursor_encode(key), "status": "delivered"})
        assert r.status_code == 200 and len(r.context["rows"]) == 50
        sqls = [q["sql"].upper() for q in queries.captured_queries if "MESSAGING_MESSAGE" in q["sql"].upper()]
        assert sqls and not [s for s in sqls if "COUNT(" in s or "OFFSET" in s], sqls
        assert all(m.status == "delivered" for m in r.context["rows"])
