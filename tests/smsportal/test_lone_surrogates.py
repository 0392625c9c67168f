"""A lone UTF-16 surrogate (`"\\ud800"`) in any string of any API body is a 400 parse_error from the
JSON parser (smsportal.jsonsafe), never a 500 from wherever the text was encoded later. Swept over
every POST/PUT endpoint and every string in a valid body, object keys too."""
import hashlib
import hmac
import json
from urllib.parse import quote

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from billing.models import Invoice
from messaging.models import Campaign, ContactGroup, Message
from smsportal.jsonsafe import has_lone_surrogate, json_loads
from tests.accounts.test_viewer_writes import READS, WRITES, website_objects
from tests.smsportal.test_api_bad_input import assert_json_4xx

pytestmark = pytest.mark.django_db

PHONE = "+380671234567"
LONE = "\ud800"
BODIES = [
    ("POST", "/api/v1/messages/", {"sender": "TestShop", "recipients": [PHONE], "text": "hi", "type": "service",
                                   "send_at": "2030-01-01T10:00:00Z", "ttl": 3600,
                                   "callback_url": "https://example.com/hook"}),
    ("POST", "/api/v1/messages/estimate/", {"sender": "TestShop", "text": "hi {name}", "type": "service",
                                            "recipients": [PHONE, {"phone": PHONE, "name": "Ivan"}]}),
    ("POST", "/api/v1/campaigns/", {"name": "Spring", "sender": "TestShop", "text": "hi {name}", "type": "service",
                                    "recipients": [{"phone": PHONE, "name": "Ivan"}],
                                    "send_at": "2030-01-01T10:00:00Z", "callback_url": "https://example.com/hook"}),
    ("POST", "/api/v1/contact-groups/", {"name": "VIP", "contacts": [PHONE, {"phone": PHONE, "name": "Ivan"}]}),
    ("POST", "/api/v1/contact-groups/{group}/contacts/", {"contacts": [PHONE, {"phone": PHONE, "name": "Ivan"}]}),
    ("POST", "/api/v1/invoices/", {"amount": "100"}),
    ("POST", "/api/v1/senders/", {"name": "NewShop", "channel": "sms", "comment": "our shop"}),
    ("PUT", "/api/v1/webhook/", {"url": "https://example.com/hook", "events": ["delivered"]}),
    # These two take no body: one sent is never parsed, so nothing in it can fail.
    ("POST", "/api/v1/campaigns/{campaign}/cancel/", {"reason": "changed my mind"}),
    ("POST", "/api/v1/webhook/secret/", {"note": "rotate"}),
]
IGNORE_BODY = {"/api/v1/campaigns/{campaign}/cancel/", "/api/v1/webhook/secret/"}


def variants(body):
    """(label, body with one string, or one key, replaced by a lone surrogate) for every string."""
    if isinstance(body, str):
        yield "value", LONE
        yield "value+text", body + LONE
    elif isinstance(body, list):
        for i, item in enumerate(body):
            for label, bad in variants(item):
                yield f"[{i}]{label}", body[:i] + [bad] + body[i + 1:]
    elif isinstance(body, dict):
        for key, item in body.items():
            for label, bad in variants(item):
                yield f".{key}{label}", {**body, key: bad}
            yield f".{key}(key)", {(k + LONE if k == key else k): v for k, v in body.items()}


CASES = [(method, path, label, bad) for method, path, body in BODIES for label, bad in variants(body)]


@pytest.fixture
def api(api):
    api.raise_request_exception = False  # a server error must show as the 500 a client would get
    return api


@pytest.mark.parametrize("method,path,label,body", CASES, ids=[f"{m} {p} {lab}" for m, p, lab, _ in CASES])
def test_lone_surrogate_in_any_string_of_any_api_body_is_400_parse_error(api, method, path, label, body):
    ok = {"sender": "TestShop", "recipients": [PHONE], "text": "hi", "send_at": "2030-01-01T10:00:00Z"}
    campaign = api.post("/api/v1/campaigns/", ok, format="json").json()["id"]
    group = api.post("/api/v1/contact-groups/", {"name": "g", "contacts": [PHONE]}, format="json").json()["id"]
    raw = json.dumps(body).encode()  # ensure_ascii: the surrogate travels as the escape "\ud800"
    assert b"\\ud800" in raw
    url = path.format(campaign=campaign, group=group)
    r = api.generic(method, url, raw, content_type="application/json")
    if path in IGNORE_BODY:
        assert r.status_code in (200, 201) and isinstance(r.json(), dict), r.content[:300]
        return
    body = assert_json_4xx(r, 400, "parse_error")
    assert "surrogate" in body["detail"]
    assert Message.objects.count() == 1 and Campaign.objects.count() == 1 and ContactGroup.objects.count() == 1
    assert not Invoice.objects.exists()


