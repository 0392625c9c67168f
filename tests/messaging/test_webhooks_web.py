"""The Webhooks section of the API keys page, and the read-only outbox in the admin."""
import pytest
from django.test.utils import override_settings

from accounts.models import AuditEvent, User
from messaging.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from messaging.services.webhooks import webhook_endpoint_set

pytestmark = pytest.mark.django_db


def test_set_url_shows_the_secret_once_then_masked(web):
    r = web.post("/webhooks/", {"url": "https://hooks.example.com/sms"})
    assert r.status_code == 302 and r["Location"].endswith("/api-keys/#webhooks")
    endpoint = WebhookEndpoint.objects.get(client=web.account)
    page = web.get("/api-keys/").content.decode()
    assert 'id="webhooks"' in page and endpoint.secret in page and "https://hooks.example.com/sms" in page
    again = web.get("/api-keys/").content.decode()
    assert endpoint.secret not in again and "whsec_…" in again
    assert AuditEvent.objects.filter(code="messaging.webhook.set", client=web.account).exists()


def test_regenerate_secret_shows_the_new_one_once(web):
    webhook_endpoint_set(client=web.account, url="https://hooks.example.com/sms")
    old = WebhookEndpoint.objects.get().secret
    r = web.post("/webhooks/secret/")
    assert r.status_code == 302
    new = WebhookEndpoint.objects.get().secret
    assert new != old
    page = web.get("/api-keys/").content.decode()
    assert new in page and old not in page


@override_settings(SMSPORTAL_WEBHOOK_ALLOW_PRIVATE=False)
@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/hook", "ftp://example.com/", "not a url"])
def test_bad_url_is_a_clear_error_not_saved(web, url):
    r = web.post("/webhooks/", {"url": url}, follow=True)
    assert r.status_code == 200
    assert "Webhook URL not saved" in r.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_last_deliveries_with_their_http_status(web):
    webhook_endpoint_set(client=web.account, url="https://hooks.example.com/sms")
    WebhookDelivery.objects.create(client=web.account, url="https://hooks.example.com/sms", events=3, http_status=200)
    WebhookDelivery.objects.create(client=web.account, url="https://hooks.example.com/sms", events=1, http_status=503)
    WebhookDelivery.objects.create(client=web.account, url="https://hooks.example.com/sms", events=1,
                                   error="ConnectionRefusedError: refused")
    page = web.get("/api-keys/").content.decode()
    assert "HTTP 200" in page and "HTTP 503" in page and "no answer" in page


def test_viewer_cannot_change_the_webhook(web):
    viewer = User.objects.create_user("viewer@example.com", "pw-12345-viewer", client=web.account,
                                      role=User.Role.VIEWER)
    web.force_login(viewer)
    r = web.post("/webhooks/", {"url": "https://hooks.example.com/sms"})
    assert r.status_code == 403 and not WebhookEndpoint.objects.exists()


def test_admin_outbox_is_read_only_with_filters(client, client_account):
    webhook_endpoint_set(client=client_account, url="https://hooks.example.com/sms")
    event = WebhookEvent.objects.create(client=client_account, url="https://hooks.example.com/sms",
                                        event="delivered", payload={"status": "delivered"},
                                        created_at="2026-12-01T10:00:00Z")
    staff = User.objects.create_superuser("staff@example.com", "pw-12345-staff")
    client.force_login(staff)
    for url in ["/admin/messaging/webhookevent/", "/admin/messaging/webhookevent/?state__exact=pending",
                "/admin/messaging/webhookdelivery/", "/admin/messaging/webhookendpoint/",
                f"/admin/messaging/webhookevent/{event.pk}/change/"]:
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/messaging/webhookevent/add/").status_code == 403
    page = client.get(f"/admin/messaging/webhookendpoint/{WebhookEndpoint.objects.get().pk}/change/")
    assert WebhookEndpoint.objects.get().secret not in page.content.decode()


def test_send_a_test_event_to_the_webhook_url(web):
    from tests.webhook_receiver import webhook_receiver

    from messaging.services.webhooks import sign, webhooks_deliver

    r = web.post("/webhooks/test/", follow=True)
    assert "Set a webhook URL first" in r.content.decode()
    with webhook_receiver() as rx:
        _e, secret = webhook_endpoint_set(client=web.account, url=rx.url())
        r = web.post("/webhooks/test/")
        assert r.status_code == 302
        assert webhooks_deliver() == 1
    [req] = rx.requests
    assert req["json"]["events"][0]["type"] == "webhook.test"
    h = req["headers"]
    assert h["X-Smsportal-Signature"] == sign(secret, h["X-Smsportal-Timestamp"], req["body"])
    assert "Send a test event" in web.get("/api-keys/").content.decode()
