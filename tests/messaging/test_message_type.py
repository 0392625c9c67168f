"""Message type (service / advertising) end to end: priced by it (R-BILL-07), advertising only
with a signed contract (R-CMP-11), on the API, the estimate, campaigns (COPY path) and the website."""
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from accounts.services import client_contract_sign
from billing.models import LedgerEntry
from billing.services import wallet_topup
from compliance.services import ContractRequired, message_type_check
from messaging.models import Campaign, Message
from senders.models import NationalRegistration
from smsportal.kyiv import KYIV
from tests.billing.factories import make_tariff
from tests.factories import SenderNameFactory

from .test_web_campaigns import confirm, review_url, step1

pytestmark = pytest.mark.django_db

KYIVSTAR, VODAFONE, POLAND = "+380671234567", "+380501234567", "+48601234567"
# Advertising names the company and carries a contact phone (R-CMP-04), or screening refuses it.
AD = "Acme LLC: sale -20% today, call 0441234567"
AD_TWO_PARTS = (AD + " ").ljust(161, "A")


@pytest.fixture(autouse=True)
def business_hours(time_machine):
    """Advertising keeps the sending hours (R-CMP-07): these tests price and store it at noon on a
    Kyiv business day, whenever they run."""
    time_machine.move_to(datetime(2026, 12, 8, 12, 0, tzinfo=KYIV), tick=True)
TWO_PARTS = "A" * 161


@pytest.fixture
def typed_prices(tariff):
    """Newer than the conftest list (0.85 flat): service and advertising differ by destination
    and sender class, with fractions of a kopeck."""
    return make_tariff(valid_from=timezone.now() - timedelta(hours=1), default="3.0000", lines=[
        {"country": "UA", "message_type": "service", "price": "0.8500"},
        {"country": "UA", "message_type": "advertising", "price": "1.1235"},
        {"country": "UA", "operator": "kyivstar", "message_type": "advertising", "sender_class": "national",
         "price": "0.9871"},
        {"country": "PL", "message_type": "advertising", "price": "2.5003"},
    ])


@pytest.fixture
def signed(client_account):
    return client_contract_sign(client=client_account, number="SMS-7")


def _send(api, **body):
    payload = {"sender": "TestShop", "recipients": [KYIVSTAR], "text": AD} | body
    return api.post("/api/v1/messages/", payload, format="json")


def _nothing_stored_or_held(client):
    client.wallet.refresh_from_db()
    assert not Message.objects.filter(client=client).exists()
    assert not LedgerEntry.objects.filter(wallet=client.wallet, kind="hold").exists()
    assert client.wallet.held.amount == 0


# --- pricing (R-BILL-07) ------------------------------------------------------------------------

def test_r_bill_07_advertising_send_priced_at_advertising_rate(api, typed_prices, signed):
    r = _send(api, type="advertising", recipients=[KYIVSTAR, VODAFONE, POLAND], text=AD_TWO_PARTS)
    assert r.status_code == 201, r.content
    body = r.json()
    assert {m["recipient"]: (m["type"], m["price"]["amount"]) for m in body["messages"]} == {
        KYIVSTAR: ("advertising", "2.2470"), VODAFONE: ("advertising", "2.2470"), POLAND: ("advertising", "5.0006")}
    assert body["total_price"]["amount"] == "9.4946"
    assert set(Message.objects.values_list("message_type", flat=True)) == {"advertising"}
    hold = LedgerEntry.objects.get(wallet=api.account.wallet, kind="hold")
    assert hold.held_delta.amount == Decimal("9.4946")
    # The same send as a service message (the default) is priced at the service rate.
    r = _send(api, recipients=[KYIVSTAR], text=TWO_PARTS)
    assert r.json()["messages"][0]["type"] == "service"
    assert r.json()["messages"][0]["price"]["amount"] == "1.70"
    detail = api.get(f"/api/v1/messages/{body['messages'][0]['id']}/").json()
    assert detail["type"] == "advertising"


def test_r_bill_07_advertising_priced_with_the_sender_class_and_operator(api, typed_prices, signed):
    name = SenderNameFactory(client=api.account, name="NatShop", approved=True)
    NationalRegistration.objects.create(sender=name, operator="kyivstar", status="national", decided_at=timezone.now())
    r = _send(api, sender="NatShop", type="advertising", recipients=[KYIVSTAR, VODAFONE])
    assert r.status_code == 201, r.content
    assert {m["recipient"]: m["price"]["amount"] for m in r.json()["messages"]} == {
        KYIVSTAR: "0.9871", VODAFONE: "1.1235"}


