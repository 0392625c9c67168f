from rest_framework import serializers

from smsportal import boundary
from smsportal.api_schema import MoneyOutput
from smsportal.money import money_json

from ..models import MessageType
from ..status import Status

TYPE_HELP = ("`service` (transactional, the default) or `advertising`: priced by it (R-BILL-07); advertising needs "
             "a signed contract (403 `contract_required`, R-CMP-11).")


def message_type_field(**kwargs):
    """The optional `type` of a send, a campaign or an estimate; an unknown value is a 400."""
    return serializers.ChoiceField(choices=MessageType.values, required=False, default=MessageType.SERVICE,
                                   help_text=TYPE_HELP, **kwargs)


def send_at_field(**kwargs):
    """A send time from 2000 to 2999 (smsportal.boundary): one at the calendar's ends overflowed the
    time-zone and lifetime arithmetic (a 500)."""
    return boundary.DateTimeField(required=False, allow_null=True, **kwargs)


class MessageSendInput(serializers.Serializer):
    sender = serializers.CharField(max_length=20)
    recipients = serializers.ListField(child=serializers.CharField(max_length=40, allow_blank=True),
                                       allow_empty=False, min_length=1)  # min_length: minItems in the schema
    text = serializers.CharField(trim_whitespace=False, max_length=5000)
    type = message_type_field()
    send_at = send_at_field()
    ttl = serializers.IntegerField(required=False, allow_null=True)
    callback_url = serializers.CharField(
        max_length=500, required=False, allow_blank=True, allow_null=True,
        help_text="Status webhooks of this send go to this URL (http or https) instead of your webhook URL; "
                  "they are signed with your webhook secret, so create one first (400 `webhook_not_configured`).")


def message_json(m) -> dict:
    return {
        "id": str(m.public_id),
        "recipient": m.recipient,
        "sender": m.sender,
        "type": m.message_type,
        "status": m.status,
        "segments": m.segments,
        "encoding": m.encoding,
        "price": money_json(m.price),
        "created_at": m.created_at.isoformat() if m.created_at else None,
        "submitted_at": m.submitted_at.isoformat() if m.submitted_at else None,
        "done_at": m.done_at.isoformat() if m.done_at else None,
        "error_code": m.error_code or None,
    }


class MessageOutput(serializers.Serializer):
    id = serializers.UUIDField()
    recipient = serializers.CharField(help_text="E.164")
    sender = serializers.CharField()
    type = serializers.ChoiceField(choices=MessageType.values, help_text="service or advertising (R-BILL-07).")
    status = serializers.ChoiceField(choices=[s.value for s in Status])
    segments = serializers.IntegerField(help_text="SMS parts charged (R-MSG-02).")
    encoding = serializers.ChoiceField(choices=["gsm7", "ucs2"])
    price = MoneyOutput()
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    done_at = serializers.DateTimeField(allow_null=True)
    error_code = serializers.CharField(allow_null=True)


class SendOutput(serializers.Serializer):
    messages = MessageOutput(many=True)
    total_price = MoneyOutput()
