"""The TurboSMS-compatible facade (messaging.turbosms): every JSON example of the TurboSMS API
notes replayed (request → envelope, codes, status strings), the four auth styles, host routing,
`sequence_id`, partial sends and tenant isolation. Always HTTP 200 with the envelope."""
# ruff: noqa: F811 (the `viber_client` fixture is imported, then named by the tests)
import json
import uuid
from datetime import datetime
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from accounts.services import api_key_create, api_key_revoke
from billing.models import LedgerEntry
from billing.services import wallet_hold
from compliance.services import stop_list_add
from messaging.models import IdempotencyKey, Message, Route
from messaging.status import Status
from smsportal.kyiv import KYIV
from messaging.models import ViberDetail
from messaging.viber.service import viber_send
from tests.factories import SenderNameFactory, make_client
from tests.messaging.viber_fixtures import KYIVSTAR, OWN_PHONE, VODAFONE, consent, req, viber_client  # noqa: F401

pytestmark = pytest.mark.django_db

HOST = "api.turbosms.test"
ENVELOPE_KEYS = {"response_code", "response_status", "response_result"}
STATUS_ITEM_KEYS = {"message_id", "response_code", "response_status", "recipient", "sent", "updated", "status",
                    "type", "rejected_status", "click_time"}


@pytest.fixture
def turbo_host(settings):
    settings.TURBOSMS_HOSTS = [HOST]
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]


@pytest.fixture
def key(client_account):
    return api_key_create(client=client_account, name="turbosms")[1]


@pytest.fixture
def turbo(turbo_host, key):
    """A TurboSMS client on the facade's host with the key in `?token=` (as `turbosms` 0.0.2)."""
    c = HttpClient(HTTP_HOST=HOST)
    c.key = key
    return c


def post(c, path, body=None, **extra):
    r = c.post(f"{path}?token={c.key}", json.dumps(body if body is not None else {}),
               content_type="application/json", **extra)
    assert r.status_code == 200, r.content
    data = r.json()
    assert set(data) == ENVELOPE_KEYS
    return data


def sms(recipients, text="Ваше замовлення готове", sender="TestShop", **more):
    return {"recipients": recipients, "sms": {"sender": sender, "text": text, "is_flash": False}, **more}


# --- the doc's examples, replayed --------------------------------------------------------------

def test_ping_answers_pong_for_every_module(turbo):
    for module in ("message", "user", "file"):
        for method in ("get", "post"):
            r = getattr(turbo, method)(f"/{module}/ping.json")
            assert r.status_code == 200
            assert r.json() == {"response_code": 1, "response_status": "PONG", "response_result": None}


def test_doc_send_example_sms_part_is_accepted_with_a_message_id_per_recipient(turbo, client_account):
    body = {"recipients": ["380671234567", "380501234567"],
            "sms": {"sender": "TestShop", "text": "Ваше замовлення готове", "is_flash": False},
            "start_time": None, "sequence_id": "client-uuid"}
    data = post(turbo, "/message/send.json", body)
    assert (data["response_code"], data["response_status"]) == (800, "SUCCESS_MESSAGE_ACCEPTED")
    items = data["response_result"]
    assert [i["phone"] for i in items] == ["380671234567", "380501234567"]
    for item in items:
        assert set(item) == {"phone", "response_code", "message_id", "response_status"}
        assert (item["response_code"], item["response_status"]) == (0, "OK")
        assert len(item["message_id"]) == 36
        m = Message.objects.get(public_id=item["message_id"])
        assert m.client_id == client_account.pk and m.status == Status.QUEUED and m.sender == "TestShop"


def test_doc_success_example_stop_listed_recipient_gets_404_and_no_id(turbo, client_account):
    stop_list_add(client=client_account, phone="+380501234567")
    data = post(turbo, "/message/send.json", sms(["380671234567", "380501234567"]))
    assert (data["response_code"], data["response_status"]) == (800, "SUCCESS_MESSAGE_ACCEPTED")
    ok, stopped = data["response_result"]
    assert ok["phone"] == "380671234567" and ok["response_code"] == 0 and ok["response_status"] == "OK"
    assert stopped == {"phone": "380501234567", "response_code": 404, "message_id": None,
                       "response_status": "NOT_ALLOWED_NUMBER_STOPLIST"}
    # Charged only for the one that goes.
    hold = LedgerEntry.objects.get(kind="hold")
    assert hold.held_delta.amount == Decimal("0.85")  # one part, one recipient
    assert Message.objects.get(recipient="+380501234567").status == Status.REFUSED


