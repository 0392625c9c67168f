"""A viewer (team role: statistics and message status only) changes nothing on the website.

Every route of the client website is classified here; a viewer's POST to a route that writes is
refused with the 403 page, and a POST to a route that only reads changes nothing either. A new
route fails `test_every_website_route_is_classified` until it is added to one of the lists."""
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.utils import timezone
from djmoney.money import Money
from django.urls import URLPattern, URLResolver, reverse

from accounts.services import api_key_create
from billing.models import Invoice, ServiceAct
from billing.services import invoice_issue
from compliance.services import consent_record, opt_out_record, trademark_proof_request
from messaging.models import ChatSession, Contact, Message
from messaging.services import campaign_accept, campaign_create, contact_group_create, contacts_import
from messaging.viber.templates import template_submit
from smsportal import web_urls
from tests.factories import SenderNameFactory, UserFactory

pytestmark = pytest.mark.django_db
PHONE = "+380671234567"

# name -> (path arguments, POST data): routes whose POST changes something. Viewers get 403.
WRITES = {
    "message_send": ((), {"sender": "TestShop", "recipients": PHONE, "text": "Hello", "token": "0" * 32}),
    "message_send_estimate": ((), {"text": "Hello", "recipients": PHONE}),
    "sender_request": ((), {"name": "Kvitka"}),
    "api_key_list": ((), {"name": "mine"}),
    "api_key_revoke": (("key",), {}),
    "api_key_regenerate": (("key",), {}),
    "api_key_ips": (("key",), {"allowed_ips": "10.0.0.1"}),
    "campaign_new": ((), {"name": "x", "sender": "TestShop", "text": "Hi", "source": "paste", "numbers": PHONE,
                          "ttl": "86400"}),
    "campaign_review": (("token",), {"phone_column": "0"}),
    "campaign_cancel": (("campaign",), {}),
    "contact_groups": ((), {"name": "New group"}),
    "contact_group": (("group",), {"name": "x"}),
    "contact_group_rename": (("group",), {"name": "Renamed"}),
    "contact_group_delete": (("group",), {}),
    "contact_add": (("group",), {"phone": "+380501112233", "name": "Ivan"}),
    "contact_import": (("group",), {}),
    "contact_import_review": (("group", "token"), {"phone_column": "0"}),
    "contact_delete": (("group", "contact"), {}),
    "sender_list": ((), {"name": "Kvitka", "channel": "sms", "description": "our shop"}),
    "sender_detail": (("sender",), {"description": "changed"}),
    "webhook_save": ((), {"url": "https://example.com/hook"}),
    "webhook_secret_regenerate": ((), {}),
    "webhook_test": ((), {}),
    "account_profile": ((), {"name": "Changed LLC"}),
    "account_contract_request": ((), {}),
    "account_termination": ((), {"confirm": "on", "reason": "x"}),
    "account_block": ((), {"text": "explanation"}),
    "account_team": ((), {"action": "invite", "email": "new@example.com", "role": "owner"}),
    "invoice_list": ((), {"amount": "1500"}),  # viewers issued invoices before
    "billing_refund": ((), {"iban": "UA213223130000026007233566001", "account_holder": "Acme LLC",
                            "holder_tax_code": "12345678"}),  # R-BILL-12: the owner requests
    "stop_list_add": ((), {"phone": "+380501112233"}),
    "stop_list_remove": ((), {"phone": PHONE}),
    "stop_list_import": ((), {}),
    "recipient_erase": ((), {"phone": PHONE, "confirm": "on"}),
    "consent_list": ((), {"phone": "+380501112233", "sms": "on"}),
    "consent_import": ((), {}),
    "consent_settings": ((), {"require_consent": "on"}),
    "consent_withdraw": (("consent",), {}),
    "viber_send_estimate": ((), {"text": "Hello", "recipients": PHONE}),
    "viber_templates": ((), {"name": "Order", "text": "Order {number} is ready"}),
    "viber_template_delete": (("template",), {}),
    "viber_thread": (("thread",), {"text": "Hello"}),
    "viber_inbox": ((), {"text": "Hello"}),
    "trademark_proofs": ((), {"comment": "ours"}),
    "trademark_proof_upload": (("trademark",), {"comment": "ours"}),  # the inbox and a thread are one view: its POST replies
    "message_cancel": (("message",), {}),
}
# Routes that only read: a POST (if the view takes one at all) must change nothing.
READS = {
    "dashboard": (), "message_list": (), "message_status_json": (), "message_detail": ("message",),
    "campaign_list": (), "campaign_detail": ("campaign",), "campaign_progress": ("campaign",),
    "campaign_errors_csv": ("campaign",), "billing_overview": (), "billing_statement": (),
    "billing_statement_csv": (), "billing_prices": (), "invoice_detail": ("invoice",), "message_statistics": (),
    "stop_list": (), "stop_list_export": (), "consent_proof": (), "consent_proof_file": ("consent",),
    "invoice_document": ("invoice",), "invoice_document_pdf": ("invoice",), "act_document": ("act",),
    "act_document_pdf": ("act",), "message_send_balance": (),
    "messages_export_csv": (), "messages_export_xlsx": (), "sms_replies": (),
}
# Routes for anyone (not a client's data): an invitation link and password reset by phone.
# viber_image: an uploaded Viber picture, fetched by Viber itself (its name is random).
PUBLIC = {"invitation_accept", "account_reset_password_phone", "account_reset_password_phone_code", "viber_image",
          "public_offer"}


