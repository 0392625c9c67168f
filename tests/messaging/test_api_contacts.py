"""Contact groups over the API and as a campaign source; send_at in Kyiv time or with an offset;
the 100,000-recipient cap."""
import datetime
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from accounts.services import api_key_create
from messaging.models import Campaign, Contact, ContactGroup, Message
from tests.factories import make_client

pytestmark = pytest.mark.django_db
GROUPS = "/api/v1/contact-groups/"
KYIV = ZoneInfo("Europe/Kyiv")


def other_api():
    _k, raw = api_key_create(client=make_client(name="Other LLC"), name="x")
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return c


def make_group(api, name="Loyal customers", contacts=None):
    contacts = contacts if contacts is not None else [
        {"phone": "0671234567", "name": "Olha", "city": "Kyiv"}, {"phone": "+38 (050) 111-22-33", "name": "Ivan"},
        "0671234567", "12345"]
    return api.post(GROUPS, {"name": name, "contacts": contacts}, format="json")


def test_group_created_with_contacts_normalized_deduped_and_reported(api):
    r = make_group(api)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["name"] == "Loyal customers" and body["contacts"] == 2
    assert body["report"] | {"errors": None} == {"rows": 4, "added": 2, "updated": 0, "duplicates": 1, "invalid": 1,
                                                 "errors": None}
    assert body["report"]["errors"] == [{"row": 4, "value": "12345", "reason": "not a valid phone number"}]
    olha = Contact.objects.get(phone="+380671234567")
    assert olha.name == "Olha" and olha.variables == {"city": "Kyiv"}
    listed = api.get(GROUPS).json()["groups"]
    assert [(g["id"], g["contacts"]) for g in listed] == [(body["id"], 2)]
    assert api.get(f"{GROUPS}{body['id']}/").json()["contacts"] == 2


def test_group_import_updates_and_adds(api):
    gid = make_group(api).json()["id"]
    r = api.post(f"{GROUPS}{gid}/contacts/", {"contacts": [{"phone": "0671234567", "name": "Olha K."},
                                                           "0931234567"]}, format="json")
    assert r.status_code == 200 and r.json()["added"] == 1 and r.json()["updated"] == 1
    assert Contact.objects.get(phone="+380671234567").name == "Olha K."
    assert api.get(f"{GROUPS}{gid}/").json()["contacts"] == 3


def test_group_errors_are_json_4xx(api):
    assert api.post(GROUPS, {"name": ""}, format="json").status_code == 400
    assert api.post(GROUPS, {"name": "Empty"}, format="json").status_code == 201
    r = api.post(GROUPS, {"name": "empty"}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "group_name_taken"
    r = api.post(GROUPS, {"name": "x", "contacts": "0671234567"}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "invalid"
    assert api.get(f"{GROUPS}999999/").json()["code"] == "not_found"
    assert api.get(f"{GROUPS}abc/").status_code == 404


def test_r_cmp_12_another_clients_group_is_out_of_reach(api):
    gid = make_group(api).json()["id"]
    other = other_api()
    assert other.get(f"{GROUPS}{gid}/").status_code == 404
    assert other.post(f"{GROUPS}{gid}/contacts/", {"contacts": ["0671234567"]}, format="json").status_code == 404
    assert other.delete(f"{GROUPS}{gid}/").status_code == 404
    assert other.get(GROUPS).json()["groups"] == []
    r = other.post("/api/v1/campaigns/", {"sender": "TestShop", "text": "x", "group": gid}, format="json")
    assert r.status_code in (400, 404)
    assert ContactGroup.objects.filter(pk=gid).exists()


def test_group_delete(api):
    gid = make_group(api).json()["id"]
    assert api.delete(f"{GROUPS}{gid}/").status_code == 204
    assert not ContactGroup.objects.exists() and not Contact.objects.exists()


def test_campaign_from_a_contact_group_personalized_per_contact(api, django_capture_on_commit_callbacks):
    gid = make_group(api).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post("/api/v1/campaigns/", {"sender": "TestShop", "text": "Hi {name}, -20% today", "group": gid},
                     format="json")
    assert r.status_code == 202, r.content
    assert r.json()["state"] == "accepting"
    body = api.get(f"/api/v1/campaigns/{r.json()['id']}/").json()
    assert body["state"] == "sending" and body["counts"]["accepted"] == 2
    assert body["rows"] == {"total": 2, "processed": 2}
    assert Campaign.objects.get().source == Campaign.Source.GROUP
    assert dict(Message.objects.values_list("recipient", "text")) == {
        "+380671234567": "Hi Olha, -20% today", "+380501112233": "Hi Ivan, -20% today"}


@pytest.mark.parametrize("extra", [{}, {"group": 1, "recipients": ["0671234567"]}])
def test_campaign_needs_recipients_or_a_group_not_both(api, extra):
    r = api.post("/api/v1/campaigns/", {"sender": "TestShop", "text": "x", **extra}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "invalid"


def test_campaign_from_an_unknown_group_is_404(api):
    r = api.post("/api/v1/campaigns/", {"sender": "TestShop", "text": "x", "group": 424242}, format="json")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert not Campaign.objects.exists()


def test_send_at_without_offset_is_kyiv_time_and_with_offset_is_honoured(api):
    tomorrow = (datetime.datetime.now(KYIV) + datetime.timedelta(days=1)).date()
    local = f"{tomorrow.isoformat()}T09:30:00"
    r = api.post("/api/v1/campaigns/", {"sender": "TestShop", "text": "x", "recipients": ["0671234567"],
                                        "send_at": local}, format="json")
    assert r.status_code == 201 and r.json()["state"] == "scheduled"
    first = Campaign.objects.get(public_id=r.json()["id"])
    r = api.post("/api/v1/campaigns/", {"sender": "TestShop", "text": "x", "recipients": ["0671234567"],
                                        "send_at": f"{tomorrow.isoformat()}T09:30:00+00:00", "ttl": 3600},
                 format="json")
    second = Campaign.objects.get(public_id=r.json()["id"])
    at = datetime.datetime.combine(tomorrow, datetime.time(9, 30))
    assert first.send_at == at.replace(tzinfo=KYIV)
    assert second.send_at == at.replace(tzinfo=datetime.timezone.utc)
    message = Message.objects.get(campaign=second)
    assert message.send_at == second.send_at
    assert message.valid_until == second.send_at + datetime.timedelta(seconds=3600)  # R-MSG-01: ttl from send_at


def test_campaign_of_100000_recipients_is_accepted_and_one_more_is_refused(api):
    from billing.services import wallet_topup

    wallet_topup(client=api.account, amount=100_000, key="big-topup")
    recipients = [f"+38067{i:07d}" for i in range(100_000)]
    r = api.post("/api/v1/campaigns/", {"sender": "TestShop", "text": "x", "recipients": recipients}, format="json")
    assert r.status_code == 201 and r.json()["counts"]["accepted"] == 100_000
    r = api.post("/api/v1/campaigns/", {"sender": "TestShop", "text": "x", "recipients": recipients + ["0501234567"]},
                 format="json")
    assert r.status_code == 400 and r.json()["code"] == "too_many_recipients"
