"""The integrator's message list, its CSV export, a message's cancel, and the inbound SMS list.

GET  /api/v1/messages/                 filters, keyset cursor (`next_cursor`), `?format=csv` streamed
POST /api/v1/messages/<id>/cancel/     scheduled, queued or pending_review → cancelled (hold released)
GET  /api/v1/inbound/                  SMS replies to the client's sender names
"""
import uuid
from datetime import datetime

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from smsportal import boundary
from smsportal.api_schema import ERRORS, ErrorOutput
from smsportal.errors import NotFound
from smsportal.phones import normalize_phone

from .. import cursors
from ..cursors import cursor_encode
from ..exports import HEADER as EXPORT_HEADER
from ..exports import csv_response
from ..models import Channel
from ..selectors import inbound_for_client, inbound_page, messages_filtered, messages_page
from ..services.cancel import message_cancel
from ..services.inbound import is_stop_reply
from ..status import Status
from .serializers import MessageOutput, message_json

PAGE_DEFAULT, PAGE_MAX = 100, 1000


def cursor_decode(raw: str):
    """(datetime, id) of a `next_cursor`, or a 400 naming `cursor`."""
    try:
        return cursors.cursor_decode(raw)
    except cursors.BadCursor:
        raise ValidationError({"cursor": ["Not a cursor of this list: pass `next_cursor` as it came."]}) from None


class _PageInput(serializers.Serializer):
    cursor = serializers.CharField(required=False, max_length=200,
                                   help_text="`next_cursor` of the previous page (absent: the newest first).")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=PAGE_MAX, default=PAGE_DEFAULT,
                                     help_text=f"Rows a page, 1 to {PAGE_MAX} (default {PAGE_DEFAULT}).")


class MessageListInput(_PageInput):
    status = serializers.ChoiceField(choices=Status.values, required=False)
    sender = serializers.CharField(required=False, max_length=20)
    recipient = serializers.CharField(required=False, max_length=40, help_text="E.164, exact.")
    campaign = serializers.UUIDField(required=False, help_text="A campaign's id: its messages only.")
    channel = serializers.ChoiceField(choices=Channel.values, required=False)
    created_from = boundary.DateTimeField(required=False, help_text="Created at or after (ISO 8601).")
    created_to = boundary.DateTimeField(required=False, help_text="Created before (ISO 8601).")
    format = serializers.ChoiceField(choices=["json", "csv"], required=False, default="json")


class MessageListOutput(serializers.Serializer):
    messages = MessageOutput(many=True)
    next_cursor = serializers.CharField(allow_null=True, help_text="Pass as `cursor` for the next page; null "
                                                                   "on the last one.")


def _query_parameters(serializer_class, skip=()):
    """The input serializer's fields as documented query parameters (it is the contract)."""
    out = []
    for name, field in serializer_class().fields.items():
        if name in skip:
            continue
        kind = {serializers.IntegerField: int, serializers.UUIDField: uuid.UUID,
                boundary.DateTimeField: datetime}.get(type(field), str)
        enum = list(field.choices) if isinstance(field, serializers.ChoiceField) else None
        out.append(OpenApiParameter(name, kind, required=False, enum=enum, description=str(field.help_text or "")))
    return out