def test_doc_status_example_items_codes_dates_and_every_key(turbo, client_account):
    sent = post(turbo, "/message/send.json", sms(["380671234567", "380501234567"]))["response_result"]
    delivered_id, queued_id = sent[0]["message_id"], sent[1]["message_id"]
    kyiv = lambda *a: datetime(*a, tzinfo=KYIV)  # noqa: E731
    Message.objects.filter(public_id=delivered_id).update(
        status=Status.DELIVERED, submitted_at=kyiv(2020, 1, 29, 10, 19, 21), done_at=kyiv(2020, 1, 29, 10, 21, 32))
    Message.objects.filter(public_id=queued_id).update(updated_at=kyiv(2020, 1, 29, 18, 27, 34))
    other = make_client(name="Other LLC", balance=10)
    SenderNameFactory(client=other, name="OtherShop", approved=True)
    other_key = api_key_create(client=other, name="o")[1]
    other_http = HttpClient(HTTP_HOST=HOST)
    other_http.key = other_key
    foreign_id = post(other_http, "/message/send.json", sms(["380631112233"], sender="OtherShop"))[
        "response_result"][0]["message_id"]

    data = post(turbo, "/message/status.json", {"messages": [foreign_id, delivered_id, queued_id]})
    assert (data["response_code"], data["response_status"]) == (0, "OK")
    refused, delivered, queued = data["response_result"]
    assert all(set(i) == STATUS_ITEM_KEYS for i in data["response_result"])
    assert refused == {"message_id": foreign_id, "response_code": 414, "response_status": "NOT_ALLOWED_MESSAGE_ID",
                       "recipient": None, "sent": None, "updated": None, "status": None, "type": None,
                       "rejected_status": None, "click_time": None}
    assert delivered == {"message_id": delivered_id, "response_code": 0, "response_status": "OK",
                         "recipient": "380671234567", "sent": "2020-01-29 10:19:21", "updated": "2020-01-29 10:21:32",
                         "status": "Delivered", "type": "sms", "rejected_status": None, "click_time": None}
    assert queued == {"message_id": queued_id, "response_code": 0, "response_status": "OK",
                      "recipient": "380501234567", "sent": None, "updated": "2020-01-29 18:27:34",
                      "status": "Queued", "type": "sms", "rejected_status": None, "click_time": None}


def test_doc_balance_example_is_a_number_of_the_available_amount(turbo_host):
    client = make_client(name="Rich LLC", balance=2107)
    wallet_hold(client=client, amount=Decimal("0.58"), key="test-hold", description="a send")  # 2106.42 left
    c = HttpClient(HTTP_HOST=HOST)
    c.key = api_key_create(client=client, name="b")[1]
    assert post(c, "/user/balance.json") == {"response_code": 0, "response_status": "OK",
                                             "response_result": {"balance": 2106.42}}
    r = c.get(f"/user/balance.json?token={c.key}")  # GET works too
    assert r.status_code == 200 and r.content.decode().endswith('{"balance":2106.42}}')


def test_balance_is_available_money_after_holds(turbo):
    post(turbo, "/message/send.json", sms(["380671234567"], text="Hello"))  # 0.85 held
    assert post(turbo, "/user/balance.json")["response_result"] == {"balance": 99.15}


# --- status strings and ids --------------------------------------------------------------------

@pytest.mark.parametrize("status, string", [
    ("scheduled", "Queued"), ("pending_review", "Queued"), ("queued", "Queued"), ("submitting", "Accepted"),
    ("submitted", "Sent"), ("delivered", "Delivered"), ("undelivered", "Undelivered"), ("expired", "Expired"),
    ("rejected", "Rejected"), ("refused", "Rejected"), ("failed", "Failed"), ("cancelled", "Cancelled")])
def test_status_strings_map_every_portal_status(turbo, status, string):
    mid = post(turbo, "/message/send.json", sms(["380671234567"]))["response_result"][0]["message_id"]
    Message.objects.filter(public_id=mid).update(status=status)
    item = post(turbo, "/message/status.json", {"messages": [mid]})["response_result"][0]
    assert item["status"] == string


def test_malformed_and_unknown_ids_are_307_and_414_and_the_envelope_stays_ok(turbo):
    data = post(turbo, "/message/status.json", {"messages": ["not-an-id", str(uuid.uuid4())]})
    assert (data["response_code"], data["response_status"]) == (0, "OK")
    assert [(i["response_code"], i["response_status"]) for i in data["response_result"]] == [
        (307, "INVALID_MESSAGE_ID"), (414, "NOT_ALLOWED_MESSAGE_ID")]


