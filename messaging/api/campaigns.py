"""Campaign and estimate endpoints."""
import uuid

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from smsportal.api_schema import ERRORS, ErrorOutput, MoneyOutput, idempotency_key_parameter
from smsportal.errors import NotFound
from smsportal.money import money_json

from ..exceptions import TooManyRecipients
from ..models import Campaign, Message, MessageType
from ..selectors import campaign_counts, campaign_get, campaigns_for_client, campaigns_status_counts, error_text
from ..services import campaign_cancel, campaign_start
from ..services.prepare import OUTSIDE_SENDING_HOURS, message_estimate, window_notice
from ..services.send import sender_check
from ..status import Status
from .idempotency import IdempotentPostMixin
from ..viber.service import ViberRequest, viber_estimate
from .serializers import (
    VIBER_TYPES, ButtonInput, FallbackSmsInput, MessageOutput, message_json, message_type_field, send_at_field,
)


@extend_schema_field({"type": "array", "maxItems": 100000,
                      "items": {"oneOf": [{"type": "string", "example": "+380671234567"},
                                          {"type": "object", "required": ["phone"],
                                           "properties": {"phone": {"type": "string"}},
                                           "additionalProperties": {"type": "string"}}]}})
class RecipientsField(serializers.Field):
    """A JSON list of phones or of objects `{"phone": …, <variable>: …}`; checked per row later
    (DRF's per-item validation would cost seconds on 100,000 rows)."""

    default_error_messages = {"invalid": "A list of phone numbers, or of objects with a 'phone' key."}

    def __init__(self, *, campaign_limit: bool = False, **kwargs):
        self.campaign_limit = campaign_limit  # a campaign's or an estimate's list: at most 100,000
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, list) or not data:
            self.fail("invalid")
        if self.campaign_limit and len(data) > settings.SMSPORTAL_MAX_CAMPAIGN_RECIPIENTS:
            # Refused before a campaign is created (no failed campaign is left behind) and for estimates too.
            raise TooManyRecipients(f"At most {settings.SMSPORTAL_MAX_CAMPAIGN_RECIPIENTS:,} recipients in one "
                                    f"campaign ({len(data):,} given).")
        # A NUL in a row (PostgreSQL cannot store it) was refused with its row by the JSON parser.
        first = data[0]
        if not isinstance(first, (str, dict, int)):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class CampaignInput(serializers.Serializer):
    channel = serializers.ChoiceField(
        choices=["sms", "viber"], required=False, default="sms",
        help_text="`sms` (the default) or `viber`: a Viber campaign takes the Viber fields of a message "
                  "(`viber_type`, `image_url`, `button`, `fallback_sms`); its rows refused by a Viber rule "
                  "(`welcome_required`, `opted_out`, `no_consent`, `viber_daily_limit`, …) are reported, uncharged.")
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    sender = serializers.CharField(max_length=20)
    text = serializers.CharField(trim_whitespace=False, max_length=5000)
    type = message_type_field()
    recipients = RecipientsField(required=False, campaign_limit=True)
    group = serializers.IntegerField(required=False, min_value=1,
                                     help_text="A contact group of yours instead of `recipients`: its contacts' "
                                               "name and variables fill the text.")
    send_at = send_at_field(help_text="ISO 8601 with an offset, or without one in Kyiv time.")
    ttl = serializers.IntegerField(required=False, allow_null=True)
    callback_url = serializers.CharField(
        max_length=500, required=False, allow_blank=True, allow_null=True,
        help_text="Status webhooks of this campaign's messages go to this URL instead of your webhook URL.")
    viber_type = serializers.ChoiceField(choices=VIBER_TYPES, required=False, default="advertising",
                                         help_text="Viber only: as for `POST /api/v1/messages/`.")
    image_url = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                      help_text="Viber only: an https address of a JPG or PNG image.")
    button = ButtonInput(required=False, allow_null=True, help_text="Viber only: a button with a caption and a URL.")
    fallback_sms = FallbackSmsInput(required=False, allow_null=True,
                                    help_text="Viber only: an SMS sent when the Viber message cannot be delivered.")

    def validate(self, attrs):
        if ("recipients" in attrs) == ("group" in attrs):
            raise serializers.ValidationError({"recipients": ["Give either `recipients` or `group`."]})
        return attrs


