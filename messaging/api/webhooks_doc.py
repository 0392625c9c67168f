"""The status webhooks in the OpenAPI schema (a drf-spectacular postprocessing hook): a section of
the API description with how to verify the signature, the payload as a component, and the
callback under `x-webhooks` (ReDoc shows it; OpenAPI 3.0 has no `webhooks` object)."""

WEBHOOK_DOCS = """

## Status webhooks

Set a webhook URL on the website (API keys → Webhooks) or with `PUT /api/v1/webhook/`, and keep
the signing secret shown there (it is shown once; regenerate it if it is lost, on the website or
with `POST /api/v1/webhook/secret/`). A single send or a campaign may also give its own
`callback_url`. When a message reaches a final status (`delivered`, `undelivered`, `expired`,
`rejected`, `failed`, `cancelled`, `refused`) — and, if you ask for it, `submitted` — smsportal
POSTs JSON `{"events": [...]}` (up to 100 events, of your account only) to the URL.

Headers: `X-Smsportal-Timestamp` (Unix seconds) and
`X-Smsportal-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with your secret>`.
Verify on the raw body, compare in constant time, and refuse timestamps older than 5 minutes:

```python
import hashlib, hmac, time

def verify(secret: str, timestamp: str, raw_body: bytes, signature: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + raw_body,
                                    hashlib.sha256).hexdigest()
    return abs(time.time() - int(timestamp)) < 300 and hmac.compare_digest(expected, signature)
```

Answer 2xx within 5 seconds. Timeouts, network errors, 408, 429 and 5xx are retried with
exponential backoff (30 s, 1 min, 2 min … then hourly) for 24 hours; any other 4xx stops the
retries for those events. Redirects are not followed. Delivery is at least once: dedupe on the
event `id`; the order of events is not guaranteed (compare `occurred_at`). *Send a test event* on
the website POSTs one event of type `webhook.test`.

When a recipient answers one of your sender names by SMS (or writes to your Viber sender), the
same URL gets a `message.inbound` event (`channel` `sms` or `viber`; `stop`: a STOP reply, already
on your stop list). SMS replies are also listed by `GET /api/v1/inbound/` (`inbound_id` is their
`id` there).
"""

_TS = {"type": "string", "format": "date-time"}
_TS_NULL = {"type": "string", "format": "date-time", "nullable": True}

WEBHOOK_EVENT_SCHEMA = {
    "type": "object",
    "required": ["id", "type", "message_id", "recipient", "status", "segments", "price", "occurred_at"],
    "properties": {
        "id": {"type": "string", "format": "uuid", "description": "The event's id: the same on every retry."},
        "type": {"type": "string", "enum": ["message.status", "webhook.test"],
                 "description": "`webhook.test`: sent by *Send a test event* on the website (no message)."},
        "message_id": {"type": "string", "format": "uuid", "description": "The message's id in this API."},
        "campaign_id": {"type": "string", "format": "uuid", "nullable": True},
        "recipient": {"type": "string", "description": "E.164"},
        "sender": {"type": "string"},
        "status": {"type": "string", "enum": ["submitted", "delivered", "undelivered", "expired", "rejected",
                                              "failed", "cancelled", "refused"]},
        "error_code": {"type": "string", "nullable": True},
        "error_detail": {"type": "string", "nullable": True},
        "segments": {"type": "integer"},
        "price": {"$ref": "#/components/schemas/MoneyOutput"},
        "created_at": _TS,
        "submitted_at": _TS_NULL,
        "done_at": _TS_NULL,
        "occurred_at": {**_TS, "description": "When the message reached this status."},
    },
}

WEBHOOK_BODY_SCHEMA = {
    "type": "object",
    "required": ["events"],
    "properties": {"events": {"type": "array", "items": {"$ref": "#/components/schemas/WebhookEvent"}}},
}


WEBHOOK_INBOUND_SCHEMA = {
    "type": "object",
    "required": ["id", "type", "channel", "inbound_id", "sender", "phone", "text", "received_at", "occurred_at"],
    "properties": {
        "id": {"type": "string", "format": "uuid", "description": "The event's id: the same on every retry."},
        "type": {"type": "string", "enum": ["message.inbound"]},
        "channel": {"type": "string", "enum": ["viber", "sms"]},
        "inbound_id": {"type": "string", "description": "Viber: the provider's id of the recipient's message; "
                                                        "SMS: its `id` in `GET /api/v1/inbound/`."},
        "sender": {"type": "string", "description": "Your sender name (Viber or SMS) the recipient wrote to."},
        "phone": {"type": "string", "description": "The recipient who wrote, E.164."},
        "text": {"type": "string"},
        "media_url": {"type": "string", "nullable": True},
        "session_id": {"type": "string", "format": "uuid", "nullable": True,
                       "description": "The chat session it opened or continued (reply with "
                                      "POST /api/v1/viber/sessions/{id}/reply/ for 24 hours)."},
        "reply_to_message_id": {"type": "string", "format": "uuid", "nullable": True,
                                "description": "Your message it answers, when Viber says so."},
        "stop": {"type": "boolean", "description": "A STOP reply: the phone was added to your stop list."},
        "received_at": _TS,
        "occurred_at": _TS,
    },
}


def webhook_docs_hook(result, generator, request, public):
    info = result.setdefault("info", {})
    if WEBHOOK_DOCS not in info.get("description", ""):
        info["description"] = info.get("description", "") + WEBHOOK_DOCS
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("MoneyOutput", {"type": "object", "properties": {
        "amount": {"type": "string"}, "currency": {"type": "string"}}})
    schemas["WebhookEvent"] = WEBHOOK_EVENT_SCHEMA
    schemas["WebhookEvents"] = WEBHOOK_BODY_SCHEMA
    result["x-webhooks"] = {"messageStatus": {"post": {
        "summary": "Message status events (sent by smsportal to your URL)",
        "parameters": [
            {"name": "X-Smsportal-Timestamp", "in": "header", "required": True, "schema": {"type": "string"},
             "description": "Unix seconds when it was signed."},
            {"name": "X-Smsportal-Signature", "in": "header", "required": True, "schema": {"type": "string"},
             "description": 'sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with your webhook secret>'},
        ],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/WebhookEvents"}}}},
        "responses": {"2XX": {"description": "Received: these events are not sent again."},
                      "4XX": {"description": "Refused (except 408 and 429): not retried."},
                      "5XX": {"description": "Retried with exponential backoff for 24 hours."}},
    }}}
    schemas["WebhookInboundEvent"] = WEBHOOK_INBOUND_SCHEMA
    schemas["WebhookInboundEvents"] = {"type": "object", "required": ["events"], "properties": {
        "events": {"type": "array", "items": {"$ref": "#/components/schemas/WebhookInboundEvent"}}}}
    inbound = dict(result["x-webhooks"]["messageStatus"]["post"])
    inbound.update({"summary": "Viber messages from recipients (R-VIB-06), to the same URL, signed the same way",
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/WebhookInboundEvents"}}}}})
    result["x-webhooks"]["messageInbound"] = {"post": inbound}
    return result