class MessageListApi(APIView):
    """GET /api/v1/messages/ — the client's messages, newest first, with filters and a cursor."""

    def perform_content_negotiation(self, request, force=False):
        # `?format=csv` is this view's own export (a streamed response), not a DRF renderer:
        # everything else, errors included, is JSON.
        if "format" in request.query_params:  # the input serializer checks its value (400)
            return JSONRenderer(), JSONRenderer.media_type
        return super().perform_content_negotiation(request, force)

    @extend_schema(
        operation_id="messages_list",
        parameters=_query_parameters(MessageListInput),
        responses={200: MessageListOutput, (200, "text/csv"): str, **ERRORS},
        description="Your messages, newest first, narrowed by the filters, a page at a time: pass `next_cursor` "
                    "as `cursor` for the next page (pages stay as fast however deep you go; rows sent meanwhile "
                    "never shift a page). `format=csv` streams every message the filters select as one CSV file "
                    f"(no paging; columns {', '.join(EXPORT_HEADER)}; times in Kyiv time).")
    def get(self, request):
        data = MessageListInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        recipient = d.get("recipient", "")
        recipient = (normalize_phone(recipient) or recipient) if recipient else ""
        qs = messages_filtered(client=request.user.client, status=d.get("status"), sender=d.get("sender", ""),
                               recipient=recipient, campaign_public_id=d.get("campaign"),
                               channel=d.get("channel", ""), created_from=d.get("created_from"),
                               created_to=d.get("created_to"))
        if d["format"] == "csv":
            return csv_response(qs)
        after = cursor_decode(d["cursor"]) if d.get("cursor") else None
        # A Viber message's details (and its SMS leg) in two queries per page, not two per message;
        # fetched after the keyset query, which keeps its index plan.
        rows, key = messages_page(qs.prefetch_related("viber__fallback_message"), after=after, limit=d["limit"])
        return Response({"messages": [message_json(m) for m in rows], "next_cursor": cursor_encode(key)})




class MessageCancelApi(APIView):
    """POST /api/v1/messages/<id>/cancel/"""

    @extend_schema(
        operation_id="messages_cancel", request=None,
        responses={200: MessageOutput, 409: ErrorOutput, **ERRORS},
        description="Cancels a message that has not gone to the operator yet (`scheduled`, `queued` or "
                    "`pending_review`): it becomes `cancelled`, its reserved price is released to your balance "
                    "and a `cancelled` webhook event is sent. A message that already went out (or is finished) "
                    "is 409 `not_cancellable` (with its `status`); another account's id is 404.")
    def post(self, request, message_id):
        try:
            public_id = uuid.UUID(message_id)
        except ValueError:
            raise NotFound("No message with this id.") from None
        key = getattr(request.user, "api_key", None)
        message = message_cancel(client=request.user.client, public_id=public_id,
                                 actor=key.created_by if key is not None else None)
        return Response(message_json(message))


class InboundListInput(_PageInput):
    phone = serializers.CharField(required=False, max_length=32, help_text="The sender's phone, as received.")
    sender = serializers.CharField(required=False, max_length=32, help_text="Your sender name it answered.")
    received_from = boundary.DateTimeField(required=False)
    received_to = boundary.DateTimeField(required=False)


class InboundOutput(serializers.Serializer):
    id = serializers.IntegerField()
    phone = serializers.CharField(help_text="Who wrote (as the operator gave it, usually E.164 digits).")
    sender = serializers.CharField(help_text="Your sender name (or number) it was sent to.")
    text = serializers.CharField()
    stop = serializers.BooleanField(help_text="A STOP / СТОП reply: the number was put on your stop list.")
    received_at = serializers.DateTimeField()


class InboundListOutput(serializers.Serializer):
    inbound = InboundOutput(many=True)
    next_cursor = serializers.CharField(allow_null=True)


def inbound_json(m) -> dict:
    return {"id": m.pk, "phone": m.source, "sender": m.destination, "text": m.text, "stop": is_stop_reply(m.text),
            "received_at": m.received_at.isoformat()}


class InboundListApi(APIView):
    """GET /api/v1/inbound/ — SMS replies to the client's sender names, newest first."""

    @extend_schema(
        operation_id="inbound_list", parameters=_query_parameters(InboundListInput),
        responses={200: InboundListOutput, **ERRORS},
        description="SMS your recipients sent to your sender names (replies), newest first, a page at a time "
                    "(`next_cursor`). A STOP reply (`stop`) has already put its number on your stop list. "
                    "With a webhook, each reply is also POSTed as a `message.inbound` event (`channel` `sms`).")
    def get(self, request):
        data = InboundListInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        qs = inbound_for_client(client=request.user.client, source=d.get("phone", ""), destination=d.get("sender", ""),
                                received_from=d.get("received_from"), received_to=d.get("received_to"))
        after = cursor_decode(d["cursor"]) if d.get("cursor") else None
        rows, key = inbound_page(qs, after=after, limit=d["limit"])
        return Response({"inbound": [inbound_json(m) for m in rows], "next_cursor": cursor_encode(key)})