class RowErrorOutput(serializers.Serializer):
    row = serializers.IntegerField()
    value = serializers.CharField(required=False)
    reason = serializers.CharField(required=False)
    code = serializers.CharField(required=False, help_text="For a refused row: `opted_out`, `frequency_cap` or "
                                                           "the content reason.")


class CampaignViberOutput(serializers.Serializer):
    type = serializers.ChoiceField(choices=VIBER_TYPES)
    image_url = serializers.CharField(allow_null=True)
    button = ButtonInput(allow_null=True)
    fallback_sms = FallbackSmsInput(allow_null=True)


class CampaignOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    state = serializers.ChoiceField(choices=[s.value for s in Campaign.State])
    sender = serializers.CharField()
    text = serializers.CharField()
    type = serializers.ChoiceField(choices=MessageType.values, help_text="service or advertising (R-BILL-07).")
    channel = serializers.ChoiceField(choices=["sms", "viber"])
    viber = CampaignViberOutput(required=False, help_text="Viber campaigns only.")
    send_at = serializers.DateTimeField(allow_null=True)
    ttl = serializers.IntegerField(allow_null=True)
    rows = serializers.DictField(child=serializers.IntegerField())
    counts = serializers.DictField(child=serializers.IntegerField())
    total_price = MoneyOutput()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField(allow_null=True)
    errors = RowErrorOutput(many=True, required=False)
    schedule_reason = serializers.CharField(
        required=False, help_text="In the answer to a new campaign: `outside_sending_hours` when it waits for the "
                                  "next opening of the legal sending hours (its `send_at`).")
    notice = serializers.CharField(required=False, help_text="The same, in words.")


class CampaignListOutput(serializers.Serializer):
    campaigns = CampaignOutput(many=True)


class EstimateRowOutput(serializers.Serializer):
    recipient = serializers.CharField()
    operator = serializers.CharField(allow_null=True)
    country = serializers.CharField()
    segments = serializers.IntegerField()
    encoding = serializers.CharField()
    price = MoneyOutput()


class WarningOutput(serializers.Serializer):
    code = serializers.ChoiceField(choices=["long_message", "abroad", "contract_required", "content_refused",
                                            "pending_review", "outside_sending_hours", "frequency_cap"],
                                   help_text="`contract_required`: an advertising send would be refused "
                                             "(R-CMP-11); `content_refused`: the text may not be sent; "
                                             "`pending_review`: it waits for staff approval; "
                                             "`outside_sending_hours`: it would wait for the next opening of the "
                                             "sending hours; `frequency_cap`: some recipients already have the "
                                             "most messages a day from you.")
    detail = serializers.CharField()


class ContentVerdictOutput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["pass", "refuse", "review"],
                                      help_text="What screening of the text says: `refuse` (a send is 400 "
                                                "`content_refused`; for personalized texts, those rows are "
                                                "refused) or `review` (the messages wait for staff approval).")
    reason = serializers.CharField(allow_null=True)
    category = serializers.CharField(allow_null=True)
    detail = serializers.CharField(allow_null=True)
    refused = serializers.IntegerField(help_text="Recipients whose text would be refused.")
    review = serializers.IntegerField(help_text="Recipients whose message would wait for staff approval.")


