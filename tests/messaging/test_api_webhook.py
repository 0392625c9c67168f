"""/api/v1/webhook/: the status webhook's URL, flag and signing secret on the API (owners and members)."""
import pytest
from django.test.utils import override_settings
from rest_framework.test import APIClient

from accounts.models import ApiKey, AuditEvent, User
from accounts.services import api_key_create, team_role_set
from messaging.models import WebhookEndpoint, WebhookEvent
from messaging.services.webhooks import signature_valid, webhook_endpoint_set, webhooks_deliver
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "https://hooks.example.com/sms"


def keyed(raw: str) -> APIClient:
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return c


def test_get_without_a_webhook_says_off_and_no_secret(api):
    r = api.get("/api/v1/webhook/")
    assert r.status_code == 200
    assert r.json() == {"url": None, "submitted_events": False, "has_secret": False, "secret_created_at": None}


def test_first_put_makes_the_secret_and_returns_it_once(api):
    r = api.put("/api/v1/webhook/", {"url": URL, "submitted_events": True}, format="json")
    assert r.status_code == 201
    body = r.json()
    endpoint = WebhookEndpoint.objects.get(client=api.account)
    assert body["secret"] == endpoint.secret and body["secret"].startswith("whsec_")
    assert (body["url"], body["submitted_events"], body["has_secret"]) == (URL, True, True)
    assert AuditEvent.objects.filter(code="messaging.webhook.set", client=api.account, target=URL).exists()
    # Later reads and changes never show it again.
    got = api.get("/api/v1/webhook/")
    assert got.status_code == 200 and "secret" not in got.json() and endpoint.secret not in got.content.decode()
    assert got.json()["url"] == URL and got.json()["submitted_events"] is True and got.json()["has_secret"] is True
    again = api.put("/api/v1/webhook/", {"url": URL + "/v2"}, format="json")
    assert again.status_code == 200 and "secret" not in again.json()
    assert again.json()["submitted_events"] is False  # PUT sets both: an omitted flag is off
    endpoint.refresh_from_db()
    assert endpoint.url == URL + "/v2" and endpoint.secret == body["secret"]


def test_put_empty_url_turns_webhooks_off_and_keeps_the_secret(api):
    webhook_endpoint_set(client=api.account, url=URL)
    secret = WebhookEndpoint.objects.get().secret
    for empty in ("", None):
        r = api.put("/api/v1/webhook/", {"url": empty}, format="json")
        assert r.status_code == 200 and r.json()["url"] is None and r.json()["has_secret"] is True
    assert WebhookEndpoint.objects.get().secret == secret and WebhookEndpoint.objects.get().url == ""


@override_settings(SMSPORTAL_WEBHOOK_ALLOW_PRIVATE=False)
@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/hook", "ftp://example.com/", "not a url",
                                 "https://user:pw@example.com/", "http://localhost/hook", "https://x" * 200])
def test_put_bad_url_is_400_with_the_service_check_not_saved(api, url):
    r = api.put("/api/v1/webhook/", {"url": url}, format="json")
    assert r.status_code == 400
    body = r.json()
    assert body["code"] in ("invalid_callback_url", "invalid") and body["detail"]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("body", [{}, {"submitted_events": True}, {"url": URL, "submitted_events": "maybe"},
                                  {"url": 5}, []])
def test_put_malformed_body_is_400_json(api, body):
    r = api.put("/api/v1/webhook/", body, format="json")
    assert r.status_code == 400 and {"code", "detail"} <= set(r.json())
    assert not WebhookEndpoint.objects.exists()


def test_regenerate_returns_the_new_secret_once_and_it_signs(api, settings):
    settings.SMSPORTAL_WEBHOOK_ALLOW_PRIVATE = True
    webhook_endpoint_set(client=api.account, url=URL)
    old = WebhookEndpoint.objects.get().secret
    r = api.post("/api/v1/webhook/secret/")
    assert r.status_code == 200
    new = r.json()["secret"]
    assert new != old and new == WebhookEndpoint.objects.get().secret and r.json()["url"] == URL
    assert old not in r.content.decode()
    assert "secret" not in api.get("/api/v1/webhook/").json()
    assert AuditEvent.objects.filter(code="messaging.webhook.secret_regenerated", client=api.account).exists()


def test_regenerate_without_a_webhook_makes_one_without_url(api):
    r = api.post("/api/v1/webhook/secret/")
    assert r.status_code == 200 and r.json()["secret"].startswith("whsec_") and r.json()["url"] is None
    assert WebhookEndpoint.objects.get(client=api.account).url == ""


def test_delete_removes_url_and_secret_then_404(api):
    webhook_endpoint_set(client=api.account, url=URL)
    r = api.delete("/api/v1/webhook/")
    assert r.status_code == 204 and not WebhookEndpoint.objects.exists()
    assert AuditEvent.objects.filter(code="messaging.webhook.deleted", client=api.account, target=URL).exists()
    assert api.get("/api/v1/webhook/").json()["has_secret"] is False
    again = api.delete("/api/v1/webhook/")
    assert again.status_code == 404 and again.json()["code"] == "webhook_not_configured"


def test_delete_fails_waiting_events_instead_of_sending_them_unsigned(api):
    webhook_endpoint_set(client=api.account, url=URL)
    from django.utils import timezone
    WebhookEvent.objects.create(client=api.account, url=URL, event="test", next_attempt_at=timezone.now(),
                                created_at=timezone.now(), payload={"type": "webhook.test"})
    assert api.delete("/api/v1/webhook/").status_code == 204
    assert webhooks_deliver() == 0
    assert WebhookEvent.objects.get().state == WebhookEvent.State.FAILED


