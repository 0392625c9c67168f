import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from smsportal.api_schema import ERRORS, ErrorOutput, idempotency_key_parameter
from smsportal.errors import NotFound
from smsportal.money import money_json

from ..selectors import message_get
from ..services import message_send
from ..services.idempotency import idempotency_key_check
from ..services.prepare import schedule_reason_of
from ..viber.service import ViberRequest, viber_send
from .idempotency import IdempotentPostMixin
from .serializers import MessageOutput, MessageSendInput, SendOutput, message_json


class MessageSendApi(IdempotentPostMixin, APIView):
    """POST /api/v1/messages/ — one text to one or more recipients."""

    idempotency_endpoint = "messages.send"

    @extend_schema(
        request=MessageSendInput, responses={201: SendOutput, 200: SendOutput, 422: ErrorOutput, **ERRORS},
        parameters=[idempotency_key_parameter("the messages (and holds their price)")],
        description="Sends one text to up to 1,000 recipients. Its price is held on the wallet at once "
                    "(402 `insufficient_funds` when it cannot be paid) and charged as each message reaches "
                    "the operator; what never does is released. More than 10 recipients is a bulk send, "
                    "released within a minute (R-MSG-03). With an `Idempotency-Key`, a retry never sends "
                    "twice (see the header). A text that may not be sent is 400 `content_refused` (with "
                    "`category` and `reason`); one that needs staff approval is accepted `pending_review` "
                    "(`status_detail` says why; its price is held and charged once it is approved and sent). "
                    "Recipients who opted out or already got 10 messages from you that day are `refused` "
                    "(`opted_out`, `frequency_cap`), uncharged. Outside the legal sending hours the messages "
                    "wait for the next opening: `scheduled`, with `send_at`, `schedule_reason` "
                    "`outside_sending_hours` and a `notice`. With `\"channel\": \"viber\"` the send is a Viber "
                    "message (`viber_type`, `image_url`, `button`, `fallback_sms`), priced in EUR at the day's rate "
                    "and charged in UAH; recipients refused one by one (`welcome_required`, `no_consent`, "
                    "`viber_daily_limit`, …) are `refused`, uncharged; a message that breaks a Viber rule is 400 with "
                    "its code and every reason in `refusals`.")
    def post(self, request):
        # Checked (at most 200 printable characters) and made idempotent by IdempotentPostMixin; the
        # send's batch id is derived from it too, so a send from before keys were stored is found again.
        key = idempotency_key_check(request.headers.get("Idempotency-Key"))
        data = MessageSendInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if v["channel"] == "viber":
            result = _viber_send(request.user.client, v, key)
        else:
            result = message_send(
                client=request.user.client, sender=v["sender"], recipients=v["recipients"], text=v["text"],
                send_at=v.get("send_at"), ttl=v.get("ttl"), idempotency_key=key, callback_url=v.get("callback_url"),
                message_type=v["type"],
            )
        body = {"messages": [message_json(m, schedule_reason=result.schedule_reason, notice=result.notice)
                             for m in result.messages],
                "total_price": money_json(result.total_price)}
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


def _viber_send(client, v: dict, key):
    button = v.get("button") or {}
    fallback = v.get("fallback_sms") or {}
    request = ViberRequest(sender=v["sender"], text=v["text"], viber_type=v["viber_type"], image_url=v["image_url"],
                           button_caption=button.get("caption", ""), button_url=button.get("url", ""),
                           ttl=v.get("ttl"), fallback_sender=fallback.get("sender", ""),
                           fallback_text=fallback.get("text", ""), send_at=v.get("send_at"),
                           callback_url=v.get("callback_url"))
    return viber_send(client=client, recipients=v["recipients"], request=request, idempotency_key=key)


class MessageDetailApi(APIView):
    """GET /api/v1/messages/<id>/ — a message with its current status."""

    @extend_schema(responses={200: MessageOutput, **ERRORS})
    def get(self, request, message_id):
        try:
            public_id = uuid.UUID(message_id)
        except ValueError:
            raise NotFound("No message with this id.") from None
        message = message_get(client=request.user.client, public_id=public_id)
        if message is None:
            raise NotFound("No message with this id.")
        reason, notice = schedule_reason_of(message)  # waiting for the sending hours (R-CMP-07)?
        return Response(message_json(message, schedule_reason=reason, notice=notice))