def test_r_bill_07_advertising_campaign_priced_at_advertising_rate_through_copy(api, typed_prices, signed):
    """600 rows: the COPY path (messages_insert) stores the type of every message."""
    wallet_topup(client=api.account, amount=Decimal(1000), key="test-topup-copy")
    phones = [f"+38067{n:07d}" for n in range(1_000_000, 1_000_600)]
    r = api.post("/api/v1/campaigns/", {"sender": "TestShop", "text": AD, "type": "advertising",
                                        "recipients": phones + [POLAND]}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["type"] == "advertising" and body["counts"]["accepted"] == 601
    expected = Decimal("1.1235") * 600 + Decimal("2.5003")
    assert Decimal(body["total_price"]["amount"]) == expected
    campaign = Campaign.objects.get(public_id=body["id"])
    assert campaign.message_type == "advertising"
    messages = Message.objects.filter(campaign=campaign)
    assert set(messages.values_list("message_type", flat=True)) == {"advertising"}
    assert messages.aggregate(s=Sum("price"))["s"] == expected
    assert LedgerEntry.objects.get(wallet=api.account.wallet, kind="hold").held_delta.amount == expected
    page = api.get(f"/api/v1/campaigns/{body['id']}/messages/").json()["messages"]
    assert {m["type"] for m in page} == {"advertising"}


def test_campaign_without_type_is_service_through_copy(api, typed_prices):
    wallet_topup(client=api.account, amount=Decimal(1000), key="test-topup-copy")
    phones = [f"+38050{n:07d}" for n in range(2_000_000, 2_000_550)]
    r = api.post("/api/v1/campaigns/", {"sender": "TestShop", "text": "Your order is ready", "recipients": phones},
                 format="json")
    assert r.status_code == 201, r.content
    assert r.json()["type"] == "service" and r.json()["total_price"]["amount"] == "467.50"
    assert set(Message.objects.values_list("message_type", flat=True)) == {"service"}


# --- the contract rule (R-CMP-11) ----------------------------------------------------------------

def test_r_cmp_11_advertising_needs_signed_contract(api, typed_prices):
    client = api.account
    r = _send(api, type="advertising")
    assert r.status_code == 403
    assert r.json()["code"] == "contract_required" and "contract" in r.json()["detail"]
    r = api.post("/api/v1/campaigns/", {"sender": "TestShop", "text": AD, "type": "advertising",
                                        "recipients": [KYIVSTAR]}, format="json")
    assert r.status_code == 403 and r.json()["code"] == "contract_required"
    assert not Campaign.objects.filter(client=client).exists()
    _nothing_stored_or_held(client)
    # Service messages need no contract; advertising goes once it is signed.
    assert _send(api).status_code == 201
    client_contract_sign(client=client)
    assert _send(api, type="advertising").status_code == 201


def test_r_cmp_11_rule_lives_in_compliance(client_account, signed):
    message_type_check(client=signed, message_type="advertising")
    message_type_check(client=signed, message_type="service")
    client_account.contract_status = client_account.Contract.REQUESTED  # requested is not signed
    with pytest.raises(ContractRequired) as exc:
        message_type_check(client=client_account, message_type="advertising")
    assert exc.value.code == "contract_required" and exc.value.status == 403
    message_type_check(client=client_account, message_type="service")


def test_r_cmp_11_group_campaign_refused_before_it_exists(api, typed_prices):
    from messaging.models import Contact, ContactGroup

    group = ContactGroup.objects.create(client=api.account, name="Loyal")
    Contact.objects.create(group=group, phone=KYIVSTAR)
    r = api.post("/api/v1/campaigns/", {"sender": "TestShop", "text": AD, "type": "advertising",
                                        "group": group.pk}, format="json")
    assert r.status_code == 403 and r.json()["code"] == "contract_required"
    assert not Campaign.objects.exists()


# --- bad input -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "extra"), [
    ("/api/v1/messages/", {"recipients": [KYIVSTAR]}),
    ("/api/v1/messages/estimate/", {"recipients": [KYIVSTAR]}),
    ("/api/v1/campaigns/", {"recipients": [KYIVSTAR]}),
])
@pytest.mark.parametrize("bad", ["promo", "session", "", None, 1, ["advertising"]])
def test_api_unknown_type_is_400_with_code_and_detail(api, url, extra, bad):
    r = api.post(url, {"sender": "TestShop", "text": "Hi", "type": bad, **extra}, format="json")
    assert r.status_code == 400, r.content
    body = r.json()
    assert body["code"] == "invalid" and body["detail"].startswith("type:")
    assert not Message.objects.exists() and not Campaign.objects.exists()


def test_service_rejects_unknown_type(client_account):
    from messaging.services import message_send
    from smsportal.errors import ApplicationError

    with pytest.raises(ApplicationError) as exc:
        message_send(client=client_account, sender="TestShop", recipients=[KYIVSTAR], text="Hi",
                     message_type="session")
    assert exc.value.code == "invalid_message_type" and exc.value.status == 400
    _nothing_stored_or_held(client_account)


# --- estimates -----------------------------------------------------------------------------------

