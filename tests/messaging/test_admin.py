"""Staff work in the admin: pages load, sender moderation and campaign cancel go through services."""
import pytest

from accounts.models import AuditEvent, User
from messaging.models import Campaign
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
    r = staff.post("/admin/senders/sendername/", {"action": "approve_selected", "_selected_action": [sender.pk]})
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
