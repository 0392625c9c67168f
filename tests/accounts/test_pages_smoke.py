"""Every account and sender page answers for every role and state without a server error."""
import pytest
from django.urls import reverse

from accounts.services import api_key_create, client_termination_request
from lifecycle.services import client_block
from senders.models import SenderName
from tests.factories import SenderNameFactory, UserFactory

pytestmark = pytest.mark.django_db
PAGES = ["dashboard", "message_list", "message_statistics", "message_send", "campaign_list", "campaign_new",
         "contact_groups", "sender_list", "api_key_list", "account_profile", "account_team", "account_block",
         "billing_overview", "account_change_password", "account_change_phone", "mfa_index",
         "account_reset_password", "account_reset_password_phone"]


@pytest.mark.parametrize("role", ["owner", "member", "viewer"])
@pytest.mark.parametrize("state", ["active", "blocked", "terminating"])
def test_pages_answer_without_server_error(client, client_account, role, state):
    user = client_account.users.get() if role == "owner" else UserFactory(client=client_account, role=role)
    api_key_create(client=client_account, name="k")
    sender = SenderName.objects.get(client=client_account)
    if state == "blocked":
        client_block(client=client_account, reason="Complaint", notify=False)
    elif state == "terminating":
        client_termination_request(client=client_account)
    client.force_login(user)
    for name in PAGES:
        r = client.get(reverse(name))
        assert r.status_code in (200, 302, 403), (name, r.status_code)
    assert client.get(reverse("sender_detail", args=[sender.public_id])).status_code == 200


def test_admin_pages_of_accounts_and_senders_answer(staff_browser, client_account):
    SenderNameFactory(client=client_account, name="PendingOne")
    client_block(client=client_account, reason="Complaint", notify=False)
    sender = SenderName.objects.filter(client=client_account).first()
    for url in ["/admin/accounts/client/", f"/admin/accounts/client/{client_account.pk}/change/",
                f"/admin/accounts/client/{client_account.pk}/unblock/",
                f"/admin/accounts/client/{client_account.pk}/block-linked/",
                f"/admin/accounts/client/{client_account.pk}/terminate/",
                f"/admin/accounts/client/{client_account.pk}/contract/",
                "/admin/accounts/clientblock/", "/admin/accounts/auditevent/", "/admin/accounts/apikey/",
                "/admin/accounts/accountssettings/", "/admin/accounts/user/", "/admin/senders/sendername/",
                f"/admin/senders/sendername/{sender.pk}/change/", f"/admin/senders/sendername/{sender.pk}/reject/",
                "/admin/senders/sendername/national-list/", "/admin/senders/nameword/",
                "/admin/senders/firstnameallowance/add/"]:
        r = staff_browser.get(url)
        assert r.status_code == 200, (url, r.status_code)


@pytest.mark.parametrize("name,data", [
    ("account_team", {"action": "role", "user": "abc", "role": "owner"}),
    ("account_team", {"action": "role", "user": "999999", "role": "boss"}),
    ("account_team", {"action": "remove", "user": ""}),
    ("account_team", {"action": "revoke", "invitation": "x"}),
    ("account_team", {"action": "invite", "email": "not-an-email", "role": "owner"}),
    ("account_team", {"action": "unknown"}),
    ("account_termination", {}),
    ("account_termination", {"action": "cancel"}),
    ("account_contract_request", {}),
    ("account_block", {"text": "Nothing is blocked, but here is some text"}),
    ("account_profile", {"legal_form": "alien", "tax_code": "x" * 50, "documents_email": "nope"}),
    ("api_key_list", {"name": "x" * 500}),
    ("message_statistics", {}),
])
def test_bad_posts_are_clear_answers_not_server_errors(web, name, data):
    r = web.post(reverse(name), data)
    assert r.status_code in (200, 302, 400, 403, 404, 405), (name, r.status_code)
    if r.status_code == 302:
        page = web.get(r["Location"])
        assert page.status_code == 200
