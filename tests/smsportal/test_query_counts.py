"""The list pages of the website, the API's lists and the admin changelists read their rows and
what they show about them in a fixed number of queries: 3 rows or 30 rows, the same count."""
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import api_key_create, audit_record, invitation_create
from billing.services import invoice_issue, wallet_topup
from messaging.models import InboundMessage, WebhookDelivery
from messaging.services import message_send
from messaging.services.campaigns import campaign_accept, campaign_create
from messaging.services.contacts import contact_group_create, contacts_import
from messaging.services.webhooks import webhook_endpoint_set
from senders.models import FirstNameAllowance, NationalRegistration
from tests.factories import SenderNameFactory, make_client

pytestmark = pytest.mark.django_db

WEB_PAGES = ["dashboard", "message_list", "campaign_list", "contact_groups", "sender_list", "billing_overview",
             "billing_statement", "invoice_list", "api_key_list", "message_statistics"]
API_LISTS = ["/api/v1/campaigns/", "/api/v1/contact-groups/", "/api/v1/senders/", "/api/v1/transactions/",
             "/api/v1/invoices/", "/api/v1/prices/", "/api/v1/webhook/"]
ADMIN_LISTS = ["/admin/messaging/message/", "/admin/messaging/campaign/", "/admin/billing/wallet/",
               "/admin/senders/sendername/", "/admin/billing/ledgerentry/", "/admin/billing/invoice/",
               "/admin/accounts/client/", "/admin/accounts/apikey/", "/admin/messaging/contactgroup/",
               "/admin/messaging/inboundmessage/", "/admin/accounts/auditevent/", "/admin/accounts/user/",
               "/admin/accounts/invitation/", "/admin/senders/firstnameallowance/",
               "/admin/messaging/webhookdelivery/", "/admin/messaging/messagepart/"]


def seed(account, n: int, start: int, *, staff, route) -> None:
    """n more of every row the list pages show: messages, campaigns, sender names (some national),
    contact groups, ledger entries, invoices, API keys, webhook deliveries, other clients with
    their wallets and names, inbound messages, audit events, invitations and allowances."""
    recipients = [f"067{start + i:07d}" for i in range(n)]
    message_send(client=account, sender="TestShop", recipients=recipients, text="Hello")
    for i in range(n):
        k = start + i
        campaign_accept(campaign=campaign_create(client=account, sender="TestShop", text="Hi", name=f"C{k}"),
                        rows=[recipients[i]])
        sender = SenderNameFactory(client=account, name=f"Brand{k}", approved=bool(i % 2))
        NationalRegistration.objects.create(sender=sender, operator="kyivstar", status="national",
                                            decided_at=timezone.now())
        group = contact_group_create(client=account, name=f"Group {k}")
        contacts_import(client=account, group_id=group.pk, rows=[recipients[i], f"050{k:07d}"])
        wallet_topup(client=account, amount=Decimal(1), key=f"qc-topup-{k}")
        invoice_issue(client=account, amount=Decimal(100))
        api_key_create(client=account, name=f"key {k}", created_by=account.users.first())
        WebhookDelivery.objects.create(client=account, url="https://hooks.example.com/", events=1, http_status=200)
        other = make_client(name=f"Other {k}", balance=1, email=f"other{k}@example.com")
        SenderNameFactory(client=other, name=f"Other{k}")
        InboundMessage.objects.create(route=route, client=other, source="380671234567", destination="TestShop",
                                      text="stop")
        audit_record(code="tests.row", actor=staff, client=other, target=str(k))
        invitation_create(client=other, email=f"colleague{k}@example.com", role="member",
                          actor=other.users.first())
        FirstNameAllowance.objects.create(client=other, name=f"Name{k}", created_by=staff)


@pytest.fixture
def seeded(client_account, route):
    """Counts each URL's queries with 3 rows, then with 30; returns {url: (few, many)}."""
    staff = User.objects.create_superuser("staff@example.com", "pw-12345-staff")
    webhook_endpoint_set(client=client_account, url="https://hooks.example.com/")

    def run(get, urls, login=None):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        counts = {}
        for n, start in ((3, 1000000), (27, 2000000)):
            seed(client_account, n, start, staff=staff, route=route)
            if login:
                login()
            for url in urls:
                get(url)  # warm: the once-a-minute last-used stamp of a key, the session
                with CaptureQueriesContext(connection) as ctx:
                    response = get(url)
                assert response.status_code == 200, (url, response.status_code)
                counts.setdefault(url, []).append(len(ctx.captured_queries))
        return counts

    run.staff = staff
    return run


def assert_flat(counts):
    grown = {url: c for url, c in counts.items() if c[1] > c[0]}
    assert not grown, f"query count grows with rows (3 rows → 30 rows): {grown}"


def test_website_list_pages_query_count_does_not_grow_with_rows(client, client_account, seeded):
    owner = client_account.users.first()
    counts = seeded(lambda url: client.get(reverse(url)), WEB_PAGES, login=lambda: client.force_login(owner))
    assert_flat(counts)
    assert counts["message_list"][1] <= 8 and counts["campaign_list"][1] <= 9


def test_api_lists_query_count_does_not_grow_with_rows(client_account, seeded):
    _key, raw = api_key_create(client=client_account, name="qc")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    counts = seeded(api.get, API_LISTS)
    assert_flat(counts)
    # Before: one campaign_counts query per campaign, one sender_class query per name.
    assert counts["/api/v1/campaigns/"][1] <= 4 and counts["/api/v1/senders/"][1] <= 4


def test_admin_changelists_query_count_does_not_grow_with_rows(client, seeded):
    counts = seeded(client.get, ADMIN_LISTS, login=lambda: client.force_login(seeded.staff))
    assert_flat(counts)
    # Before: one query per row for each nullable foreign key shown (actor, client).
    assert counts["/admin/accounts/auditevent/"][1] <= 10 and counts["/admin/messaging/inboundmessage/"][1] <= 8


def test_one_campaigns_and_one_groups_pages_query_count_does_not_grow_with_their_rows(client, client_account):
    """A campaign's page and its messages on the API, a contact group's page: 3 rows or 30."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _key, raw = api_key_create(client=client_account, name="qc")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.force_login(client_account.users.first())
    counts = {}
    for n, start in ((3, 1000000), (30, 2000000)):
        phones = [f"067{start + i:07d}" for i in range(n)]
        campaign = campaign_accept(campaign=campaign_create(client=client_account, sender="TestShop", text="Hi"),
                                   rows=phones)
        group = contact_group_create(client=client_account, name=f"Group {n}")
        contacts_import(client=client_account, group_id=group.pk, rows=phones)
        for name, get, url in [
                ("campaign page", client.get, reverse("campaign_detail", args=[campaign.public_id])),
                ("campaign messages API", api.get, f"/api/v1/campaigns/{campaign.public_id}/messages/"),
                ("campaign API", api.get, f"/api/v1/campaigns/{campaign.public_id}/"),
                ("group page", client.get, reverse("contact_group", args=[group.pk]))]:
            get(url)
            with CaptureQueriesContext(connection) as ctx:
                assert get(url).status_code == 200
            counts.setdefault(name, []).append(len(ctx.captured_queries))
    assert_flat(counts)
