"""Team roles on the website and the API: owner, member (sends), viewer (statistics only)."""
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiKey, AuditEvent
from accounts.services import api_key_create, team_member_remove, team_role_set
from messaging.models import Contact, ContactGroup, Message
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
SEND = {"sender": "TestShop", "recipients": "+380671234567", "text": "Hello", "token": "0" * 32}


@pytest.fixture
def viewer(client, client_account):
    user = UserFactory(client=client_account, role="viewer")
    client.force_login(user)
    return user


def test_viewer_cannot_send_from_the_website(client, viewer):
    r = client.get(reverse("message_send"))
    assert r.status_code == 403 and "owner, member" in r.content.decode()
    assert client.post(reverse("message_send"), SEND).status_code == 403
    assert client.post(reverse("sender_request"), {"name": "Kvitka"}).status_code == 403
    assert client.get(reverse("campaign_new")).status_code == 403
    assert not Message.objects.exists()


def test_viewer_sees_statistics_and_message_status_not_contacts(client, viewer, client_account):
    group = ContactGroup.objects.create(client=client_account, name="VIP")
    Contact.objects.create(group=group, phone="+380501112233", name="Olena")
    for name in ("dashboard", "message_list", "campaign_list", "message_statistics", "sender_list"):
        assert client.get(reverse(name)).status_code == 200, name
    assert client.get(reverse("contact_groups")).status_code == 403
    assert client.get(reverse("contact_group", args=[group.pk])).status_code == 403
    assert client.post(reverse("contact_group_delete", args=[group.pk])).status_code == 403
    assert ContactGroup.objects.filter(pk=group.pk).exists()


def test_member_sends_from_the_website(client, client_account):
    client.force_login(UserFactory(client=client_account, role="member"))
    assert client.get(reverse("message_send")).status_code == 200
    assert client.get(reverse("contact_groups")).status_code == 200


def test_key_of_a_member_stops_when_the_member_becomes_a_viewer(client_account):
    owner = client_account.users.get(role="owner")
    member = UserFactory(client=client_account, role="member")
    mine, mine_raw = api_key_create(client=client_account, name="member's", created_by=member)
    theirs, theirs_raw = api_key_create(client=client_account, name="owner's", created_by=owner)
    team_role_set(client=client_account, user_id=member.pk, role="viewer", actor=owner)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {mine_raw}")
    r = api.post("/api/v1/messages/", {"sender": "TestShop", "recipients": ["+380671234567"], "text": "x"},
                 format="json")
    assert r.status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {theirs_raw}")
    assert api.get("/api/v1/balance/").status_code == 200
    assert AuditEvent.objects.filter(code="accounts.api_key.revoked", target=mine.prefix).exists()


def test_key_of_a_removed_member_stops_and_the_owner_is_told(web):
    member = UserFactory(client=web.account, role="member")
    key, _ = api_key_create(client=web.account, name="crm", created_by=member)
    r = web.post(reverse("account_team"), {"action": "remove", "user": member.pk}, follow=True)
    assert "1 API key they created stopped working" in r.content.decode()
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None


def test_viewer_role_needs_no_key_change_for_an_owner_to_member_move(client_account):
    owner = client_account.users.get(role="owner")
    second = UserFactory(client=client_account, role="owner")
    key, _ = api_key_create(client=client_account, name="k", created_by=second)
    team_role_set(client=client_account, user_id=second.pk, role="member", actor=owner)
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None  # a member may still send
    team_member_remove(client=client_account, user_id=second.pk, actor=owner)
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
