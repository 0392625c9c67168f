"""The Viber templates (R-VIB-05) and chat sessions (R-VIB-06) over the API:

- `GET/POST /api/v1/viber/templates/`, `GET/DELETE /api/v1/viber/templates/<id>/`
- `GET /api/v1/viber/sessions/` (threads), `GET /api/v1/viber/sessions/<id>/` (its messages),
  `POST /api/v1/viber/sessions/<id>/reply/`
"""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from smsportal.api_schema import ERRORS, ErrorOutput, MoneyOutput, idempotency_key_parameter

from ..api.idempotency import IdempotentPostMixin

from ..models import ViberTemplate
from .sessions import (SessionNotFound, session_allowance, session_get, session_reply, session_thread,
                       sessions_for_client)
from .templates import TemplateNotFound, template_delete, template_get, template_submit, templates_for_client

SESSION_PAGE = 100


# --- templates --------------------------------------------------------------------------------

class TemplateInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    text = serializers.CharField(max_length=1000, help_text="Fixed words with {placeholders}, e.g. "
                                                            "\"Order {number} is ready for pickup at {address}.\"")


class TemplateOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()
    text = serializers.CharField()
    state = serializers.ChoiceField(choices=ViberTemplate.State.choices,
                                    help_text="new → under_review → approved or rejected (Viber decides).")
    rejection_reason = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)


class TemplateListOutput(serializers.Serializer):
    templates = TemplateOutput(many=True)


class ViberTemplateListCreateApi(IdempotentPostMixin, APIView):
    """GET /api/v1/viber/templates/ · POST /api/v1/viber/templates/"""

    idempotency_endpoint = "viber-templates.create"

    @extend_schema(operation_id="viber_templates_list", responses={200: TemplateListOutput, **ERRORS},
                   description="The account's transactional Viber templates with their state (R-VIB-05).")
    def get(self, request):
        templates = templates_for_client(client=request.user.client)
        return Response(TemplateListOutput({"templates": templates}).data)

    @extend_schema(operation_id="viber_templates_create", request=TemplateInput,
                   responses={201: TemplateOutput, 409: ErrorOutput, **ERRORS},
                   parameters=[idempotency_key_parameter("the template")],
                   description="Submits a template for Viber's approval (state new). A transactional Viber message "
                               "must fill an approved template: each {placeholder} stands for any non-empty text. "
                               "400 template_invalid (unbalanced braces, only placeholders, …), 409 "
                               "template_duplicate.")
    def post(self, request):
        data = TemplateInput(data=request.data)
        data.is_valid(raise_exception=True)
        template = template_submit(client=request.user.client, **data.validated_data)
        return Response(TemplateOutput(template).data, status=status.HTTP_201_CREATED)


