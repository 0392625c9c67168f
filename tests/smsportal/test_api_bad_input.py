"""Bad input to the API answers a clear JSON {"code", "detail"} 4xx, never a 500, and leaves nothing
half-done. The first tests are the bugs the fuzzing found (named after the endpoint and the bug); the
sweep at the end keeps the hand-made cases that already answered well."""
import hashlib
import hmac
import json
import uuid

import pytest
from rest_framework.test import APIClient

from accounts.services import api_key_create
from billing.models import Invoice
from messaging.models import Campaign, ContactGroup, Message
from tests.factories import SenderNameFactory, make_client

PHONE = "+380671234567"
SEND = {"sender": "TestShop", "recipients": [PHONE], "text": "hi"}

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api):
    api.raise_request_exception = False  # a server error must show as the 500 a client would get
    return api


def assert_json_4xx(r, status=None, code=None):
    assert 400 <= r.status_code < 500, (r.status_code, r.content[:300])
    body = r.json()
    assert isinstance(body.get("code"), str) and isinstance(body.get("detail"), str) and body["detail"], body
    if status is not None:
        assert r.status_code == status, body
    if code is not None:
        assert body["code"] == code, body
    return body


# --- the bugs -------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/messages/", "/api/v1/campaigns/", "/api/v1/senders/"])
def test_post_json_nested_too_deep_is_400_parse_error_not_500(api, path):
    deep = b"[" * 100_000 + b"]" * 100_000  # RecursionError in json.loads before
    assert_json_4xx(api.generic("POST", path, deep, content_type="application/json"), 400, "parse_error")


def test_invoices_get_nul_in_number_is_404_not_500(api):
    api.post("/api/v1/invoices/", {"amount": "10"}, format="json")
    assert_json_4xx(api.get("/api/v1/invoices/SP%00/"), 404, "not_found")  # PostgreSQL refused the NUL: 500


@pytest.mark.parametrize("query", ["from=9999-12-01&to=9999-12-31&by=day",  # date_to + 1 day overflowed
                                   "to=0001-03-01",  # the default 'six months back' had year 0
                                   "from=0001-01-01&to=0001-01-02"])
def test_statistics_get_dates_at_the_calendar_ends_are_400_invalid_period(api, query):
    body = assert_json_4xx(api.get(f"/api/v1/statistics/?{query}"), 400, "invalid_period")
    assert "2000" in body["detail"]


def test_statistics_get_ordinary_period_still_answers(api):
    r = api.get("/api/v1/statistics/?from=2026-01-01&to=2026-03-31&by=month")
    assert r.status_code == 200 and r.json()["by"] == "month"


def test_messages_post_idempotency_key_over_200_characters_is_400_and_sends_nothing(api):
    long_key = "k" * 10_240
    r = api.post("/api/v1/messages/", SEND, format="json", HTTP_IDEMPOTENCY_KEY=long_key)
    assert_json_4xx(r, 400, "invalid_idempotency_key")
    assert not Message.objects.exists()