class EstimateOutput(serializers.Serializer):
    type = serializers.ChoiceField(choices=MessageType.values, help_text="The message type priced.")
    warnings = WarningOutput(many=True)
    recipients = EstimateRowOutput(many=True)
    count = serializers.IntegerField()
    invalid = RowErrorOutput(many=True)
    refused = RowErrorOutput(many=True)
    duplicates = serializers.IntegerField()
    total_price = MoneyOutput()
    content = ContentVerdictOutput()
    opted_out = serializers.IntegerField(help_text="Recipients who opted out (skipped, uncharged).")
    over_daily_cap = serializers.IntegerField(
        help_text="Recipients who already have the most messages a day from you (skipped, uncharged).")
    pending_review = serializers.IntegerField()
    refused_by_reason = serializers.DictField(child=serializers.IntegerField())
    send_at = serializers.DateTimeField(allow_null=True, help_text="When it would go; null: at once.")
    schedule_reason = serializers.CharField(allow_null=True, help_text="`outside_sending_hours` or null.")
    notice = serializers.CharField(allow_null=True)


def campaign_json(campaign, *, with_errors=False, by_status: dict[str, int] | None = None) -> dict:
    """`by_status`: the campaign's messages by status when already read (campaigns_status_counts)."""
    body = {
        "id": str(campaign.public_id),
        "name": campaign.name,
        "state": campaign.state,
        "sender": campaign.sender,
        "text": campaign.text,
        "type": campaign.message_type,
        "channel": campaign.channel,
        "send_at": campaign.send_at.isoformat() if campaign.send_at else None,
        "ttl": campaign.ttl_seconds,
        "rows": {"total": campaign.total_rows, "processed": campaign.processed_rows},
        "counts": {"accepted": campaign.accepted, "invalid": campaign.invalid, "duplicates": campaign.duplicates,
                   "refused": campaign.refused, **campaign_counts(campaign=campaign, by_status=by_status)},
        "total_price": money_json(campaign.total_price),
        "created_at": campaign.created_at.isoformat(),
        "finished_at": campaign.finished_at.isoformat() if campaign.finished_at else None,
        "error": error_text("", campaign.error_detail) or None,
    }
    if campaign.channel == "viber" and (v := getattr(campaign, "viber", None)) is not None:
        body["viber"] = {"type": v.viber_type, "image_url": v.image_url or None,
                         "button": {"caption": v.button_caption, "url": v.button_url} if v.button_url else None,
                         "fallback_sms": ({"sender": v.fallback_sender, "text": v.fallback_text}
                                          if v.fallback_sender else None)}
    if with_errors:
        body["errors"] = campaign.errors[:100]
    return body


class CampaignListCreateApi(IdempotentPostMixin, APIView):
    """GET /api/v1/campaigns/ (newest 50) · POST /api/v1/campaigns/ (up to 100,000 recipients)."""

    idempotency_endpoint = "campaigns.create"

    @extend_schema(operation_id="campaigns_list", responses={200: CampaignListOutput, **ERRORS})
    def get(self, request):
        campaigns = list(campaigns_for_client(client=request.user.client).select_related("viber")[:50])
        by_campaign = campaigns_status_counts(campaign_ids=[c.pk for c in campaigns])
        return Response({"campaigns": [campaign_json(c, by_status=by_campaign[c.pk]) for c in campaigns]})

    @extend_schema(request=CampaignInput, responses={201: CampaignOutput, 202: CampaignOutput, 422: ErrorOutput,
                                                     **ERRORS},
                   parameters=[idempotency_key_parameter("the campaign (and holds its price)")],
                   description="Accepts up to 100,000 recipients (phones, or objects with `phone` and "
                               "{variables} for the text) at once: 201. Bad rows are reported; the price of "
                               "the rest is held once for the whole campaign and charged as its messages reach "
                               "the operator. With `group` instead, the group's contacts are read in the "
                               "background: 202 with state `accepting`; follow `rows` on the campaign. A client that times out "
                               "should retry with the same `Idempotency-Key`: the campaign is never sent twice.")
    def post(self, request):
        data = CampaignInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        group_id = d.get("group")
        campaign = campaign_start(client=request.user.client, sender=d["sender"], text=d["text"],
                                  name=d.get("name", ""), send_at=d.get("send_at"), ttl=d.get("ttl"),
                                  callback_url=d.get("callback_url"), message_type=d["type"],
                                  source=Campaign.Source.API if group_id is None else Campaign.Source.GROUP,
                                  rows=d.get("recipients"), group_id=group_id, viber=viber_request_of(d))
        if group_id is not None:
            return Response(campaign_json(campaign), status=status.HTTP_202_ACCEPTED)
        body = campaign_json(campaign, with_errors=True)
        if campaign.state == Campaign.State.SCHEDULED and (
                notice := window_notice(send_at=campaign.send_at, created_at=campaign.created_at)):
            body.update(schedule_reason=OUTSIDE_SENDING_HOURS, notice=notice)  # waits for the sending hours
        return Response(body, status=status.HTTP_201_CREATED)


