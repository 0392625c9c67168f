"""Viber campaigns: POST /api/v1/campaigns/ with "channel": "viber", from a list or a contact
group, personalized per recipient, on the Viber accept rules (R-VIB-02/03/04/08/09), priced in EUR
at the day's rate and held once (R-BILL-08)."""
# ruff: noqa: F811 (the `viber_client` fixture is imported, then named by the tests)
import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import LedgerEntry
from messaging.models import Campaign, Message, ViberLimit
from messaging.services import contact_group_create, contacts_import
from messaging.status import Status
from messaging.viber.service import viber_send
from tests.messaging.viber_fixtures import KYIVSTAR, OWN_PHONE, VODAFONE, consent, req, viber_client  # noqa: F401

pytestmark = pytest.mark.django_db
URL = "/api/v1/campaigns/"
LIFECELL = "+380931234567"
WELCOME = {"channel": "viber", "sender": "ViberShop", "viber_type": "welcome",
           "text": "Welcome, {name}! Questions: +380441234567"}


@pytest.fixture
def vapi(api, viber_client):
    return api


def welcomed(client, *phones):
    viber_send(client=client, recipients=list(phones), request=req())


def test_r_vib_02_viber_campaign_personalized_priced_in_eur_and_held_once(vapi):
    r = vapi.post(URL, {**WELCOME, "name": "Hello", "image_url": "https://shop.example/a.png",
                        "button": {"caption": "Shop", "url": "https://shop.example/"},
                        "recipients": [{"phone": KYIVSTAR, "name": "Olha"}, {"phone": VODAFONE, "name": "Ivan"},
                                       {"phone": LIFECELL}, "12345"]}, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["channel"] == "viber" and body["state"] == "sending"
    assert body["viber"] == {"type": "welcome", "image_url": "https://shop.example/a.png",
                             "button": {"caption": "Shop", "url": "https://shop.example/"}, "fallback_sms": None}
    assert body["counts"]["accepted"] == 2 and body["counts"]["invalid"] == 2
    assert {e["reason"] for e in body["errors"]} == {"no value for {name}", "not a valid phone number"}
    assert body["total_price"] == {"amount": "1.80", "currency": "UAH"}  # 2 × 0.02 EUR × 45
    texts = dict(Message.objects.filter(campaign__public_id=body["id"]).values_list("recipient", "text"))
    assert texts == {KYIVSTAR: "Welcome, Olha! Questions: +380441234567",
                     VODAFONE: "Welcome, Ivan! Questions: +380441234567"}
    for m in Message.objects.filter(campaign__public_id=body["id"]).select_related("viber"):
        assert m.channel == "viber" and m.status == Status.QUEUED and m.price.amount == Decimal("0.90")
        assert m.viber.viber_type == "welcome" and m.viber.image_url.endswith("a.png")
        assert m.viber.eur_price.amount == Decimal("0.0200") and m.viber.rate == Decimal("45")  # R-BILL-08
    hold = LedgerEntry.objects.get(kind="hold")
    assert hold.held_delta.amount == Decimal("1.80") and hold.idempotency_key == f"campaign:{body['id']}"


def test_r_vib_08_campaign_text_without_phone_gets_the_contact_phone(vapi):
    r = vapi.post(URL, {**WELCOME, "text": "Welcome, {name}!", "recipients": [{"phone": KYIVSTAR, "name": "Olha"}]},
                  format="json")
    assert r.status_code == 201, r.json()
    assert Message.objects.get(recipient=KYIVSTAR).text == f"Welcome, Olha!\n{OWN_PHONE}"


def test_r_vib_04_campaign_refuses_new_and_unconsenting_recipients_uncharged(vapi, viber_client):
    welcomed(viber_client, KYIVSTAR, VODAFONE)
    consent(viber_client, KYIVSTAR, LIFECELL)
    r = vapi.post(URL, {**WELCOME, "viber_type": "advertising", "text": "ViberShop sale for {name}! +380441234567",
                        "recipients": [{"phone": KYIVSTAR, "name": "Olha"}, {"phone": VODAFONE, "name": "Ivan"},
                                       {"phone": LIFECELL, "name": "Petro"}]}, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["counts"]["accepted"] == 1 and body["counts"]["refused"] == 2
    codes = {e["value"]: e["code"] for e in body["errors"]}
    assert codes == {VODAFONE: "no_consent", LIFECELL: "welcome_required"}
    assert body["total_price"]["amount"] == "1.35"  # advertising: 0.03 EUR × 45
    stopped = Message.objects.filter(campaign__public_id=body["id"], status=Status.REFUSED).select_related("viber")
    assert {m.error_code for m in stopped} == {"no_consent", "welcome_required"}
    assert all(m.price.amount == 0 and m.viber.eur_price is None for m in stopped)
    hold = LedgerEntry.objects.get(kind="hold", idempotency_key=f"campaign:{body['id']}")
    assert hold.held_delta.amount == Decimal("1.35")


def test_r_vib_03_transactional_campaign_rows_must_fill_an_approved_template(vapi, viber_client):
    welcomed(viber_client, KYIVSTAR, VODAFONE)
    r = vapi.post(URL, {**WELCOME, "viber_type": "transactional", "text": "{body}", "recipients": [
        {"phone": KYIVSTAR, "body": "Your order 42 is ready. Info: +380441234567"},
        {"phone": VODAFONE, "body": "Buy our new shoes! +380441234567"}]}, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["counts"]["accepted"] == 1 and body["counts"]["refused"] == 1
    assert body["errors"][0]["code"] == "no_matching_template" and body["errors"][0]["value"] == VODAFONE
    assert Message.objects.get(recipient=KYIVSTAR, campaign__isnull=False).viber.template is not None


def test_r_vib_03_one_text_breaking_a_rule_refuses_the_campaign_before_it_exists(vapi):
    r = vapi.post(URL, {**WELCOME, "text": "x" * 1001 + " +380441234567", "recipients": [KYIVSTAR]}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "text_too_long"
    assert not Campaign.objects.exists()


def test_r_vib_01_viber_campaign_needs_viber_enabled(api):
    r = api.post(URL, {**WELCOME, "recipients": [KYIVSTAR]}, format="json")
    assert r.status_code == 403 and r.json()["code"] in ("contract_required", "viber_not_enabled")
    assert not Campaign.objects.exists()


def test_r_snd_07_shared_sender_campaign_only_for_tests(vapi):
    r = vapi.post(URL, {**WELCOME, "sender": "Viber", "recipients": [KYIVSTAR]}, format="json")
    assert r.status_code in (400, 403) and not Campaign.objects.exists()


def test_r_vib_09_campaign_over_the_daily_limit_refuses_the_rest(vapi, viber_client):
    ViberLimit.objects.create(client=viber_client, daily_limit=1)
    r = vapi.post(URL, {**WELCOME, "recipients": [{"phone": KYIVSTAR, "name": "A"}, {"phone": VODAFONE, "name": "B"}]},
                  format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["counts"]["accepted"] == 1 and body["errors"][0]["code"] == "viber_daily_limit"
    assert body["total_price"]["amount"] == "0.90"


def test_r_vib_04_every_row_refused_fails_the_campaign_and_holds_nothing(vapi, viber_client):
    r = vapi.post(URL, {**WELCOME, "viber_type": "advertising", "recipients": [{"phone": KYIVSTAR, "name": "A"}]},
                  format="json")
    assert r.status_code == 400 and r.json()["code"] == "invalid_recipient"
    campaign = Campaign.objects.get()
    assert campaign.state == Campaign.State.FAILED and campaign.refused == 1
    assert not LedgerEntry.objects.filter(kind="hold").exists() and not Message.objects.exists()


def test_viber_campaign_from_a_contact_group_with_variables(vapi, viber_client, django_capture_on_commit_callbacks):
    group = contact_group_create(client=viber_client, name="Customers")
    contacts_import(client=viber_client, group_id=group.pk, rows=[{"phone": KYIVSTAR, "name": "Olha", "city": "Kyiv"},
                                                                  {"phone": VODAFONE, "name": "Ivan", "city": "Lviv"}])
    with django_capture_on_commit_callbacks(execute=True):
        r = vapi.post(URL, {**WELCOME, "text": "Hi {name} from {city}! +380441234567", "group": group.pk},
                      format="json")
    assert r.status_code == 202, r.json()
    campaign = Campaign.objects.get(public_id=r.json()["id"])  # eager tasks: read already
    assert campaign.state == Campaign.State.SENDING and campaign.accepted == 2 and campaign.source == "group"
    assert dict(Message.objects.values_list("recipient", "text"))[VODAFONE] == "Hi Ivan from Lviv! +380441234567"


def test_r_bill_08_scheduled_viber_campaign_cancel_releases_its_hold(vapi):
    later = (timezone.now() + datetime.timedelta(days=1)).replace(hour=12, minute=0).isoformat()
    r = vapi.post(URL, {**WELCOME, "send_at": later, "recipients": [{"phone": KYIVSTAR, "name": "A"}]}, format="json")
    assert r.status_code == 201 and r.json()["state"] == "scheduled"
    c = vapi.post(f"{URL}{r.json()['id']}/cancel/")
    assert c.status_code == 200 and c.json()["state"] == "cancelled"
    assert Message.objects.get().status == Status.CANCELLED
    assert LedgerEntry.objects.filter(kind="release").exists()


def test_viber_campaign_messages_list_shows_their_viber_part(vapi):
    r = vapi.post(URL, {**WELCOME, "recipients": [{"phone": KYIVSTAR, "name": "A"}]}, format="json")
    page = vapi.get(f"{URL}{r.json()['id']}/messages/").json()
    assert page["messages"][0]["channel"] == "viber" and page["messages"][0]["viber"]["eur_price"] == "0.0200"


# --- the website: the New campaign page's Viber tab ---------------------------------------------

def vstep1(web, **data):
    from django.urls import reverse  # noqa: PLC0415

    form = {"channel": "viber", "name": "Welcome", "sender": "ViberShop", "viber_type": "welcome",
            "text": "Welcome, {phone}! +380441234567", "source": "paste", "numbers": f"{KYIVSTAR}\n{VODAFONE}",
            "send_at": "", "ttl": "86400"} | data
    return web.post(reverse("campaign_new"), form)


def test_r_vib_02_new_campaign_page_has_the_viber_tab_with_the_bubble_preview(web, viber_client):
    from django.urls import reverse  # noqa: PLC0415

    html = web.get(reverse("campaign_new") + "?channel=viber").content.decode()
    assert 'data-channel="viber"' in html and 'id="viber-preview"' in html and "viber_send.js" in html
    assert 'name="viber_type"' in html and 'name="button_caption"' in html
    sms = web.get(reverse("campaign_new")).content.decode()
    assert 'id="viber-preview"' not in sms and 'name="viber_type"' not in sms


def test_r_vib_02_web_viber_campaign_review_then_confirm(web, viber_client, django_capture_on_commit_callbacks):
    response = vstep1(web)
    assert response.status_code == 302, response.context["form"].errors
    url = response["Location"]
    review = web.get(url)
    estimate = review.context["estimate"]
    assert estimate["viber"] and estimate["valid"] == 2 and estimate["cost"] == Decimal("1.80")  # R-BILL-08
    assert estimate["examples"][0]["text"] == f"Welcome, {KYIVSTAR}! +380441234567"
    html = review.content.decode()
    assert 'id="viber-unit"' in html and "(0.0200 EUR × 45)" in html
    with django_capture_on_commit_callbacks(execute=True):
        done = web.post(url, {})
    assert done.status_code == 302, done.content.decode()[:1500]
    campaign = Campaign.objects.get()
    assert campaign.channel == "viber" and campaign.viber.viber_type == "welcome" and campaign.accepted == 2
    assert set(Message.objects.values_list("channel", flat=True)) == {"viber"}


def test_r_vib_04_web_review_shows_the_recipients_viber_would_refuse(web, viber_client):
    response = vstep1(web, viber_type="advertising", text="ViberShop sale! +380441234567")
    estimate = web.get(response["Location"]).context["estimate"]
    assert estimate["valid"] == 0 and estimate["refused"] == 2
    assert {e["code"] for e in estimate["refused_examples"]} <= {"no_consent", "welcome_required"}


def test_r_vib_03_web_viber_campaign_form_refuses_a_broken_text(web, viber_client):
    response = vstep1(web, text="x" * 1001 + " +380441234567")
    assert response.status_code == 400 and response.context["form"].errors.get("text")
    assert not Campaign.objects.exists()