def test_dates_are_kyiv_local_time_in_summer_too(turbo):
    mid = post(turbo, "/message/send.json", sms(["380671234567"]))["response_result"][0]["message_id"]
    utc = datetime(2026, 7, 1, 9, 0, 0, tzinfo=dt_timezone.utc)
    Message.objects.filter(public_id=mid).update(status=Status.SUBMITTED, submitted_at=utc, updated_at=utc)
    item = post(turbo, "/message/status.json", {"messages": [mid]})["response_result"][0]
    assert item["sent"] == "2026-07-01 12:00:00" and item["updated"] == "2026-07-01 12:00:00"  # UTC+3 (EEST)


# --- partial sends and per-recipient codes -----------------------------------------------------

def test_partly_valid_request_is_accepted_for_the_valid_recipients(turbo):
    data = post(turbo, "/message/send.json", sms(["380671234567", "12345", "+380671234567", "0671234567",
                                                  "0501234567", "+380 (63) 111-22-33"]))
    assert (data["response_code"], data["response_status"]) == (802, "SUCCESS_MESSAGE_PARTIAL_ACCEPTED")
    assert [(i["phone"], i["response_code"], i["response_status"]) for i in data["response_result"]] == [
        ("380671234567", 0, "OK"),
        ("12345", 305, "INVALID_PHONE"),
        ("380671234567", 407, "NOT_ALLOWED_RECIPIENT_DUPLICATE"),
        ("380671234567", 407, "NOT_ALLOWED_RECIPIENT_DUPLICATE"),
        ("380501234567", 0, "OK"),
        ("380631112233", 0, "OK")]
    assert [i["message_id"] is None for i in data["response_result"]] == [False, True, True, True, False, False]
    assert Message.objects.count() == 3
    assert LedgerEntry.objects.filter(kind="hold").count() == 1


def test_no_valid_recipient_is_202_with_each_reason_and_nothing_stored(turbo):
    data = post(turbo, "/message/send.json", sms(["12345", "abc"]))
    assert (data["response_code"], data["response_status"]) == (202, "REQUIRED_MESSAGE_RECIPIENT")
    assert [i["response_code"] for i in data["response_result"]] == [305, 305]
    assert Message.objects.count() == 0 and not LedgerEntry.objects.filter(kind="hold").exists()


def test_recipient_no_route_serves_is_406_and_the_rest_goes(turbo, route):
    Route.objects.filter(pk=route.pk).update(countries="UA")
    data = post(turbo, "/message/send.json", sms(["380671234567", "+48512345678"]))
    assert data["response_code"] == 802
    assert [(i["response_code"], i["response_status"]) for i in data["response_result"]] == [
        (0, "OK"), (406, "NOT_ALLOWED_RECIPIENT_COUNTRY")]
    assert list(Message.objects.values_list("recipient", flat=True)) == ["+380671234567"]


# --- refusals of the whole request -------------------------------------------------------------

@pytest.mark.parametrize("body, code, status", [
    ({}, 104, "REQUIRED_CONTENT"),
    ({"recipients": ["380671234567"], "sms": {"text": "Hi"}}, 200, "REQUIRED_MESSAGE_SENDER"),
    ({"recipients": ["380671234567"], "sms": {"sender": "TestShop"}}, 201, "REQUIRED_MESSAGE_TEXT"),
    ({"recipients": ["380671234567"], "sms": {"sender": "TestShop", "text": "   "}}, 201, "REQUIRED_MESSAGE_TEXT"),
    ({"recipients": [], "sms": {"sender": "TestShop", "text": "Hi"}}, 202, "REQUIRED_MESSAGE_RECIPIENT"),
    ({"sms": {"sender": "TestShop", "text": "Hi"}}, 202, "REQUIRED_MESSAGE_RECIPIENT"),
    ({"recipients": ["380671234567"], "sms": {"sender": "NoSuchName", "text": "Hi"}}, 400,
     "NOT_ALLOWED_MESSAGE_SENDER"),
    ({"recipients": ["380671234567"], "sms": {"sender": "TestShop", "text": "Я" * 662}}, 413,
     "NOT_ALLOWED_MESSAGE_TEXT_LENGTH"),
    ({"recipients": ["380671234567"], "sms": {"sender": "TestShop", "text": "Hi"}, "start_time": "05.12.2026"}, 303,
     "INVALID_START_TIME"),
    ({"recipients": ["380671234567"], "sms": {"sender": "TestShop", "text": "Hi"}, "start_time": "2999-01-01 10:00"},
     403, "NOT_ALLOWED_START_TIME"),
    ({"recipients": "380671234567", "sms": "text"}, 300, "INVALID_REQUEST"),
    ({"recipients": ["380671234567"], "sms": {"sender": "TestShop", "text": "Hi\u0000"}}, 300, "INVALID_REQUEST"),
])
def test_refusals_are_http_200_with_their_code(turbo, body, code, status):
    data = post(turbo, "/message/send.json", body)
    assert (data["response_code"], data["response_status"], data["response_result"]) == (code, status, None)
    assert Message.objects.count() == 0