def test_messages_post_idempotency_keys_sharing_200_characters_are_not_one_send(api):
    """The key was cut to 200 characters: a second, different key with the same start answered 200 with
    the first send and sent nothing. Now only keys up to 200 are taken, and they are whole."""
    key = "k" * 200
    first = api.post("/api/v1/messages/", SEND, format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = api.post("/api/v1/messages/", SEND, format="json", HTTP_IDEMPOTENCY_KEY=key)
    longer = api.post("/api/v1/messages/", SEND, format="json", HTTP_IDEMPOTENCY_KEY=key + "2")
    assert first.status_code == 201 and again.status_code == 201  # a repeat gets the first answer
    assert again.json()["messages"][0]["id"] == first.json()["messages"][0]["id"]
    assert_json_4xx(longer, 400, "invalid_idempotency_key")
    assert Message.objects.count() == 1


def test_campaigns_post_over_100000_recipients_is_400_and_leaves_no_failed_campaign(api):
    r = api.post("/api/v1/campaigns/", {**SEND, "recipients": [PHONE] * 100_001}, format="json")
    assert_json_4xx(r, 400, "too_many_recipients")
    assert not Campaign.objects.exists()  # a failed campaign was left behind before


def test_messages_estimate_over_100000_recipients_is_400_as_documented(api):
    r = api.post("/api/v1/messages/estimate/", {"text": "hi", "recipients": [PHONE] * 100_001}, format="json")
    assert_json_4xx(r, 400, "too_many_recipients")  # 200 before, past the schema's maxItems


def test_contact_groups_post_over_100000_contacts_keeps_its_own_message(api):
    r = api.post("/api/v1/contact-groups/", {"name": "g", "contacts": [PHONE] * 100_001}, format="json")
    assert "contacts in one request" in assert_json_4xx(r, 400, "invalid")["detail"]


def test_messages_post_schema_documents_recipients_min_items(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    recipients = schema["components"]["schemas"]["MessageSendInputRequest"]["properties"]["recipients"]
    assert recipients["minItems"] == 1  # schema-valid requests were refused: 'This list may not be empty'


@pytest.mark.parametrize("path,field", [("/api/v1/campaigns/", "recipients"), ("/api/v1/messages/estimate/", "recipients"),
                                        ("/api/v1/contact-groups/", "contacts")])
@pytest.mark.parametrize("row", ["+38067\x001234567", {"phone": PHONE, "name": "Iv\x00an"},
                                 {"phone": PHONE, "na\x00me": "Ivan"}, {"phone": PHONE, "name": {"x": ["\x00"]}}])
def test_campaigns_estimate_contact_groups_post_nul_in_a_row_is_400_not_500(api, path, field, row):
    """PostgreSQL refused the NUL on insert (text or JSON column): a 500 after the campaign was created."""
    body = {"sender": "TestShop", "text": "hi {name}", "name": "g", field: [PHONE, row]}
    detail = assert_json_4xx(api.post(path, body, format="json"), 400, "invalid")["detail"]
    assert "Row 2" in detail
    assert not Campaign.objects.exists() and not ContactGroup.objects.exists()


def test_webhook_put_url_longer_than_the_audit_target_is_saved_not_500(api):
    url = "https://" + "a." * 130 + "example.com/hook"  # 274 characters: the audit record's target is 200
    r = api.put("/api/v1/webhook/", {"url": url}, format="json")
    assert r.status_code in (200, 201) and r.json()["url"] == url
    assert api.get("/api/v1/webhook/").json()["url"] == url


@pytest.fixture
def callback(settings):
    settings.BILLING_PAYMENT_CALLBACK_SECRET = "fuzz-secret"
    c = APIClient()
    c.raise_request_exception = False

    def post(raw: bytes):
        sig = hmac.new(b"fuzz-secret", raw, hashlib.sha256).hexdigest()
        return c.generic("POST", "/api/v1/payments/callback/", raw, content_type="application/json",
                         HTTP_X_SIGNATURE=sig)
    return post


@pytest.mark.parametrize("payload", [
    b"[" * 100_000 + b"]" * 100_000,  # RecursionError
    json.dumps({"invoice_number": "SP\x00", "amount": "10", "payment_id": "p"}).encode(),  # NUL: DataError
    json.dumps({"invoice_number": "INVOICE", "amount": "10", "payment_id": "p\x00"}).encode(),
    json.dumps({"invoice_number": "INVOICE", "amount": "1e999999999", "payment_id": "p"}).encode(),  # Overflow
    json.dumps({"invoice_number": "INVOICE", "amount": "1e12", "payment_id": "p"}).encode(),
], ids=["deep", "nul-number", "nul-payment-id", "amount-1e999999999", "amount-1e12"])
def test_payments_callback_post_malformed_signed_body_is_400_and_credits_nothing(api, callback, payload):
    number = api.post("/api/v1/invoices/", {"amount": "10"}, format="json").json()["number"]
    r = callback(payload.replace(b"INVOICE", number.encode()))
    assert_json_4xx(r, 400, "invalid")
    assert Invoice.objects.get(number=number).status == Invoice.Status.ISSUED
    assert api.get("/api/v1/balance/").json()["balance"]["amount"] == "100.00"


@pytest.mark.parametrize("path", ["/api/v1/messages/", "/api/v1/campaigns/"])
@pytest.mark.parametrize("send_at", ["9999-12-31T00:00:00Z",  # its lifetime's end overflowed
                                     "0001-01-01T00:00:00",  # Kyiv time to UTC overflowed (in DRF's own check)
                                     "9999-12-31T23:00:00", "3000-01-01T00:00:00Z"])
def test_messages_campaigns_post_send_at_at_the_calendar_ends_is_400_and_holds_nothing(api, path, send_at):
    body = assert_json_4xx(api.post(path, {**SEND, "send_at": send_at}, format="json"), 400, "invalid")
    assert "send_at" in body["errors"]
    assert not Message.objects.exists() and not Campaign.objects.exists()
    assert api.get("/api/v1/balance/").json()["held"]["amount"] == "0.00"


def test_messages_post_send_at_in_the_past_or_next_year_still_accepted(api):
    assert api.post("/api/v1/messages/", {**SEND, "send_at": "2001-01-01T00:00:00Z"}, format="json").status_code == 201
    assert api.post("/api/v1/messages/", {**SEND, "send_at": "2030-01-01T09:00:00"}, format="json").status_code == 201


@pytest.mark.parametrize("query", ["date_to=9999-12-31", "date_from=0001-01-01"])
def test_transactions_get_dates_at_the_calendar_ends_are_400_not_500(api, query):
    body = assert_json_4xx(api.get(f"/api/v1/transactions/?{query}"), 400, "invalid")
    assert query.split("=")[0] in body["errors"]


# --- the sweep ------------------------------------------------------------------------------------

BAD_BODIES = [
    ("/api/v1/messages/", {**SEND, "ttl": 10**30}),
    ("/api/v1/messages/", {**SEND, "ttl": -5}),
    ("/api/v1/messages/", {**SEND, "ttl": 1.5}),
    ("/api/v1/messages/", {**SEND, "ttl": "abc"}),
    ("/api/v1/messages/", {**SEND, "recipients": PHONE}),
    ("/api/v1/messages/", {**SEND, "recipients": None}),
    ("/api/v1/messages/", {**SEND, "recipients": [[PHONE]]}),
    ("/api/v1/messages/", {**SEND, "recipients": [10**50]}),
    ("/api/v1/messages/", {**SEND, "recipients": []}),
    ("/api/v1/messages/", {**SEND, "recipients": [PHONE] * 100_001}),
    ("/api/v1/messages/", {**SEND, "text": None}),
    ("/api/v1/messages/", {**SEND, "text": "a\x00b"}),
    ("/api/v1/messages/", {**SEND, "sender": {"a": 1}}),
    ("/api/v1/messages/", {**SEND, "sender": "\U0001F600\u202e"}),
    ("/api/v1/messages/", {**SEND, "send_at": "9999-12-31T23:59:59Z"}),
    ("/api/v1/messages/", {**SEND, "send_at": 12345}),
    ("/api/v1/messages/", {**SEND, "type": "x"}),
    ("/api/v1/messages/", [1, 2]),
    ("/api/v1/messages/", "x"),
    ("/api/v1/messages/", None),
    ("/api/v1/messages/estimate/", {"text": "hi", "recipients": [PHONE], "sender": None}),
    ("/api/v1/campaigns/", {"sender": "TestShop", "text": "x", "group": 10**30}),
    ("/api/v1/campaigns/", {"sender": "TestShop", "text": "x", "group": "abc"}),
    ("/api/v1/campaigns/", {**SEND, "group": 1}),
    ("/api/v1/campaigns/", {**SEND, "ttl": 10**30}),
    ("/api/v1/contact-groups/", {"name": "a\x00"}),
    ("/api/v1/contact-groups/", [1]),
    ("/api/v1/invoices/", {"amount": "1e400"}),
    ("/api/v1/invoices/", {"amount": "NaN"}),
    ("/api/v1/invoices/", {"amount": -5}),
    ("/api/v1/invoices/", {"amount": 1.5}),
    ("/api/v1/invoices/", {"amount": 10**40}),
    ("/api/v1/invoices/", {"amount": [1]}),
    ("/api/v1/senders/", {"name": "a\x00b"}),
    ("/api/v1/senders/", {"name": "Shopx", "channel": "fax"}),
]


@pytest.mark.parametrize("path,body", BAD_BODIES, ids=[f"{p} {str(b)[:40]}" for p, b in BAD_BODIES])
def test_post_bad_json_values_are_4xx_json_and_store_nothing(api, path, body):
    assert_json_4xx(api.post(path, body, format="json"))
    assert not Message.objects.exists() and not Campaign.objects.exists() and not Invoice.objects.exists()


RAW = [
    ("application/json", b""),
    ("application/json", b"{bad"),
    ("application/json", b'{"text": "\xff\xfe"}'),
    ("application/json", b'{"sender":"TestShop","recipients":["+380671234567"],"text":"x","ttl":NaN}'),
    ("application/json", b'{"sender":"TestShop","recipients":["+380671234567"],"text":"\\ud800x"}'),
    ("application/json", b'{"ttl": 1' + b"0" * 5000 + b"}"),
    ("text/plain", b"hello"),
    ("application/x-www-form-urlencoded", b"sender=TestShop"),
    ("application/xml", b"<a/>"),
]


@pytest.mark.parametrize("content_type,data", RAW, ids=[f"{c} {d[:20]!r}" for c, d in RAW])
def test_messages_post_empty_non_json_or_wrong_type_bodies_are_4xx_json(api, content_type, data):
    assert_json_4xx(api.generic("POST", "/api/v1/messages/", data, content_type=content_type))
    assert not Message.objects.exists()


@pytest.mark.parametrize("header", ["x" * 10_240, "\x00", "", "a b"])
def test_bad_authorization_is_401_json(db, header):
    c = APIClient()
    c.raise_request_exception = False
    assert_json_4xx(c.get("/api/v1/balance/", HTTP_AUTHORIZATION=f"Bearer {header}"), 401)


@pytest.fixture
def theirs(client_account):
    """Another client's message, campaign, contact group and invoice."""
    other = make_client(name="Other LLC", balance=50)
    SenderNameFactory(client=other, name="OtherCo", approved=True)
    _key, raw = api_key_create(client=other, name="o")
    o = APIClient()
    o.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    ok = {**SEND, "sender": "OtherCo"}
    return {"message": o.post("/api/v1/messages/", ok, format="json").json()["messages"][0]["id"],
            "campaign": o.post("/api/v1/campaigns/", ok, format="json").json()["id"],
            "group": o.post("/api/v1/contact-groups/", {"name": "g", "contacts": [PHONE]}, format="json").json()["id"],
            "invoice": o.post("/api/v1/invoices/", {"amount": "10"}, format="json").json()["number"]}


def test_unknown_ids_and_another_clients_ids_are_404_and_change_nothing(api, theirs):
    paths = [f"/api/v1/messages/{uuid.uuid4()}/", f"/api/v1/messages/{theirs['message']}/", "/api/v1/messages/%00/",
             "/api/v1/messages/" + "a" * 5000 + "/", f"/api/v1/campaigns/{uuid.uuid4()}/",
             f"/api/v1/campaigns/{theirs['campaign']}/", f"/api/v1/campaigns/{10**30}/",
             f"/api/v1/campaigns/{theirs['campaign']}/messages/", f"/api/v1/contact-groups/{theirs['group']}/",
             f"/api/v1/contact-groups/{10**30}/", f"/api/v1/invoices/{theirs['invoice']}/",
             "/api/v1/invoices/" + "9" * 5000 + "/"]
    for path in paths:
        assert_json_4xx(api.get(path), 404, "not_found")
    assert_json_4xx(api.post(f"/api/v1/campaigns/{theirs['campaign']}/cancel/"), 404)
    assert_json_4xx(api.delete(f"/api/v1/contact-groups/{theirs['group']}/"), 404)
    assert_json_4xx(api.post(f"/api/v1/contact-groups/{theirs['group']}/contacts/", {"contacts": [PHONE]},
                             format="json"), 404)
    assert_json_4xx(api.post("/api/v1/campaigns/", {"sender": "TestShop", "text": "x", "group": theirs["group"]},
                             format="json"), 404)
    campaign = Campaign.objects.get(public_id=theirs["campaign"])
    assert campaign.state == Campaign.State.SENDING and campaign.client.contact_groups.get().contacts.count() == 1