def viber_request_of(d: dict) -> ViberRequest | None:
    """The Viber request of validated campaign or estimate input (None for SMS)."""
    if d.get("channel", "sms") != "viber":
        return None
    button = d.get("button") or {}
    fallback = d.get("fallback_sms") or {}
    return ViberRequest(sender=d.get("sender") or "", text=d.get("text", ""), viber_type=d.get("viber_type", "advertising"),
                        image_url=d.get("image_url", ""), button_caption=button.get("caption", ""),
                        button_url=button.get("url", ""), ttl=d.get("ttl"), fallback_sender=fallback.get("sender", ""),
                        fallback_text=fallback.get("text", ""), send_at=d.get("send_at"),
                        callback_url=d.get("callback_url"))


def _campaign_or_404(request, campaign_id):
    try:
        public_id = uuid.UUID(str(campaign_id))
    except ValueError:
        raise NotFound("No campaign with this id.") from None
    campaign = campaign_get(client=request.user.client, public_id=public_id)
    if campaign is None:
        raise NotFound("No campaign with this id.")
    return campaign


class CampaignDetailApi(APIView):
    @extend_schema(responses={200: CampaignOutput, **ERRORS})
    def get(self, request, campaign_id):
        return Response(campaign_json(_campaign_or_404(request, campaign_id), with_errors=True))


class CampaignCancelApi(APIView):
    @extend_schema(request=None, responses={200: CampaignOutput, **ERRORS},
                   description="Cancels what was not submitted yet and refunds it.")
    def post(self, request, campaign_id):
        campaign = _campaign_or_404(request, campaign_id)
        campaign = campaign_cancel(client=request.user.client, public_id=campaign.public_id, actor=None)
        return Response(campaign_json(campaign))


CAMPAIGN_MESSAGES_PAGE = 1000


class CampaignMessagesOutput(serializers.Serializer):
    messages = MessageOutput(many=True)
    next_after = serializers.IntegerField(allow_null=True, help_text="Pass as `after` for the next page.")


class CampaignMessagesApi(APIView):
    """GET /api/v1/campaigns/<id>/messages/?status=&after= — every message of a campaign with its
    status (R-MSG-05), 1,000 a page in a stable order."""

    @extend_schema(responses={200: CampaignMessagesOutput, **ERRORS}, parameters=[
        OpenApiParameter("status", str, required=False, enum=[s.value for s in Status]),
        OpenApiParameter("after", int, required=False, description="`next_after` of the previous page.")])
    def get(self, request, campaign_id):
        campaign = _campaign_or_404(request, campaign_id)
        qs = Message.objects.filter(campaign=campaign).order_by("id")
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in Status.values:
                raise ValidationError({"status": [f"One of: {', '.join(Status.values)}."]})
            qs = qs.filter(status=wanted)
        after = request.query_params.get("after")
        if after:
            if not after.isdigit():
                raise ValidationError({"after": ["The `next_after` of the previous page."]})
            qs = qs.filter(id__gt=int(after))
        page = list(qs[:CAMPAIGN_MESSAGES_PAGE + 1])
        more = len(page) > CAMPAIGN_MESSAGES_PAGE
        page = page[:CAMPAIGN_MESSAGES_PAGE]
        return Response({"messages": [message_json(m) for m in page],
                         "next_after": page[-1].pk if more else None})


