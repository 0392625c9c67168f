"""The senders pages and `GET/POST /api/v1/senders/`."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from senders.models import SenderName
from tests.factories import SenderNameFactory, UserFactory, make_client

from .conftest import PDF

pytestmark = pytest.mark.django_db


def test_senders_page_lists_names_with_status_and_reason(web):
    SenderNameFactory(client=web.account, name="Refused", rejected=True)
    html = web.get(reverse("sender_list")).content.decode()
    for text in ("TestShop", "Approved", "Refused", "Not allowed", "Request a sender name", "2 business hours"):
        assert text in html


def test_r_snd_02_website_form_shows_the_specific_reason(web):
    r = web.post(reverse("sender_list"), {"channel": "sms", "name": "K1evstar"})
    assert r.status_code == 400
    assert "mobile operator" in r.content.decode()
    assert not SenderName.objects.filter(name="K1evstar").exists()


def test_r_snd_03_website_upload_of_proof(web):
    r = web.post(reverse("sender_list"), {"channel": "sms", "name": "Rozetka"})
    assert r.status_code == 400 and "well-known brand" in r.content.decode()
    proof = SimpleUploadedFile("letter.pdf", PDF, content_type="application/pdf")
    r = web.post(reverse("sender_list"), {"channel": "sms", "name": "Rozetka", "proof": proof})
    sender = SenderName.objects.get(name="Rozetka")
    assert r.status_code == 302 and r["Location"] == reverse("sender_detail", args=[sender.public_id])
    assert sender.proof


def test_r_snd_05_website_description_form(web):
    sender = SenderNameFactory(client=web.account, name="Kvitka", approved=True)
    url = reverse("sender_detail", args=[sender.public_id])
    assert "International" in web.get(url).content.decode()
    r = web.post(url, {"company_name": "Acme LLC", "company_code": "14360570", "website": "acme.ua",
                       "purpose": "Orders", "sample_text": "Order 1 is ready"}, follow=True)
    assert "Description saved." in r.content.decode()
    sender.refresh_from_db()
    assert sender.description_complete


def test_other_clients_sender_page_is_404(web):
    other = SenderNameFactory(client=make_client(name="Other"), name="Theirs")
    assert web.get(reverse("sender_detail", args=[other.public_id])).status_code == 404


def test_viewer_sees_senders_but_cannot_request(client, client_account):
    viewer = UserFactory(client=client_account, role="viewer")
    client.force_login(viewer)
    assert client.get(reverse("sender_list")).status_code == 200
    r = client.post(reverse("sender_list"), {"channel": "sms", "name": "Kvitka"})
    assert r.status_code == 403
    assert not SenderName.objects.filter(name="Kvitka").exists()


# ---- API ------------------------------------------------------------------------------------

def test_api_lists_senders(api):
    SenderNameFactory(client=api.account, name="Waiting")
    SenderNameFactory(client=make_client(name="Other"), name="NotMine")
    r = api.get("/api/v1/senders/")
    assert r.status_code == 200
    names = {s["name"]: s for s in r.json()["senders"]}
    assert set(names) == {"TestShop", "Waiting"}
    assert names["TestShop"]["status"] == "approved" and names["TestShop"]["sender_class"] == "international"
    assert names["Waiting"]["national"] == {"kyivstar": "international", "vodafone": "international",
                                            "lifecell": "international"}


def test_api_creates_a_sender(api):
    r = api.post("/api/v1/senders/", {"name": "Kvitka", "company_name": "Kvitka LLC"}, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["status"] == "pending" and body["channel"] == "sms" and body["description_complete"] is False
    assert SenderName.objects.get(public_id=body["id"]).company_name == "Kvitka LLC"


@pytest.mark.parametrize("name,status,code,reason", [
    ("Kyivstar", 400, "sender_name_invalid", "operator"),
    ("0671234567", 400, "sender_name_invalid", "phone_number"),
    ("TooLongName12", 400, "sender_name_invalid", "format"),
    ("Samsung", 400, "sender_name_invalid", "brand_proof_required"),
    ("testshop", 409, "sender_name_taken", None),
])
def test_api_refusals_are_json_with_code(api, name, status, code, reason):
    r = api.post("/api/v1/senders/", {"name": name}, format="json")
    assert r.status_code == status
    body = r.json()
    assert body["code"] == code and body["detail"]
    if reason:
        assert body["reason"] == reason


def test_api_multipart_with_proof(api):
    proof = SimpleUploadedFile("letter.pdf", PDF, content_type="application/pdf")
    r = api.post("/api/v1/senders/", {"name": "Samsung", "proof": proof}, format="multipart")
    assert r.status_code == 201
    assert r.json()["brand"] == "Samsung" and r.json()["proof_uploaded"] is True


def test_api_bad_input_is_400_json(api):
    r = api.post("/api/v1/senders/", {"channel": "fax"}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "invalid"


def test_api_senders_need_a_key():
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/senders/").status_code == 401
