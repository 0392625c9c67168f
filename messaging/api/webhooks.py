"""The delivery-status webhook's configuration on the API: /api/v1/webhook/ and its secret.

The same services as the Webhooks section of the website's API keys page; the signing secret is
never read back: it is in the answer only when it is made (the first PUT, or a regenerate).
"""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import IsOwnerOrMember
from smsportal.api_schema import ERRORS

from ..models import WebhookEndpoint
from ..selectors import webhook_endpoint_get
from ..services.webhooks import webhook_endpoint_delete, webhook_endpoint_set, webhook_secret_regenerate


class WebhookInput(serializers.Serializer):
    url = serializers.CharField(max_length=500, allow_blank=True, allow_null=True, trim_whitespace=False,
                                help_text="Where status events are POSTed (http or https, reachable from the "
                                          "internet). Empty or null turns webhooks off and keeps the secret.")
    submitted_events = serializers.BooleanField(default=False,
                                                help_text="Also an event when a message reaches the operator.")


class WebhookOutput(serializers.Serializer):
    url = serializers.CharField(allow_null=True, help_text="null: webhooks are off.")
    submitted_events = serializers.BooleanField()
    has_secret = serializers.BooleanField(help_text="A signing secret exists (it is never shown again).")
    secret_created_at = serializers.DateTimeField(allow_null=True)


class WebhookSecretOutput(WebhookOutput):
    secret = serializers.CharField(help_text="The signing secret, shown this once: store it now.")


def webhook_json(endpoint: WebhookEndpoint | None, *, secret: str | None = None) -> dict:
    body = {
        "url": (endpoint.url or None) if endpoint else None,
        "submitted_events": endpoint.submitted_events if endpoint else False,
        "has_secret": endpoint is not None,
        "secret_created_at": endpoint.secret_created_at.isoformat()
        if endpoint and endpoint.secret_created_at else None,
    }
    if secret:
        body["secret"] = secret
    return body


_SIGNING = ("Events are signed with HMAC-SHA256 of `<X-Smsportal-Timestamp>.<raw body>` under the secret "
            "(`X-Smsportal-Signature: sha256=<hex>`); see the `message.status` webhook.")


class WebhookApi(APIView):
    """GET / PUT / DELETE /api/v1/webhook/ — the account's status webhook (owners and members)."""

    permission_classes = [IsOwnerOrMember]

    @extend_schema(operation_id="webhook_get", responses={200: WebhookOutput, **ERRORS},
                   description="The webhook URL, whether submitted events are wanted, and whether a signing "
                               "secret exists (never the secret). Without a webhook: url null, has_secret false.")
    def get(self, request):
        return Response(webhook_json(webhook_endpoint_get(client=request.user.client)))

    @extend_schema(operation_id="webhook_set", request=WebhookInput,
                   responses={200: WebhookOutput, 201: WebhookSecretOutput, **ERRORS},
                   description="Sets the webhook URL and the submitted-events flag. The first time, a signing "
                               "secret is made and returned once in `secret` (201); later calls answer 200 "
                               "without it. A URL that is not http(s), names a private or local address, or "
                               "carries a user name answers 400 `invalid_callback_url`. " + _SIGNING)
    def put(self, request):
        data = WebhookInput(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint, raw = webhook_endpoint_set(client=request.user.client, url=data.validated_data["url"] or "",
                                             submitted_events=data.validated_data["submitted_events"])
        return Response(webhook_json(endpoint, secret=raw),
                        status=status.HTTP_201_CREATED if raw else status.HTTP_200_OK)

    @extend_schema(operation_id="webhook_delete", responses={204: None, **ERRORS},
                   description="Removes the webhook URL and its signing secret (404 `webhook_not_configured` "
                               "when there is none). Events still waiting are not delivered; a send's "
                               "`callback_url` needs a new secret first.")
    def delete(self, request):
        webhook_endpoint_delete(client=request.user.client)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookSecretApi(APIView):
    """POST /api/v1/webhook/secret/ — a new signing secret, returned once."""

    permission_classes = [IsOwnerOrMember]

    @extend_schema(operation_id="webhook_secret_regenerate", request=None,
                   responses={200: WebhookSecretOutput, **ERRORS},
                   description="Makes a new signing secret and returns it once in `secret`; the old one stops "
                               "signing at once. Without a webhook yet, makes one with no URL. Retrying is "
                               "safe without an Idempotency-Key (none is used here: the secret is never stored "
                               "to be shown again): only the secret of the last answer signs. " + _SIGNING)
    def post(self, request):
        endpoint, raw = webhook_secret_regenerate(client=request.user.client)
        return Response(webhook_json(endpoint, secret=raw))
