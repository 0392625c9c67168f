"""The OpenAPI schema and its docs are served offline and describe the send contract."""
import pytest


@pytest.mark.django_db
def test_schema_describes_send_and_campaign_endpoints(client):
    r = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert r.status_code == 200
    schema = r.json()
    assert {"/api/v1/messages/", "/api/v1/messages/{message_id}/", "/api/v1/campaigns/",
            "/api/v1/messages/estimate/"} <= set(schema["paths"])
    send = schema["paths"]["/api/v1/messages/"]["post"]
    assert {"201", "402"} <= set(send["responses"])
    assert schema["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"


@pytest.mark.django_db
def test_docs_page_uses_bundled_assets(client):
    r = client.get("/api/docs/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "swagger-ui" in html and "cdn." not in html and "unpkg" not in html


@pytest.mark.django_db
def test_schema_describes_status_webhooks_and_their_signature(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    assert "X-Smsportal-Signature" in schema["info"]["description"]
    assert "hmac.compare_digest" in schema["info"]["description"]
    event = schema["components"]["schemas"]["WebhookEvent"]
    assert {"message_id", "campaign_id", "recipient", "status", "error_code", "segments", "price",
            "occurred_at"} <= set(event["properties"])
    hook = schema["x-webhooks"]["messageStatus"]["post"]
    assert hook["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/WebhookEvents")
    send = schema["components"]["schemas"]["MessageSendInputRequest"]
    assert "callback_url" in send["properties"]