class ViberTemplateDetailApi(APIView):
    """GET / DELETE /api/v1/viber/templates/<id>/"""

    def _get(self, request, template_id):
        template = template_get(client=request.user.client, public_id=template_id)
        if template is None:
            raise TemplateNotFound()
        return template

    @extend_schema(operation_id="viber_templates_retrieve", responses={200: TemplateOutput, **ERRORS})
    def get(self, request, template_id):
        return Response(TemplateOutput(self._get(request, template_id)).data)

    @extend_schema(operation_id="viber_templates_destroy", responses={204: None, 409: ErrorOutput, **ERRORS},
                   description="Deletes a template; one that messages were sent with stays (409 template_in_use).")
    def delete(self, request, template_id):
        template = self._get(request, template_id)
        template_delete(client=request.user.client, public_id=template.public_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- sessions ---------------------------------------------------------------------------------

class SessionOutput(serializers.Serializer):
    id = serializers.UUIDField()
    sender = serializers.CharField()
    recipient = serializers.CharField()
    opened_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    open = serializers.BooleanField()
    seconds_left = serializers.IntegerField()
    replies_sent = serializers.IntegerField()
    replies_left = serializers.IntegerField(help_text="Of 60 per session.")
    in_a_row_left = serializers.IntegerField(help_text="Of 5 in a row without a recipient message.")
    unread = serializers.IntegerField()
    last_message_at = serializers.DateTimeField(allow_null=True)
    charged = serializers.BooleanField(help_text="The session is charged at the first reply, once.")
    price = MoneyOutput(allow_null=True)


class SessionListOutput(serializers.Serializer):
    sessions = SessionOutput(many=True)


class ThreadMessageOutput(serializers.Serializer):
    id = serializers.CharField(help_text="A reply's message id, or the provider's id of a recipient message.")
    direction = serializers.ChoiceField(choices=["in", "out"])
    text = serializers.CharField(allow_blank=True)
    image_url = serializers.CharField(allow_blank=True)
    at = serializers.DateTimeField()
    status = serializers.CharField(allow_blank=True, help_text="A reply's status; empty for a recipient message.")


class SessionDetailOutput(SessionOutput):
    messages = ThreadMessageOutput(many=True)


class ReplyInput(serializers.Serializer):
    text = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    image_url = serializers.CharField(max_length=500, required=False, allow_blank=True, default="",
                                      help_text="An https:// JPG or PNG; a reply is a text or an image.")


class ReplyOutput(serializers.Serializer):
    message_id = serializers.UUIDField()
    status = serializers.CharField()
    session = SessionOutput()


def session_json(session) -> dict:
    allowance = session_allowance(session)
    price = ({"amount": str(session.price.amount), "currency": str(session.price.currency)}
             if session.price is not None else None)
    return {"id": session.public_id, "sender": session.sender, "recipient": session.recipient,
            "opened_at": session.opened_at, "expires_at": session.expires_at, "open": allowance.open,
            "seconds_left": allowance.seconds_left, "replies_sent": session.client_messages,
            "replies_left": allowance.replies_left, "in_a_row_left": allowance.in_a_row_left,
            "unread": session.unread, "last_message_at": session.last_message_at,
            "charged": session.charged_at is not None, "price": price}


def _session_or_404(request, session_id):
    session = session_get(client=request.user.client, public_id=session_id)
    if session is None:
        raise SessionNotFound()
    return session


class ViberSessionListApi(APIView):
    """GET /api/v1/viber/sessions/"""

    @extend_schema(operation_id="viber_sessions_list", responses={200: SessionListOutput, **ERRORS},
                   description="Chat sessions (threads), the latest activity first (at most 100): a recipient opens "
                               "one by writing to your Viber sender; it lasts 24 hours (R-VIB-06).")
    def get(self, request):
        sessions = sessions_for_client(client=request.user.client)[:SESSION_PAGE]
        return Response(SessionListOutput({"sessions": [session_json(s) for s in sessions]}).data)


class ViberSessionDetailApi(APIView):
    """GET /api/v1/viber/sessions/<id>/"""

    @extend_schema(operation_id="viber_sessions_retrieve", responses={200: SessionDetailOutput, **ERRORS},
                   description="A session with its messages both ways, oldest first.")
    def get(self, request, session_id):
        session = _session_or_404(request, session_id)
        items = [{"id": i.id, "direction": "in" if i.incoming else "out", "text": i.text, "image_url": i.image_url,
                  "at": i.at, "status": i.status} for i in session_thread(session)]
        return Response(SessionDetailOutput({**session_json(session), "messages": items}).data)


class ViberSessionReplyApi(IdempotentPostMixin, APIView):
    """POST /api/v1/viber/sessions/<id>/reply/"""

    idempotency_endpoint = "viber-sessions.reply"

    @extend_schema(operation_id="viber_sessions_reply", request=ReplyInput,
                   responses={201: ReplyOutput, 409: ErrorOutput, 503: ErrorOutput, **ERRORS},
                   parameters=[idempotency_key_parameter("the reply")],
                   description="Queues a reply in the session. 409 session_closed after 24 hours; 409 session_limit "
                               "at 60 replies or 5 in a row without a recipient message; 400 message_empty, "
                               "content_combination_invalid (text and image), text_too_long, image_url_invalid, "
                               "image_type_invalid. The first reply charges the session (402 insufficient_funds; 503 no_price when the price list has no "
                               "session price).")
    def post(self, request, session_id):
        session = _session_or_404(request, session_id)
        data = ReplyInput(data=request.data)
        data.is_valid(raise_exception=True)
        message = session_reply(client=request.user.client, session_id=session.public_id, **data.validated_data)
        session.refresh_from_db()
        return Response(ReplyOutput({"message_id": message.public_id, "status": message.status,
                                     "session": session_json(session)}).data, status=status.HTTP_201_CREATED)