def _names(patterns):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _names(p.url_patterns)
        elif isinstance(p, URLPattern) and p.name:
            yield p.name


def test_every_website_route_is_classified():
    assert set(_names(web_urls.urlpatterns)) == set(WRITES) | set(READS) | PUBLIC


def website_objects(client_account) -> dict:
    """One object of each kind the website's routes name (their path arguments), made as the owner."""
    owner = client_account.users.get(role="owner")
    campaign = campaign_accept(campaign=campaign_create(client=client_account, sender="TestShop", text="Hi",
                                                        send_at=None), rows=[PHONE])
    group = contact_group_create(client=client_account, name="VIP")
    contacts_import(client=client_account, group_id=group.pk, rows=[PHONE])
    opt_out_record(client=client_account, phone="+380501234567", source="client")
    key, _raw = api_key_create(client=client_account, name="k", created_by=owner)
    now = timezone.now()
    return {
        "key": key.prefix, "token": "0" * 16, "campaign": campaign.public_id, "group": group.pk,
        "contact": Contact.objects.get(group=group).pk,
        "sender": SenderNameFactory(client=client_account, name="Other", approved=True).public_id,
        "message": Message.objects.first().public_id,
        "invoice": invoice_issue(client=client_account, amount=100, actor=owner).public_id,
        "consent": consent_record(client=client_account, phone=PHONE).pk,
        "act": ServiceAct.objects.create(client=client_account, number="A-1", period=date(2026, 11, 1),
                                         act_date=date(2026, 11, 30), services_total=Money(10, "UAH"),
                                         total=Money(10, "UAH")).public_id,
        "template": template_submit(client=client_account, name="Order", text="Order {n} is ready").public_id,
        "trademark": trademark_proof_request(client=client_account, trademark="Kvitka").pk,
        "thread": ChatSession.objects.create(client=client_account, sender="TestShop", recipient=PHONE,
                                             opened_at=now, expires_at=now + timedelta(hours=24)).public_id,
    }


@pytest.fixture
def objects(client_account):
    return website_objects(client_account)


@pytest.fixture
def viewer(client, client_account):
    client.force_login(UserFactory(client=client_account, role="viewer"))
    client.raise_request_exception = False
    return client


def snapshot():
    """Row counts of every table of the product's apps (a viewer's request may add none)."""
    return {m._meta.label: m.objects.count() for name in ("accounts", "billing", "messaging", "senders", "compliance")
            for m in apps.get_app_config(name).get_models()}


def _url(name, args, objects):
    return reverse(name, args=[objects[a] for a in args])


@pytest.mark.parametrize("name", sorted(WRITES))
def test_viewer_post_to_a_writing_route_is_403_and_changes_nothing(viewer, objects, name):
    args, data = WRITES[name]
    before = snapshot()
    response = viewer.post(_url(name, args, objects), data)
    assert response.status_code == 403, (name, response.status_code)
    assert snapshot() == before


@pytest.mark.parametrize("name", sorted(READS))
def test_viewer_post_to_a_reading_route_changes_nothing(viewer, objects, name):
    before = snapshot()
    response = viewer.post(_url(name, READS[name], objects), {"amount": "1500", "name": "x", "text": "x"})
    assert response.status_code in (200, 405), (name, response.status_code)
    assert snapshot() == before


def test_viewer_cannot_issue_an_invoice_and_is_not_offered_the_form(viewer, client_account):
    page = viewer.get(reverse("invoice_list"))
    assert page.status_code == 200 and "Create invoice" not in page.content.decode()
    response = viewer.post(reverse("invoice_list"), {"amount": "1500"})
    assert response.status_code == 403 and "owner, member" in response.content.decode()
    assert not Invoice.objects.filter(client=client_account).exists()


@pytest.mark.parametrize("role", ["owner", "member"])
def test_owner_and_member_issue_invoices(client, client_account, role):
    user = client_account.users.get(role="owner") if role == "owner" else UserFactory(client=client_account,
                                                                                       role="member")
    client.force_login(user)
    assert "Create invoice" in client.get(reverse("invoice_list")).content.decode()
    response = client.post(reverse("invoice_list"), {"amount": "1500"})
    assert response.status_code == 302 and Invoice.objects.filter(client=client_account).count() == 1