def test_type_lone_surrogate_as_the_operator_sent_it(api):
    r = api.generic("POST", "/api/v1/messages/", b'{"sender": "TestShop", "recipients": ["+380671234567"], '
                                                 b'"text": "hi", "type": "\\ud800"}', content_type="application/json")
    assert_json_4xx(r, 400, "parse_error")
    assert not Message.objects.exists()


def test_surrogate_pairs_are_one_character_and_pass(api):
    r = api.generic("POST", "/api/v1/messages/", b'{"sender": "TestShop", "recipients": ["+380671234567"], '
                                                 b'"text": "hi \\ud83d\\ude00"}', content_type="application/json")
    assert r.status_code == 201, r.content
    assert Message.objects.get().text == "hi \U0001F600"


def test_payments_callback_lone_surrogate_is_400_and_credits_nothing(api, settings):
    settings.BILLING_PAYMENT_CALLBACK_SECRET = "secret"
    number = api.post("/api/v1/invoices/", {"amount": "10"}, format="json").json()["number"]
    c = APIClient()
    c.raise_request_exception = False
    for body in ({"invoice_number": number, "amount": "10", "payment_id": "p" + LONE},
                 {"invoice_number": number + LONE, "amount": "10", "payment_id": "p"}):
        raw = json.dumps(body).encode()
        r = c.generic("POST", "/api/v1/payments/callback/", raw, content_type="application/json",
                      HTTP_X_SIGNATURE=hmac.new(b"secret", raw, hashlib.sha256).hexdigest())
        assert_json_4xx(r, 400, "invalid")
    assert Invoice.objects.get(number=number).status == Invoice.Status.ISSUED


def test_json_loads_walks_deep_values_without_recursion():
    deep = "[" * 50_000 + '"\\udc00"' + "]" * 50_000
    value = json.loads("[" * 500 + '"x"' + "]" * 500)
    assert not has_lone_surrogate(value)
    with pytest.raises(ValueError, match="surrogate"):
        json_loads(deep) if _decodes(deep) else json_loads('[[{"a": ["\\udc00"]}]]')


def _decodes(text):
    try:
        json.loads(text)
    except RecursionError:
        return False
    return True


# --- the website: forms and query strings -----------------------------------------------------------
# Form and query input reaches a view through Django's decoding, which replaces bytes that are not
# UTF-8 (a surrogate's UTF-8 form included) with U+FFFD, so no view sees a lone surrogate. Swept over
# every writing route of the website and the pages that take a query, as the owner.

SURROGATE_FORMS = [(name, field) for name, (_args, data) in sorted(WRITES.items()) for field in data]
ENCODED = "%ED%A0%80"  # \ud800 as (ill-formed) UTF-8, percent-encoded


@pytest.fixture
def owner(web):
    web.raise_request_exception = False
    return web


@pytest.fixture
def objects(client_account):
    return website_objects(client_account)


def _form_url(name, args, objects):
    return reverse(name, args=[objects[a] for a in args])


@pytest.mark.parametrize("name,field", SURROGATE_FORMS, ids=[f"{n}.{f}" for n, f in SURROGATE_FORMS])
def test_website_form_field_with_a_surrogate_is_never_a_500(owner, objects, name, field):
    args, data = WRITES[name]
    url = _form_url(name, args, objects)
    encoded = "&".join(f"{k}={ENCODED if k == field else quote(v)}" for k, v in data.items())
    r = owner.generic("POST", url, encoded.encode(), content_type="application/x-www-form-urlencoded")
    assert r.status_code < 500, (name, field, r.status_code)
    r = owner.post(url, {**data, field: b"\xed\xa0\x80"})  # multipart, the raw bytes
    assert r.status_code < 500, (name, field, r.status_code)


@pytest.mark.parametrize("name", sorted(READS))
def test_website_query_with_a_surrogate_is_never_a_500(owner, objects, name):
    url = _form_url(name, READS[name], objects)
    query = "&".join(f"{k}={ENCODED}" for k in ("q", "status", "kind", "date_from", "date_to", "page", "by",
                                                 "from", "to", "phone", "after", "type"))
    r = owner.get(f"{url}?{query}")
    assert r.status_code < 500, (name, r.status_code)


@pytest.mark.parametrize("field", ["name", "channel", "comment"])
def test_senders_post_form_bodies_with_a_surrogate_are_never_a_500(api, field):
    """The one API endpoint that also takes multipart and urlencoded bodies (a proof file): Django's
    form decoding replaces the ill-formed bytes, so the name is refused as a name, not a 500."""
    data = {"name": "NewShop", "channel": "sms", "comment": "ours"}
    r = api.post("/api/v1/senders/", {**data, field: b"\xed\xa0\x80"}, format="multipart")
    assert r.status_code < 500 and isinstance(r.json().get("code", ""), str), r.content[:300]
    encoded = "&".join(f"{k}={'%ED%A0%80' if k == field else v}" for k, v in data.items())
    r = api.generic("POST", "/api/v1/senders/", encoded.encode(), content_type="application/x-www-form-urlencoded")
    assert r.status_code < 500, r.content[:300]
