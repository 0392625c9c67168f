"""Staff work in the admin: pages load, sender moderation and campaign cancel go through services."""
import pytest

from accounts.models import AuditEvent, User
from messaging.models import Campaign, OperatorPrefix, Route
from senders.models import SenderName
from tests.factories import SenderNameFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = User.objects.create_superuser("staff@example.com", "pw-12345-staff")
    client.force_login(user)
    return client


def test_admin_pages_load(staff, client_account, api):
    api.post("/api/v1/messages/", {"sender": "TestShop", "recipients": ["0671234567"], "text": "hi"}, format="json")
    for url in ["/admin/", "/admin/messaging/message/", "/admin/messaging/route/", "/admin/billing/wallet/",
                "/admin/senders/sendername/", "/admin/accounts/client/", "/admin/messaging/campaign/",
                "/admin/accounts/auditevent/"]:
        assert staff.get(url).status_code == 200, url


def test_r_snd_04_staff_rejects_with_reason_and_it_is_audited(staff, client_account):
    sender = SenderNameFactory(client=client_account, name="NewBrand")
    r = staff.post(f"/admin/senders/sendername/{sender.pk}/reject/", {"reason": ""})
    assert r.status_code == 200 and SenderName.objects.get(pk=sender.pk).status == "pending"
    r = staff.post(f"/admin/senders/sendername/{sender.pk}/reject/", {"reason": "Looks like a bank's name"})
    assert r.status_code == 302
    sender.refresh_from_db()
    assert sender.status == "rejected" and sender.rejection_reason == "Looks like a bank's name"
    assert AuditEvent.objects.filter(code="senders.name.rejected", target="NewBrand").exists()
    r = staff.post("/admin/senders/sendername/?queue=all",
                   {"action": "approve_selected", "_selected_action": [sender.pk]})
    assert r.status_code == 302
    assert SenderName.objects.get(pk=sender.pk).status == "approved"


def test_staff_cancels_a_scheduled_campaign(staff, api):
    import datetime

    from django.utils import timezone

    at = (timezone.now() + datetime.timedelta(hours=2)).isoformat()
    cid = api.post("/api/v1/campaigns/", {"sender": "TestShop", "text": "x", "recipients": ["0671234567"],
                                          "send_at": at}, format="json").json()["id"]
    campaign = Campaign.objects.get(public_id=cid)
    r = staff.post("/admin/messaging/campaign/", {"action": "cancel_selected", "_selected_action": [campaign.pk]})
    assert r.status_code == 302
    assert Campaign.objects.get(pk=campaign.pk).state == "cancelled"
    api.account.wallet.refresh_from_db()
    assert api.account.wallet.balance.amount == 100


def test_staff_sets_up_a_route_with_every_dispatch_field_in_the_admin(staff, route):
    r = staff.get("/admin/messaging/route/add/")
    form = r.content.decode()
    fields = ["host", "port", "system_id", "password", "system_type", "bind_mode", "binds", "tps_limit",
              "window_size", "enquire_link_interval", "alnum_source_ton", "alnum_source_npi", "short_code_source_ton",
              "short_code_source_npi", "numeric_source_ton", "numeric_source_npi", "operators", "prefixes",
              "countries", "priority", "fallback", "receipt_id_format", "is_active"]
    for name in fields:
        assert f'name="{name}"' in form, name
    data = {"name": "kyivstar-main", "is_active": "on", "priority": "10", "fallback": str(route.pk),
            "host": "smsc.example.net", "port": "2776", "system_id": "acme", "password": "pw", "system_type": "CMT",
            "bind_mode": "tx_rx", "binds": "2", "tps_limit": "80", "window_size": "16", "enquire_link_interval": "20",
            "operators": "kyivstar", "prefixes": "+38067, +38068", "countries": "UA", "alnum_source_ton": "5",
            "alnum_source_npi": "0", "short_code_source_ton": "3", "short_code_source_npi": "0",
            "numeric_source_ton": "1", "numeric_source_npi": "1", "receipt_id_format": "hex"}
    r = staff.post("/admin/messaging/route/add/", data)
    assert r.status_code == 302, r.content.decode()[:3000]
    saved = Route.objects.get(name="kyivstar-main")
    assert (saved.bind_mode, saved.binds, saved.tps_limit, saved.window_size, saved.fallback_id) == \
        ("tx_rx", 2, 80, 16, route.pk)
    assert saved.source_address("Acme") == (5, 0, "Acme")
    assert staff.get("/admin/messaging/operatorprefix/").status_code == 200
    r = staff.post("/admin/messaging/operatorprefix/add/", {"prefix": "+38067 12", "operator": " Vodafone "})
    assert r.status_code == 302
    assert OperatorPrefix.objects.get().prefix == "+3806712"
    assert OperatorPrefix.objects.get().operator == "vodafone"


def test_staff_find_parts_in_doubt_by_their_error_code(staff, client_account, route):
    from messaging.models import Message, MessagePart
    from messaging.services import message_send

    message = message_send(client=client_account, sender="TestShop", recipients=["0671234567"], text="hi").messages[0]
    MessagePart.objects.create(message=Message.objects.get(pk=message.pk), seq=1, route=route, status="submitting",
                               error_code="in_doubt")
    r = staff.get("/admin/messaging/messagepart/?error_code=in_doubt")
    assert r.status_code == 200 and "1 message part" in r.content.decode()
    assert staff.get("/admin/messaging/messagepart/?error_code=none").status_code == 200

