"""POST /viber/webhook/: the Viber provider's signed status and inbound events (messaging.viber.signing)."""
from __future__ import annotations

import logging

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .dispatch import events_apply
from .provider import WebhookInvalid, WebhookMalformed
from .webhooks import webhook_parse

log = logging.getLogger("smsportal.viber")
MAX_BODY = 2 * 1024 * 1024


@csrf_exempt
@require_POST
def viber_webhook(request):
    """Verifies the signature on the raw body (401 when it, its time or its nonce is refused; 400
    when the body is not an event list), then applies the events: each once, statuses only
    forward. 200 `{"applied", "inbound", "fallbacks"}`."""
    raw = request.body[:MAX_BODY + 1]
    if len(raw) > MAX_BODY:
        return JsonResponse({"code": "viber_webhook_too_large", "detail": "The webhook body is too large."}, status=413)
    try:
        events = webhook_parse(raw_body=raw, headers=request.headers)
    except WebhookMalformed as exc:
        return JsonResponse({"code": exc.code, "detail": exc.detail}, status=400)
    except WebhookInvalid as exc:
        status = 503 if exc.code == "viber_webhook_not_configured" else 401
        return JsonResponse({"code": exc.code, "detail": exc.detail}, status=status)
    return JsonResponse(events_apply(events))