def test_longest_allowed_texts_go_1521_latin_661_cyrillic(turbo):
    for text in ("a" * 1521, "Я" * 661):
        assert post(turbo, "/message/send.json", sms(["380671234567"], text=text))["response_code"] == 800
    for text in ("a" * 1522, "Я" * 662):
        assert post(turbo, "/message/send.json", sms(["380671234567"], text=text))["response_code"] == 413


def test_too_many_recipients_is_405(turbo, settings):
    settings.SMSPORTAL_MAX_RECIPIENTS = 3
    data = post(turbo, "/message/send.json", sms([f"38067000000{i}" for i in range(4)]))
    assert (data["response_code"], data["response_status"]) == (405, "NOT_ALLOWED_RECIPIENTS_LIMIT")


def test_insufficient_funds_is_203_and_nothing_stored(turbo_host, tariff, route):
    client = make_client(name="Poor LLC", balance=1)
    SenderNameFactory(client=client, name="PoorShop", approved=True)
    c = HttpClient(HTTP_HOST=HOST)
    c.key = api_key_create(client=client, name="p")[1]
    data = post(c, "/message/send.json", sms(["380671234567", "380501234567"], sender="PoorShop"))
    assert (data["response_code"], data["response_status"]) == (203, "REQUIRED_BALANCE")
    assert Message.objects.count() == 0


def test_blocked_account_is_106(turbo, client_account):
    type(client_account).objects.filter(pk=client_account.pk).update(status="blocked")
    data = post(turbo, "/message/send.json", sms(["380671234567"]))
    assert (data["response_code"], data["response_status"]) == (106, "REQUIRED_ACTIVE_USER")


def test_broken_json_is_502(turbo):
    r = turbo.post(f"/message/send.json?token={turbo.key}", "{broken", content_type="application/json")
    assert r.status_code == 200
    assert r.json() == {"response_code": 502, "response_status": "FAILED_PARSE_BODY", "response_result": None}


def test_start_time_schedules_the_send_in_kyiv_time(turbo):
    at = (timezone.now() + timezone.timedelta(days=2)).astimezone(KYIV).replace(second=0, microsecond=0)
    data = post(turbo, "/message/send.json", sms(["380671234567"], start_time=at.strftime("%Y-%m-%d %H:%M")))
    assert data["response_code"] == 800
    m = Message.objects.get()
    assert m.status == Status.SCHEDULED and m.send_at == at
    item = post(turbo, "/message/status.json", {"messages": [str(m.public_id)]})["response_result"][0]
    assert item["status"] == "Queued" and item["sent"] is None


def test_top_level_sender_and_text_are_defaults_for_sms(turbo):
    data = post(turbo, "/message/send.json", {"recipients": ["380671234567"], "sender": "TestShop", "text": "Hi"})
    assert data["response_code"] == 800
    assert Message.objects.get().text == "Hi"


# --- sequence_id ------------------------------------------------------------------------------

def test_sequence_id_repeat_is_507_with_the_first_result_and_sends_once(turbo, client_account):
    first = post(turbo, "/message/send.json", sms(["380671234567", "bad"], sequence_id="order-42"))
    assert first["response_code"] == 802
    again = post(turbo, "/message/send.json", sms(["380671234567", "bad"], sequence_id="order-42"))
    assert again == {"response_code": 507, "response_status": "FAILED_DUPLICATE_REQUEST",
                     "response_result": first["response_result"]}
    # Any later request with the id is the same request, whatever its body.
    other = post(turbo, "/message/send.json", sms(["380501234567"], sequence_id="order-42"))
    assert other["response_code"] == 507 and other["response_result"] == first["response_result"]
    assert Message.objects.count() == 1 and LedgerEntry.objects.filter(kind="hold").count() == 1
    assert IdempotencyKey.objects.get().endpoint == "turbosms.send"


def test_sequence_id_is_per_client(turbo, turbo_host):
    post(turbo, "/message/send.json", sms(["380671234567"], sequence_id="same"))
    other = make_client(name="Other LLC", balance=10)
    SenderNameFactory(client=other, name="OtherShop", approved=True)
    c = HttpClient(HTTP_HOST=HOST)
    c.key = api_key_create(client=other, name="o")[1]
    assert post(c, "/message/send.json", sms(["380671234567"], sender="OtherShop", sequence_id="same"))[
        "response_code"] == 800


