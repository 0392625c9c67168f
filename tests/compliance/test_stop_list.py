"""The stop lists (R-CMP-05, R-CMP-12): the global list staff keep (nothing goes to its numbers
from any client), and a client's own list on the website and the API: add, remove, import, export.
A number that replied STOP leaves the list only after a consent given after the opt-out."""
import datetime
import io

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from accounts.services import api_key_create
from compliance.models import OptOut
from compliance.selectors import opted_out_phones_cached, opted_out_sql, recipient_gate
from compliance.services import consent_record, global_opt_out_add, global_opt_out_remove, opt_out_record
from messaging.models import Message
from messaging.services import message_send, messages_release_due
from messaging.status import Status
from smsportal.cache import Versions
from tests.factories import SenderNameFactory, make_client

pytestmark = pytest.mark.django_db
PHONE = "+380671234567"
OTHER = "+380501234567"


def _sql_stopped(client, phone) -> bool:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {opted_out_sql(client='%(client)s', phone='%(phone)s::text')}",
                    {"client": client.pk, "phone": phone})
        return cur.fetchone()[0]


def _api(client) -> APIClient:
    _key, raw = api_key_create(client=client, name="tests")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def _csv(text: str, name="list.csv"):
    f = io.BytesIO(text.encode() if isinstance(text, str) else text)
    f.name = name
    return f


# --- the global stop list -------------------------------------------------------------------------

def test_r_cmp_05_global_stop_list_refuses_every_client(client_account):
    other = make_client(name="Other LLC")
    assert recipient_gate(client=client_account).refusal(PHONE) is None
    assert not _sql_stopped(client_account, PHONE) and not _sql_stopped(other, PHONE)

    entry, created = global_opt_out_add(phone="0671234567", note="asked our support")
    assert created and entry.phone == PHONE and entry.client_id is None

    for client in (client_account, other):
        assert recipient_gate(client=client).refusal(PHONE)[0] == "opted_out"  # the cache saw the new entry
        assert recipient_gate(client=client).refusal(OTHER) is None
        assert _sql_stopped(client, PHONE) and not _sql_stopped(client, OTHER)
        assert PHONE in opted_out_phones_cached(client=client)
    # a client's consent does not lift the provider's stop
    consent_record(client=client_account, phone=PHONE)
    assert recipient_gate(client=client_account).refusal(PHONE)[0] == "opted_out"
    assert _sql_stopped(client_account, PHONE)
    # nor is the entry one of the client's: it does not show in its list
    assert not OptOut.objects.filter(client=client_account).exists()

    assert global_opt_out_remove(phone=PHONE)
    assert recipient_gate(client=other, versions=Versions(other.pk)).refusal(PHONE) is None
    assert not _sql_stopped(other, PHONE)
    assert AuditEvent.objects.filter(code="compliance.global_stop_list.added", target=PHONE).exists()
    assert AuditEvent.objects.filter(code="compliance.global_stop_list.removed", target=PHONE).exists()


def test_r_cmp_05_global_stop_after_accept_refuses_the_scheduled_message(client_account):
    later = timezone.now() + datetime.timedelta(hours=1)
    sent = message_send(client=client_account, sender="TestShop", text="Hello", recipients=[PHONE, OTHER],
                        send_at=later)
    global_opt_out_add(phone=PHONE)
    messages_release_due(now=later + datetime.timedelta(seconds=1))
    by_phone = {m.recipient: m for m in Message.objects.filter(pk__in=[m.pk for m in sent.messages])}
    assert (by_phone[PHONE].status, by_phone[PHONE].error_code) == (Status.REFUSED, "opted_out")
    assert by_phone[OTHER].status == Status.QUEUED


def test_r_cmp_05_global_entries_in_admin(admin_client):
    url = reverse("admin:compliance_globaloptout_add")
    response = admin_client.post(url, {"phone": "0671234567", "source": "provider", "note": "call"})
    assert response.status_code == 302
    assert OptOut.objects.get(client=None).phone == PHONE
    assert admin_client.get(reverse("admin:compliance_globaloptout_changelist")).status_code == 200
    bad = admin_client.post(url, {"phone": "hello", "source": "provider"})
    assert bad.status_code == 200 and b"Enter a phone number" in bad.content