class EstimateInput(serializers.Serializer):
    channel = serializers.ChoiceField(
        choices=["sms", "viber"], required=False, default="sms",
        help_text="`viber`: the estimate of a Viber send (`sender` required, the Viber fields of a message): its "
                  "price in UAH and EUR at the day's rate, and the recipients it would refuse.")
    sender = serializers.CharField(max_length=20, required=False, allow_blank=True)
    text = serializers.CharField(trim_whitespace=False, max_length=5000)
    type = message_type_field()
    recipients = RecipientsField(campaign_limit=True)
    send_at = send_at_field(help_text="When the send would be wanted (default now): the estimate says whether it "
                                      "would wait for the sending hours.")
    ttl = serializers.IntegerField(required=False, allow_null=True, help_text="Viber only: lifetime in seconds.")
    viber_type = serializers.ChoiceField(choices=VIBER_TYPES, required=False, default="advertising",
                                         help_text="Viber only.")
    image_url = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                      help_text="Viber only.")
    button = ButtonInput(required=False, allow_null=True, help_text="Viber only.")
    fallback_sms = FallbackSmsInput(required=False, allow_null=True, help_text="Viber only.")

    def validate(self, attrs):
        if attrs.get("channel") == "viber" and not attrs.get("sender"):
            raise serializers.ValidationError({"sender": ["A Viber estimate needs its sender."]}, code="required")
        return attrs


class ViberRefusalOutput(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()


class ViberRefusedOutput(serializers.Serializer):
    recipient = serializers.CharField()
    code = serializers.CharField(help_text="`opted_out`, `no_consent`, `welcome_required`, `frequency_cap`, "
                                           "`viber_daily_limit`.")
    reason = serializers.CharField()


class ViberEstimateOutput(serializers.Serializer):
    channel = serializers.ChoiceField(choices=["viber"])
    viber_type = serializers.ChoiceField(choices=VIBER_TYPES)
    type = serializers.ChoiceField(choices=MessageType.values)
    text = serializers.CharField(allow_blank=True, help_text="As it would go (with the opt-out phone added).")
    count = serializers.IntegerField(help_text="Recipients it would send to.")
    recipients = serializers.ListField(child=serializers.CharField())
    refusals = ViberRefusalOutput(many=True, help_text="Why the message itself would be refused (400 on send).")
    refused = ViberRefusedOutput(many=True)
    refused_by_reason = serializers.DictField(child=serializers.IntegerField())
    unit_price = MoneyOutput()
    total_price = MoneyOutput()
    eur_price = serializers.CharField(allow_null=True, help_text="The price of one message in EUR (R-BILL-08).")
    rate = serializers.CharField(allow_null=True, help_text="UAH per EUR it is charged at.")
    rate_date = serializers.DateField(allow_null=True)
    pending_review = serializers.IntegerField()
    send_at = serializers.DateTimeField(allow_null=True)
    schedule_reason = serializers.CharField(allow_null=True)


class MessageEstimateApi(APIView):
    """POST /api/v1/messages/estimate/ — segments, encoding and price without sending."""

    @extend_schema(request=EstimateInput, responses={200: PolymorphicProxySerializer(
        component_name="EstimateAnswer", serializers=[EstimateOutput, ViberEstimateOutput],
        resource_type_field_name=None), **ERRORS})
    def post(self, request):
        data = EstimateInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        client = request.user.client
        if d["channel"] == "viber":
            phones = [r.get("phone") if isinstance(r, dict) else r for r in d["recipients"]]
            return Response(viber_estimate(client=client, recipients=[p if isinstance(p, str) else str(p or "")
                                                                      for p in phones],
                                           request=viber_request_of(d)))
        if d.get("sender"):
            sender_check(client=client, sender=d["sender"])
        return Response(message_estimate(client=client, text=d["text"], recipients=d["recipients"],
                                         sender=d.get("sender") or "", message_type=d["type"],
                                         send_at=d.get("send_at")))