def test_delete_then_callback_url_needs_a_new_secret(api):
    webhook_endpoint_set(client=api.account, url=URL)
    api.delete("/api/v1/webhook/")
    r = api.post("/api/v1/messages/", {"sender": "TestShop", "recipients": ["0671234567"], "text": "hi",
                                       "callback_url": URL}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "webhook_not_configured"


def test_the_secret_of_the_api_signs_the_deliveries(api, settings):
    """What PUT returns is what verifies the signature of the POSTs (the README's check)."""
    from messaging.services.webhooks import sign
    secret = api.put("/api/v1/webhook/", {"url": URL}, format="json").json()["secret"]
    assert signature_valid(secret, "1700000000", b"{}", sign(WebhookEndpoint.objects.get().secret, 1700000000, b"{}"),
                           now=1700000000)


@pytest.mark.parametrize("method,path", [("get", "/api/v1/webhook/"), ("put", "/api/v1/webhook/"),
                                         ("delete", "/api/v1/webhook/"), ("post", "/api/v1/webhook/secret/")])
def test_no_key_is_401_json(client_account, method, path):
    r = getattr(APIClient(), method)(path, {"url": URL}, format="json")
    assert r.status_code == 401 and r.json()["code"] in ("not_authenticated", "authentication_failed")


def test_a_viewers_key_is_403_for_every_webhook_call_and_changes_nothing(client_account):
    """A key whose creator is now a viewer (the team service revokes those; this is the same rule
    at the API's door for any key that slipped through)."""
    viewer = UserFactory(client=client_account, role=User.Role.VIEWER)
    _key, raw = api_key_create(client=client_account, name="viewer's", created_by=viewer)
    c = keyed(raw)
    webhook_endpoint_set(client=client_account, url=URL)
    before = WebhookEndpoint.objects.values_list("url", "secret").get()
    for method, path in [("get", "/api/v1/webhook/"), ("put", "/api/v1/webhook/"),
                         ("post", "/api/v1/webhook/secret/"), ("delete", "/api/v1/webhook/")]:
        r = getattr(c, method)(path, {"url": "https://evil.example.com/"}, format="json")
        assert r.status_code == 403, (method, path)
        assert r.json()["code"] == "permission_denied" and "viewer" in r.json()["detail"]
    assert WebhookEndpoint.objects.values_list("url", "secret").get() == before
    assert c.get("/api/v1/balance/").status_code == 200  # the key still reads what viewers may


def test_members_and_owners_keys_and_keys_without_a_creator_may(client_account):
    owner = client_account.users.get(role=User.Role.OWNER)
    member = UserFactory(client=client_account, role=User.Role.MEMBER)
    for creator in (owner, member, None):
        _key, raw = api_key_create(client=client_account, name=f"k{creator}", created_by=creator)
        assert keyed(raw).put("/api/v1/webhook/", {"url": URL}, format="json").status_code in (200, 201)


def test_a_removed_members_key_is_refused(client_account):
    member = UserFactory(client=client_account, role=User.Role.MEMBER)
    _key, raw = api_key_create(client=client_account, name="member's", created_by=member)
    User.objects.filter(pk=member.pk).update(is_active=False)  # as if the revoke had not happened
    assert keyed(raw).get("/api/v1/webhook/").status_code == 403


def test_demoting_the_creator_revokes_the_key_so_the_api_says_401(client_account):
    owner = client_account.users.get(role=User.Role.OWNER)
    member = UserFactory(client=client_account, role=User.Role.MEMBER)
    _key, raw = api_key_create(client=client_account, name="member's", created_by=member)
    assert keyed(raw).get("/api/v1/webhook/").status_code == 200
    team_role_set(client=client_account, user_id=member.pk, role="viewer", actor=owner)
    assert ApiKey.objects.get(name="member's").revoked_at is not None
    assert keyed(raw).get("/api/v1/webhook/").status_code == 401


def test_another_clients_webhook_is_never_shown_or_changed(api):
    from tests.factories import make_client
    other = make_client(name="Other LLC", email="other@example.com")
    webhook_endpoint_set(client=other, url="https://other.example.com/hook")
    assert api.get("/api/v1/webhook/").json()["url"] is None
    assert api.delete("/api/v1/webhook/").status_code == 404
    api.put("/api/v1/webhook/", {"url": URL}, format="json")
    assert WebhookEndpoint.objects.get(client=other).url == "https://other.example.com/hook"


def test_schema_documents_the_webhook_endpoints(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert {"get", "put", "delete"} <= set(paths["/api/v1/webhook/"])
    assert "post" in paths["/api/v1/webhook/secret/"]
    put = paths["/api/v1/webhook/"]["put"]
    assert {"200", "201", "400", "403"} <= set(put["responses"])
    out = schema["components"]["schemas"]
    assert "secret" not in out["WebhookOutput"]["properties"]
    assert {"url", "submitted_events", "has_secret"} <= set(out["WebhookOutput"]["properties"])
    assert "secret" in out["WebhookSecretOutput"]["properties"]


@pytest.mark.django_db(transaction=True)
def test_two_first_puts_at_once_make_one_webhook_and_one_secret(client_account):
    """Two first saves race (two scripts, or the website and a script): one endpoint, one of them
    gets the new secret, the other a plain 200, never a 500."""
    import threading

    from django.db import connection

    _key, raw = api_key_create(client=client_account, name="race")
    barrier, answers = threading.Barrier(2), []

    def put(url):
        try:
            c = keyed(raw)
            barrier.wait()
            answers.append(c.put("/api/v1/webhook/", {"url": url}, format="json"))
        finally:
            connection.close()

    threads = [threading.Thread(target=put, args=(f"{URL}/{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in answers) == [200, 201]
    [created] = [r.json() for r in answers if r.status_code == 201]
    assert WebhookEndpoint.objects.get(client=client_account).secret == created["secret"]