def test_r_cmp_05_staff_add_to_a_client_list_in_admin(admin_client, client_account):
    response = admin_client.post(reverse("admin:compliance_optout_add"),
                                 {"client": client_account.pk, "phone": "0671234567", "note": "by letter"})
    assert response.status_code == 302
    entry = OptOut.objects.get(client=client_account)
    assert (entry.phone, entry.source) == (PHONE, "staff")
    assert AuditEvent.objects.filter(code="compliance.stop_list.added", client=client_account).exists()


# --- the client's list on the website --------------------------------------------------------------

def test_r_cmp_05_web_add_search_remove_export(web):
    r = web.post(reverse("stop_list_add"), {"phone": "067 123 45 67", "note": "asked by phone"})
    assert r.status_code == 302
    assert OptOut.objects.get(client=web.account).source == "client"
    page = web.get(reverse("stop_list"), {"q": "4567"})
    assert page.status_code == 200 and PHONE.encode() in page.content and b"Add a number" in page.content
    assert PHONE.encode() not in web.get(reverse("stop_list"), {"q": "999"}).content

    export = web.get(reverse("stop_list_export"))
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    body = export.content.decode()
    assert body.splitlines()[0] == "phone,source,note,opted_out_at,consent_after" and PHONE in body

    r = web.post(reverse("stop_list_remove"), {"phone": PHONE})
    assert r.status_code == 302 and not OptOut.objects.filter(client=web.account).exists()
    assert AuditEvent.objects.filter(code="compliance.stop_list.removed", client=web.account, target=PHONE).exists()


def test_r_cmp_05_web_add_a_bad_number_is_a_message_not_a_500(web):
    r = web.post(reverse("stop_list_add"), {"phone": "hello"}, follow=True)
    assert r.status_code == 200 and b"Enter a phone number" in r.content
    assert not OptOut.objects.exists()


def test_r_cmp_05_web_import_reports_bad_rows(web):
    r = web.post(reverse("stop_list_import"),
                 {"file": _csv("phone,note\n0671234567,one\n+380501234567,\nnot a number,x\n0671234567,again\n")},
                 follow=True)
    assert r.status_code == 200
    assert set(OptOut.objects.filter(client=web.account).values_list("phone", flat=True)) == {PHONE, OTHER}
    assert b"Import report" in r.content and b"not a phone number" in r.content


@pytest.mark.parametrize("content, reason", [
    (b"", b"empty"),
    (b"PK\x03\x04\x00\x00binary", b"not a CSV file"),
    ("name,city\nOlha,Kyiv\n".encode(), b"first column must hold phone numbers"),
])
def test_r_cmp_05_web_bad_csv_is_a_clear_error(web, content, reason):
    r = web.post(reverse("stop_list_import"), {"file": _csv(content)}, follow=True)
    assert r.status_code == 200 and reason in r.content
    assert not OptOut.objects.exists()


def test_r_cmp_05_web_removal_after_stop_reply_needs_a_later_consent(web):
    opt_out_record(client=web.account, phone=PHONE, source="reply")
    r = web.post(reverse("stop_list_remove"), {"phone": PHONE}, follow=True)
    assert r.status_code == 200 and b"new consent" in r.content
    assert OptOut.objects.filter(client=web.account, phone=PHONE).exists()


def test_r_cmp_05_viewer_cannot_change_the_list(client, client_account):
    from tests.factories import UserFactory
    viewer = UserFactory(client=client_account, role="viewer")
    client.force_login(viewer)
    page = client.get(reverse("stop_list"))
    assert page.status_code == 200 and b"Add a number" not in page.content  # not offered
    assert b"Record a consent" not in client.get(reverse("consent_list")).content
    assert client.post(reverse("stop_list_add"), {"phone": PHONE}).status_code == 403
    assert not OptOut.objects.exists()


# --- the client's list on the API ------------------------------------------------------------------