def test_refused_request_keeps_no_sequence_id(turbo):
    assert post(turbo, "/message/send.json", sms(["380671234567"], sender="Nope", sequence_id="s1"))[
        "response_code"] == 400
    assert post(turbo, "/message/send.json", sms(["380671234567"], sequence_id="s1"))["response_code"] == 800


def test_sequence_id_over_200_characters_is_300(turbo):
    assert post(turbo, "/message/send.json", sms(["380671234567"], sequence_id="x" * 201))["response_code"] == 300


# --- auth styles ------------------------------------------------------------------------------

def _balance(c, path="/user/balance.json", **kwargs):
    r = c.post(path, **kwargs)
    assert r.status_code == 200
    return r.json()["response_code"], r.json()["response_status"]


def test_token_in_query_form_bearer_and_basic(turbo_host, key):
    c = HttpClient(HTTP_HOST=HOST)
    assert _balance(c, f"/user/balance.json?token={key}") == (0, "OK")
    assert _balance(c, data={"token": key}) == (0, "OK")  # form field
    assert _balance(c, HTTP_AUTHORIZATION=f"Bearer {key}") == (0, "OK")
    assert _balance(c, HTTP_AUTHORIZATION=f"Basic {key}") == (0, "OK")


def test_form_fields_carry_a_send(turbo_host, key):
    c = HttpClient(HTTP_HOST=HOST)
    r = c.post("/message/send.json", {"token": key, "recipients[]": ["380671234567", "0501234567"],
                                      "sms[sender]": "TestShop", "sms[text]": "Привіт"})
    assert r.status_code == 200 and r.json()["response_code"] == 800
    assert sorted(Message.objects.values_list("recipient", flat=True)) == ["+380501234567", "+380671234567"]


def test_get_parameters_carry_a_status_request(turbo):
    mid = post(turbo, "/message/send.json", sms(["380671234567"]))["response_result"][0]["message_id"]
    r = turbo.get(f"/message/status.json?token={turbo.key}&messages[]={mid}")
    assert r.status_code == 200 and r.json()["response_result"][0]["status"] == "Queued"


@pytest.mark.parametrize("auth, code", [
    ({}, (103, "REQUIRED_TOKEN")),
    ({"HTTP_AUTHORIZATION": "Bearer sp_unknown"}, (301, "INVALID_TOKEN")),
    ({"HTTP_AUTHORIZATION": "Digest abc"}, (301, "INVALID_TOKEN")),
])
def test_missing_or_wrong_token(turbo_host, auth, code):
    assert _balance(HttpClient(HTTP_HOST=HOST), **auth) == code


def test_revoked_key_is_refused(turbo_host, client_account):
    api_key, raw = api_key_create(client=client_account, name="old")
    api_key_revoke(client=client_account, key_id=api_key.pk)
    assert _balance(HttpClient(HTTP_HOST=HOST), HTTP_AUTHORIZATION=f"Bearer {raw}") == (301, "INVALID_TOKEN")


# --- host routing -----------------------------------------------------------------------------

