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


def message_json(m, *, schedule_reason: str | None = None, notice: str = "") -> dict:
    """A message as the API shows it. `status_detail`: why it is refused or waits for staff
    review (R-CMP-02), in words for people; `schedule_reason` and `notice`: why it waits and until
    when, when the send came outside the sending hours (R-CMP-07)."""
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
        "status_detail": (m.error_detail or None) if m.status in _EXPLAINED else None,
        "send_at": m.send_at.isoformat() if m.send_at else None,
        "schedule_reason": schedule_reason if m.status in _WAITING else None,
        "notice": (notice or None) if schedule_reason and m.status in _WAITING else None,
    }


_EXPLAINED = frozenset({Status.PENDING_REVIEW, Status.REFUSED})
_WAITING = frozenset({Status.SCHEDULED, Status.PENDING_REVIEW})


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
    error_code = serializers.CharField(
        allow_null=True, help_text="Why it was refused or waits for staff review: `opted_out`, `frequency_cap`, "
                                   "a content reason (`content_prohibited`, `content_review`, …), or a delivery error.")
    status_detail = serializers.CharField(
        allow_null=True, help_text="For `refused` and `pending_review`: the reason in words.")
    send_at = serializers.DateTimeField(allow_null=True, help_text="When it goes (or went) out.")
    schedule_reason = serializers.CharField(
        allow_null=True, required=False,
        help_text="In the answer to a send: `outside_sending_hours` when it waits for the next opening of the "
                  "legal sending hours (`send_at`).")
    notice = serializers.CharField(allow_null=True, required=False, help_text="The same, in words.")


class SendOutput(serializers.Serializer):
    messages = MessageOutput(many=True)
    total_price = MoneyOutput()