def test_r_cmp_05_api_add_list_remove_import_export(api):
    r = api.post("/api/v1/stop-list/", {"phone": "0671234567", "note": "asked"}, format="json")
    assert r.status_code == 201 and r.json()["phone"] == PHONE and r.json()["source"] == "client"
    assert api.post("/api/v1/stop-list/", {"phone": PHONE}, format="json").status_code == 200  # already there

    r = api.post("/api/v1/stop-list/import/", {"file": _csv("+380501234567\n0631112233\nbad\n")}, format="multipart")
    assert r.status_code == 200, r.content
    assert r.json() | {"errors": []} == {"rows": 3, "added": 2, "existing": 0, "invalid": 1, "errors": []}

    page = api.get("/api/v1/stop-list/", {"page_size": 2})
    assert page.status_code == 200
    assert (page.json()["count"], page.json()["pages"], len(page.json()["results"])) == (3, 2, 2)
    assert page.json()["next"] and api.get("/api/v1/stop-list/", {"page": 5}).status_code == 404
    assert [e["phone"] for e in api.get("/api/v1/stop-list/", {"q": "1112233"}).json()["results"]] == ["+380631112233"]

    export = api.get("/api/v1/stop-list/export.csv")
    assert export.status_code == 200 and export.content.decode().count("\n") == 4

    assert api.delete(f"/api/v1/stop-list/{OTHER}/").status_code == 204
    r = api.delete(f"/api/v1/stop-list/{OTHER}/")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert api.delete("/api/v1/stop-list/garbage/").status_code in (400, 404)


def test_r_cmp_05_api_bad_csv_is_a_400(api):
    r = api.post("/api/v1/stop-list/import/", {"file": _csv(b"\x00\x01\x02")}, format="multipart")
    assert r.status_code == 400 and r.json()["code"] == "invalid_file"
    r = api.post("/api/v1/stop-list/", {"phone": "12"}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "invalid_phone"


def test_r_cmp_05_api_removal_after_stop_reply_refused_until_new_consent(api):
    opt_out_record(client=api.account, phone=PHONE, source="reply")
    r = api.delete(f"/api/v1/stop-list/{PHONE}/")
    assert r.status_code == 409 and r.json()["code"] == "consent_required"
    # a consent dated before the opt-out is no new consent
    consent_record(client=api.account, phone=PHONE, given_at=timezone.now() - datetime.timedelta(days=30))
    assert api.delete(f"/api/v1/stop-list/{PHONE}/").status_code == 409
    consent_record(client=api.account, phone=PHONE)
    assert api.delete(f"/api/v1/stop-list/{PHONE}/").status_code == 204
    assert not OptOut.objects.filter(client=api.account).exists()


# --- R-CMP-12: one client never sees or touches another's list ---------------------------------------

def test_r_cmp_12_another_clients_stop_list_is_invisible(api, web):
    other = make_client(name="Other LLC")
    SenderNameFactory(client=other, name="OtherCo", approved=True)
    opt_out_record(client=other, phone=PHONE, source="client")
    assert api.get("/api/v1/stop-list/").json()["count"] == 0
    assert PHONE not in api.get("/api/v1/stop-list/export.csv").content.decode()
    assert api.delete(f"/api/v1/stop-list/{PHONE}/").status_code == 404
    assert web.post(reverse("stop_list_remove"), {"phone": PHONE}).status_code == 404
    assert PHONE.encode() not in web.get(reverse("stop_list")).content
    assert OptOut.objects.filter(client=other, phone=PHONE).exists()
    # and the other client's stop does not stop this client's sends
    assert recipient_gate(client=api.account).refusal(PHONE) is None


@pytest.mark.parametrize("text", ["STOP", "стоп!", "ВІДПИСАТИСЬ", "відписатися", "ОТПИСАТЬСЯ.", " Stop "])
def test_r_cmp_05_stop_words_are_stop_replies(text):
    from messaging.services import is_stop_reply
    assert is_stop_reply(text)


@pytest.mark.parametrize("text", ["stop by our shop", "не відписуйтесь", "stopp"])
def test_r_cmp_05_other_replies_are_not(text):
    from messaging.services import is_stop_reply
    assert not is_stop_reply(text)