def test_r_bill_07_api_estimate_prices_by_type_and_warns_without_contract(api, typed_prices):
    body = {"sender": "TestShop", "text": TWO_PARTS, "recipients": [KYIVSTAR, POLAND]}
    r = api.post("/api/v1/messages/estimate/", body | {"type": "advertising"}, format="json")
    assert r.status_code == 200, r.content
    est = r.json()
    assert est["type"] == "advertising"
    assert [row["price"]["amount"] for row in est["recipients"]] == ["2.2470", "5.0006"]
    assert est["total_price"]["amount"] == "7.2476"
    assert "contract_required" in {w["code"] for w in est["warnings"]}  # the send would be refused
    est = api.post("/api/v1/messages/estimate/", body, format="json").json()
    assert est["type"] == "service" and est["total_price"]["amount"] == "7.70"  # 1.70 + 2 × 3.00 default
    assert "contract_required" not in {w["code"] for w in est["warnings"]}
    client_contract_sign(client=api.account)
    est = api.post("/api/v1/messages/estimate/", body | {"type": "advertising"}, format="json").json()
    assert "contract_required" not in {w["code"] for w in est["warnings"]}


def test_r_bill_07_send_form_live_estimate_prices_by_type(web, typed_prices):
    url = reverse("message_send_estimate")
    data = {"text": AD, "recipients": f"{KYIVSTAR}\n{VODAFONE}", "sender": "TestShop"}
    r = web.post(url, data | {"message_type": "advertising"})
    assert r.status_code == 200
    assert r.json()["total_price"]["amount"] == "2.2470" and r.json()["type"] == "advertising"
    assert web.post(url, data).json()["total_price"]["amount"] == "1.70"
    r = web.post(url, data | {"message_type": "promo"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_message_type"


def test_send_page_offers_the_type_and_its_flat_prices(web, typed_prices):
    r = web.get(reverse("message_send"))
    html = r.content.decode()
    assert 'name="message_type" value="advertising"' in html and 'id="contract-warning"' in html
    assert r.context["send_config"]["typePrices"] == {"service": "0.8500", "advertising": "1.1235"}
    r = web.get(reverse("campaign_new"))
    assert 'name="message_type" value="advertising"' in r.content.decode()
    assert r.context["campaign_config"]["typePrices"]["advertising"] == "1.1235"


# --- website forms -------------------------------------------------------------------------------

def _send_form(web, **data):
    import uuid

    form = {"sender": "TestShop", "recipients": KYIVSTAR, "text": AD, "token": str(uuid.uuid4())} | data
    return web.post(reverse("message_send"), form)


def test_r_cmp_11_send_form_advertising_without_contract_is_a_form_error(web, typed_prices):
    r = _send_form(web, message_type="advertising")
    assert r.status_code == 400
    errors = r.context["form"].errors["message_type"]
    assert any("signed contract" in e for e in errors)
    _nothing_stored_or_held(web.account)


def test_r_bill_07_send_form_advertising_priced_and_stored(web, typed_prices, signed):
    r = _send_form(web, message_type="advertising", recipients=f"{KYIVSTAR}\n{VODAFONE}")
    assert r.status_code == 302
    assert sorted(Message.objects.values_list("message_type", "price")) == [
        ("advertising", Decimal("1.1235")), ("advertising", Decimal("1.1235"))]
    r = _send_form(web, message_type="nonsense")
    assert r.status_code == 400 and "message_type" in r.context["form"].errors


def test_r_cmp_11_campaign_form_advertising_without_contract_is_a_form_error(web, typed_prices):
    r = step1(web, numbers=KYIVSTAR, message_type="advertising")
    assert r.status_code == 400
    assert any("signed contract" in e for e in r.context["form"].errors["message_type"])
    assert not Campaign.objects.exists()
    _nothing_stored_or_held(web.account)


def test_r_bill_07_campaign_form_advertising_reviewed_and_priced(web, typed_prices, signed,
                                                                django_capture_on_commit_callbacks):
    url = review_url(step1(web, numbers=f"{KYIVSTAR}\n{POLAND}", message_type="advertising", text=AD))
    r = web.get(url)
    assert r.context["estimate"]["cost"] == Decimal("3.62")  # 1.1235 + 2.5003, shown to kopecks
    assert "Advertising" in r.content.decode()
    campaign, _ = confirm(web, url, django_capture_on_commit_callbacks)
    assert campaign.message_type == "advertising" and campaign.total_price.amount == Decimal("3.6238")
    assert set(Message.objects.filter(campaign=campaign).values_list("message_type", flat=True)) == {"advertising"}
    detail = web.get(reverse("campaign_detail", kwargs={"public_id": campaign.public_id}))
    assert "Advertising" in detail.content.decode()


def test_schema_documents_the_type(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    for name in ("MessageSendInputRequest", "CampaignInputRequest", "EstimateInputRequest"):
        prop = components[name]["properties"]["type"]
        enum = components[prop["allOf"][0]["$ref"].split("/")[-1]]["enum"]
        assert enum == ["service", "advertising"] and prop["default"] == "service", (name, prop)
        assert "contract_required" in prop["description"]
        assert "type" not in components[name].get("required", [])
    for name in ("MessageOutput", "CampaignOutput", "EstimateOutput"):
        assert "type" in components[name]["properties"]