def test_facade_answers_at_the_root_of_its_host_only(turbo_host, key, client):
    on_host = HttpClient(HTTP_HOST=HOST)
    assert on_host.post(f"/user/balance.json?token={key}").json()["response_code"] == 0
    assert on_host.post("/message/send", json.dumps({}), content_type="application/json",
                        HTTP_AUTHORIZATION=f"Bearer {key}").json()["response_code"] == 104  # .json optional
    # The site is not served on the facade's host; its paths answer the envelope with a 404.
    r = on_host.get("/api/v1/balance/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert r.status_code == 404 and r.json()["response_code"] == 300
    r = on_host.post("/file/add.json")
    assert r.status_code == 404 and set(r.json()) == ENVELOPE_KEYS
    # …and the facade is not served on the site's host.
    assert client.post(f"/user/balance.json?token={key}").status_code == 404
    assert client.get("/api/v1/balance/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200


def test_facade_host_with_a_port(turbo_host, key):
    c = HttpClient(HTTP_HOST=f"{HOST}:8443")
    assert c.post(f"/user/balance.json?token={key}").json()["response_code"] == 0


def test_key_with_an_ip_allow_list_is_refused_from_elsewhere_with_105(turbo_host, client_account):
    _key, raw = api_key_create(client=client_account, name="shop", allowed_ips="203.0.113.7")
    assert _balance(HttpClient(HTTP_HOST=HOST), HTTP_AUTHORIZATION=f"Bearer {raw}") == (105, "REQUIRED_AUTH")
    assert _balance(HttpClient(HTTP_HOST=HOST, REMOTE_ADDR="203.0.113.7"),
                    HTTP_AUTHORIZATION=f"Bearer {raw}") == (0, "OK")


def test_placeholders_personalize_with_the_phone_and_others_are_304(turbo):
    assert post(turbo, "/message/send.json", sms(["0671234567"], text="Your number {phone}"))["response_code"] == 800
    assert Message.objects.get().text == "Your number +380671234567"
    data = post(turbo, "/message/send.json", sms(["0501234567"], text="Hello {name}"))
    assert (data["response_code"], data["response_status"]) == (304, "INVALID_MESSAGE_TEXT")
    assert Message.objects.count() == 1


def test_refused_text_is_412(turbo):
    data = post(turbo, "/message/send.json", sms(["0501234567"], text="Your card has been blocked, verify your card now"))
    assert (data["response_code"], data["response_status"]) == (412, "NOT_ALLOWED_MESSAGE_TEXT")
    assert Message.objects.count() == 0


def test_facade_send_costs_the_same_sql_as_the_api_send(turbo, api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def api_send(phone):
        r = api.post("/api/v1/messages/", {"sender": "TestShop", "recipients": [phone], "text": "Hi"}, format="json")
        assert r.status_code == 201

    def facade_send(phone):
        r = turbo.post("/message/send.json", json.dumps(sms([phone], text="Hi")), content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {turbo.key}")
        assert r.json()["response_code"] == 800

    api_send("380670000001")
    facade_send("380670000002")  # warm caches
    with CaptureQueriesContext(connection) as via_api:
        api_send("380670000003")
    with CaptureQueriesContext(connection) as via_facade:
        facade_send("380670000004")
    assert len(via_facade.captured_queries) == len(via_api.captured_queries), (
        [q["sql"][:80] for q in via_facade.captured_queries], [q["sql"][:80] for q in via_api.captured_queries])


# --- Viber and hybrid Viber → SMS ---------------------------------------------------------------

DOC_VIBER = {"sender": "ViberShop", "text": "ViberShop: ваше замовлення готове", "ttl": 3600,
             "image_url": "https://example.com/a.png", "caption": "Open", "action": "https://example.com",
             "count_clicks": 1, "is_transactional": 0}


def _welcomed(client, *phones):
    viber_send(client=client, recipients=list(phones), request=req())
    consent(client, *phones)


def _viber_messages(**kw):
    return list(Message.objects.filter(channel="viber", **kw).exclude(viber__viber_type="welcome").order_by("id"))


def test_doc_send_example_hybrid_goes_on_viber_with_the_sms_as_fallback(turbo, viber_client):
    _welcomed(viber_client, KYIVSTAR, VODAFONE)
    body = {"recipients": ["380671234567", "380661234567"],
            "sms": {"sender": "TestShop", "text": "Ваше замовлення готове", "is_flash": False},
            "viber": DOC_VIBER, "start_time": "2026-12-05 10:00", "sequence_id": "client-uuid"}
    data = post(turbo, "/message/send.json", body)
    assert (data["response_code"], data["response_status"]) == (800, "SUCCESS_MESSAGE_ACCEPTED")
    assert [(i["phone"], i["response_code"], i["response_status"]) for i in data["response_result"]] == [
        ("380671234567", 0, "OK"), ("380661234567", 0, "OK")]
    sent = _viber_messages()
    assert [str(m.public_id) for m in sent] == [i["message_id"] for i in data["response_result"]]
    detail = ViberDetail.objects.get(message=sent[0])
    assert (detail.viber_type, detail.ttl, detail.image_url, detail.button_caption, detail.button_url) == (
        "advertising", 3600, "https://example.com/a.png", "Open", "https://example.com")
    assert (detail.fallback_sender, detail.fallback_text) == ("TestShop", "Ваше замовлення готове")
    assert sent[0].sender == "ViberShop" and sent[0].status in (Status.QUEUED, Status.SCHEDULED)  # sending hours
    # The sequence_id again: 507 with the first result, nothing more stored.
    again = post(turbo, "/message/send.json", body)
    assert (again["response_code"], again["response_result"]) == (507, data["response_result"])
    assert len(_viber_messages()) == 2


def test_viber_only_send_is_a_viber_message_without_fallback(turbo, viber_client):
    _welcomed(viber_client, KYIVSTAR)
    data = post(turbo, "/message/send.json", {"recipients": ["0671234567"], "viber": DOC_VIBER})
    assert data["response_code"] == 800
    (m,) = _viber_messages()
    assert str(m.public_id) == data["response_result"][0]["message_id"]
    assert (m.viber.fallback_sender, m.viber.fallback_text) == ("", "")
    assert not Message.objects.filter(channel="sms").exists()


def test_viber_types_transactional_welcome_and_test(turbo, viber_client):
    data = post(turbo, "/message/send.json", {"recipients": [KYIVSTAR], "viber": {
        "sender": "ViberShop", "text": "Welcome! Questions: +380441234567", "type": "welcome"}})
    assert data["response_code"] == 800
    data = post(turbo, "/message/send.json", {"recipients": [KYIVSTAR], "viber": {
        "sender": "ViberShop", "text": "Your order 42 is ready. Info: +380441234567", "is_transactional": 1}})
    assert data["response_code"] == 800
    m = Message.objects.get(public_id=data["response_result"][0]["message_id"])
    assert m.viber.viber_type == "transactional" and m.message_type == "service"
    post(turbo, "/message/send.json", {"recipients": [OWN_PHONE], "viber": {
        "sender": "ViberShop", "text": "Hi +380441234567", "type": "welcome"}})
    data = post(turbo, "/message/send.json", {"recipients": [OWN_PHONE], "viber": {
        "sender": "SMSPortal", "text": "Тест +380441234567"}})
    assert data["response_code"] == 800
    assert Message.objects.get(public_id=data["response_result"][0]["message_id"]).viber.viber_type == "test"


def test_viber_per_recipient_refusals_welcome_consent_stop_list_and_bad_numbers(turbo, viber_client):
    _welcomed(viber_client, KYIVSTAR)
    viber_send(client=viber_client, recipients=[VODAFONE], request=req())  # welcomed, no consent
    stop_list_add(client=viber_client, phone="+380931234567")
    consent(viber_client, "+380501234567")  # consent, but never welcomed
    data = post(turbo, "/message/send.json", {"recipients": [
        "380671234567", "380661234567", "380501234567", "380931234567", "12", "+380671234567"], "viber": DOC_VIBER})
    assert (data["response_code"], data["response_status"]) == (802, "SUCCESS_MESSAGE_PARTIAL_ACCEPTED")
    assert [(i["response_code"], i["response_status"]) for i in data["response_result"]] == [
        (0, "OK"), (424, "NOT_ALLOWED_PERMISSION"), (421, "NOT_ALLOWED_TRAFFIC_TYPE"),
        (404, "NOT_ALLOWED_NUMBER_STOPLIST"), (305, "INVALID_PHONE"), (407, "NOT_ALLOWED_RECIPIENT_DUPLICATE")]
    assert all(i["message_id"] is None for i in data["response_result"][1:])


def test_viber_no_recipient_left_is_202(turbo, viber_client):
    consent(viber_client, "+380501234567")
    data = post(turbo, "/message/send.json", {"recipients": ["380501234567"], "viber": DOC_VIBER})
    assert data["response_code"] == 202
    assert data["response_result"][0]["response_code"] == 421  # welcome_required


@pytest.mark.parametrize(("viber", "code", "status"), [
    ({"caption": "x" * 31}, 408, "NOT_ALLOWED_BUTTON_TEXT_LENGTH"),
    ({"is_transactional": 1, "text": "Your order 42 is ready. Info: +380441234567"}, 410,
     "NOT_ALLOWED_MESSAGE_TRANSACTION_CONTENT"),
    ({"text": "x" * 1001, "image_url": "", "caption": "", "action": ""}, 413, "NOT_ALLOWED_MESSAGE_TEXT_LENGTH"),
    ({"is_transactional": 1, "text": "Something else +380441234567", "image_url": "", "caption": "", "action": ""},
     416, "NOT_ALLOWED_MESSAGE_TRANSACTION_PATTERN"),
    ({"image_url": "https://example.com/a.gif"}, 402, "NOT_ALLOWED_MESSAGE_IMAGE"),
    ({"ttl": 10}, 409, "NOT_ALLOWED_MESSAGE_TTL"),
    ({"ttl": "soon"}, 306, "INVALID_TTL"),
    ({"action": ""}, 206, "REQUIRED_MESSAGE_ACTION"),
    ({"caption": ""}, 205, "REQUIRED_MESSAGE_CAPTION"),
    ({"text": "", "image_url": ""}, 201, "REQUIRED_MESSAGE_TEXT"),
    ({"sender": ""}, 200, "REQUIRED_MESSAGE_SENDER"),
    ({"sender": "TestShop"}, 400, "NOT_ALLOWED_MESSAGE_SENDER"),
    ({"type": "session"}, 300, "INVALID_REQUEST"),
])
def test_viber_whole_request_refusals_have_the_docs_viber_codes(turbo, viber_client, viber, code, status):
    _welcomed(viber_client, KYIVSTAR)
    before = Message.objects.count()
    data = post(turbo, "/message/send.json", {"recipients": [KYIVSTAR], "viber": {**DOC_VIBER, **viber},
                                              "sequence_id": "s-1"})
    assert (data["response_code"], data["response_status"], data["response_result"]) == (code, status, None)
    assert Message.objects.count() == before
    assert not IdempotencyKey.objects.filter(key="s-1").exists()


def test_viber_shared_sender_is_for_tests_to_own_phones_only_400_and_425(turbo, viber_client):
    data = post(turbo, "/message/send.json", {"recipients": [KYIVSTAR], "viber": {
        "sender": "SMSPortal", "text": "Тест +380441234567"}})
    assert data["response_code"] == 425
    data = post(turbo, "/message/send.json", {"recipients": [OWN_PHONE], "viber": {
        "sender": "SMSPortal", "text": "Your order 42 is ready. Info: +380441234567", "is_transactional": 1}})
    assert (data["response_code"], data["response_status"]) == (400, "NOT_ALLOWED_MESSAGE_SENDER")


def test_viber_not_enabled_is_424_and_hybrid_needs_an_sms_text(turbo, viber_client):
    data = post(turbo, "/message/send.json", {"recipients": [KYIVSTAR], "viber": DOC_VIBER,
                                              "sms": {"sender": "TestShop"}})
    assert data["response_code"] == 201
    type(viber_client).objects.filter(pk=viber_client.pk).update(viber_enabled=False)
    data = post(turbo, "/message/send.json", {"recipients": [KYIVSTAR], "viber": DOC_VIBER})
    assert (data["response_code"], data["response_status"]) == (424, "NOT_ALLOWED_PERMISSION")


def test_status_of_viber_messages_read_clicked_undelivered_and_fallen_back(turbo, viber_client):
    _welcomed(viber_client, KYIVSTAR, VODAFONE, OWN_PHONE)
    ids = [i["message_id"] for i in post(turbo, "/message/send.json", {
        "recipients": [KYIVSTAR, VODAFONE, OWN_PHONE], "viber": DOC_VIBER,
        "sms": {"sender": "TestShop", "text": "Ваше замовлення готове"}})["response_result"]]
    kyiv = lambda *a: datetime(*a, tzinfo=KYIV)  # noqa: E731
    read, undelivered, fallen = (Message.objects.get(public_id=i) for i in ids)
    Message.objects.filter(pk=read.pk).update(status=Status.DELIVERED, submitted_at=kyiv(2026, 12, 5, 10, 0, 1),
                                              done_at=kyiv(2026, 12, 5, 10, 0, 5))
    ViberDetail.objects.filter(message=read).update(seen_at=kyiv(2026, 12, 5, 10, 1), clicked_at=kyiv(2026, 12, 5, 10, 2))
    Message.objects.filter(pk=undelivered.pk).update(status=Status.UNDELIVERED, done_at=kyiv(2026, 12, 5, 10, 3))
    ViberDetail.objects.filter(message=undelivered).update(reason="blocked")
    sms_leg = Message.objects.create(client=viber_client, batch_id=uuid.uuid4(), sender="TestShop", recipient=OWN_PHONE, text="x", segments=1, encoding="gsm7",
                                     status=Status.DELIVERED, channel="sms", price=fallen.price,
                                     submitted_at=kyiv(2026, 12, 5, 10, 4), done_at=kyiv(2026, 12, 5, 10, 5))
    Message.objects.filter(pk=fallen.pk).update(status=Status.UNDELIVERED)
    ViberDetail.objects.filter(message=fallen).update(reason="not_viber_user", fallback_message=sms_leg)

    items = post(turbo, "/message/status.json", {"messages": ids})["response_result"]
    assert all(set(i) == STATUS_ITEM_KEYS for i in items)
    assert items[0] == {"message_id": ids[0], "response_code": 0, "response_status": "OK",
                        "recipient": "380671234567", "sent": "2026-12-05 10:00:01", "updated": "2026-12-05 10:00:05",
                        "status": "Read", "type": "viber", "rejected_status": None, "click_time": "2026-12-05 10:02:00"}
    assert (items[1]["status"], items[1]["type"], items[1]["rejected_status"], items[1]["click_time"]) == (
        "Undelivered", "viber", "blocked", None)
    assert (items[2]["status"], items[2]["type"], items[2]["rejected_status"], items[2]["sent"]) == (
        "Delivered", "sms", "not_viber_user", "2026-12-05 10:04:00")
