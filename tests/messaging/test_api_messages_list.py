"""GET /api/v1/messages/: the client's messages with filters, a keyset cursor that stays fast deep
in the table (the plan is an index scan in the list's order, no sort), and `?format=csv`."""
import csv
import io

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.services import api_key_create
from messaging.models import Message
from messaging.selectors import messages_after, messages_filtered, messages_page
from messaging.status import Status
from tests.factories import SenderNameFactory, make_client

pytestmark = pytest.mark.django_db


def _send(api, *phones, text="Hello"):
    r = api.post("/api/v1/messages/", {"sender": "TestShop", "recipients": list(phones), "text": text}, format="json")
    assert r.status_code == 201, r.content
    return [m["id"] for m in r.json()["messages"]]


def _all_pages(api, params):
    seen, cursor = [], None
    while True:
        r = api.get("/api/v1/messages/", {**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.content
        body = r.json()
        seen += body["messages"]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


def test_list_pages_by_cursor_newest_first_without_gaps_or_repeats(api):
    ids = []
    for n in range(7):
        ids += _send(api, f"+38067{n:07d}")
    seen = _all_pages(api, {"limit": 3})
    assert [m["id"] for m in seen] == list(reversed(ids))
    # rows sent after the first page was read do not shift the next page
    first = api.get("/api/v1/messages/", {"limit": 3}).json()
    _send(api, "+380509999999")
    second = api.get("/api/v1/messages/", {"limit": 3, "cursor": first["next_cursor"]}).json()
    assert [m["id"] for m in second["messages"]] == list(reversed(ids))[3:6]


def test_list_filters(api):
    a = _send(api, "+380671111111")[0]
    b = _send(api, "+380672222222")[0]
    Message.objects.filter(public_id=b).update(status=Status.DELIVERED)
    SenderNameFactory(client=api.account, name="Other", approved=True)
    r = api.post("/api/v1/messages/", {"sender": "Other", "recipients": ["+380673333333"], "text": "x"}, format="json")
    c = r.json()["messages"][0]["id"]

    def ids(**params):
        return {m["id"] for m in _all_pages(api, params)}

    assert ids(status="delivered") == {b}
    assert ids(sender="Other") == {c}
    assert ids(recipient="0671111111") == {a}  # normalized to E.164
    assert ids(channel="sms") == {a, b, c} and ids(channel="viber") == set()
    created = Message.objects.get(public_id=b).created_at
    assert ids(created_from=created.isoformat()) == {b, c}
    assert ids(created_to=created.isoformat()) == {a}


def test_list_filter_by_campaign(api):
    r = api.post("/api/v1/campaigns/", {"sender": "TestShop", "text": "Hi", "recipients": ["+380671234567"]},
                 format="json")
    cid = r.json()["id"]
    _send(api, "+380670000001")
    rows = _all_pages(api, {"campaign": cid})  # the campaign is accepted at once in tests
    assert [m["recipient"] for m in rows] == ["+380671234567"]


@pytest.mark.parametrize("params", [{"status": "nope"}, {"limit": 0}, {"limit": 1001}, {"cursor": "!!"},
                                    {"cursor": "bm9wZQ"}, {"created_from": "0001-01-01T00:00:00"},
                                    {"campaign": "x"}, {"channel": "fax"}, {"sender": "a\x00b"},
                                    {"format": "pdf"}])
def test_list_bad_input_is_a_400_with_a_code(api, params):
    r = api.get("/api/v1/messages/", params)
    assert r.status_code == 400, r.content
    assert r.json()["code"] == "invalid"


def test_list_shows_only_the_callers_messages(api):
    _send(api, "+380671111111")
    other = make_client(name="Other LLC", balance=10)
    _key, raw = api_key_create(client=other, name="k")
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert c.get("/api/v1/messages/").json() == {"messages": [], "next_cursor": None}
    assert c.get("/api/v1/messages/", {"format": "csv"}).getvalue().decode().count("\n") == 1  # the header


def test_csv_export_streams_every_filtered_message(api):
    for n in range(5):
        _send(api, f"+38067{n:07d}", text="=HYPERLINK(1)")
    r = api.get("/api/v1/messages/", {"format": "csv", "recipient": "+380670000003"})
    assert r.status_code == 200 and r.streaming
    assert r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.getvalue().decode("utf-8-sig"))))
    assert rows[0][:7] == ["id", "created_at", "channel", "sender", "recipient", "type", "status"]
    assert len(rows) == 2 and rows[1][4] == "+380670000003"
    assert rows[1][-1] == "'=HYPERLINK(1)"  # a formula is written as text


def _plan(sql, params):
    with connection.cursor() as cur:
        cur.execute("EXPLAIN " + sql, params)
        return "\n".join(r[0] for r in cur.fetchall())


def test_deep_pages_are_an_index_scan_without_a_sort(client_account):
    """The list's queries at scale (messages_page, as the API and the website run them):
    60,000 messages, one in fifty of them one client's, analyzed: the first page, a page deep in the
    list and a status filter are read by a backward scan of the list indexes, with no Sort node
    (a sort would read every row of the client before returning 100)."""
    other = make_client(name="Noise LLC", balance=0)
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO messaging_message (public_id, client_id, batch_id, sender, recipient, text, encoding, "
            "segments, message_type, price, price_currency, status, is_bulk, operator, error_code, error_detail, "
            "created_at, updated_at, callback_url, channel) "
            "SELECT gen_random_uuid(), CASE WHEN g %% 50 = 0 THEN %s ELSE %s END, gen_random_uuid(), 'TestShop', "
            "'+38067' || lpad(g::text, 7, '0'), 'x', 'gsm7', 1, 'service', 0.85, 'UAH', "
            "CASE WHEN g %% 7 = 0 THEN 'undelivered' ELSE 'delivered' END, false, '', '', '', "
            "now() - make_interval(secs => g), now(), '', 'sms' FROM generate_series(1, 60000) AS g",
            [client_account.pk, other.pk])
        cur.execute("ANALYZE messaging_message")
    base = messages_filtered(client=client_account)
    rows, key = messages_page(base, after=None, limit=100)
    for _ in range(3):
        rows, key = messages_page(base, after=key, limit=100)
    deep_key = Message.objects.filter(client=client_account).order_by("-created_at", "-id") \
        .values_list("created_at", "id")[800]
    cases = {
        "first": base,
        "deep": messages_after(base, deep_key),
        "status": messages_after(messages_filtered(client=client_account, status="undelivered"), deep_key),
    }
    for name, qs in cases.items():
        sql, params = qs[:101].query.sql_with_params()
        plan = _plan(sql, params)
        assert "Index Scan Backward using message_client" in plan, (name, plan)
        assert "Sort" not in plan, (name, plan)
    assert len(rows) == 100 and key is not None
