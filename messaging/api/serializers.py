from rest_framework import serializers

from smsportal import boundary
from smsportal.api_schema import MoneyOutput
from smsportal.money import money_json

from ..models import MessageType
from ..selectors import error_text
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


class ButtonInput(serializers.Serializer):
    caption = serializers.CharField(max_length=100, allow_blank=True, help_text="At most 30 characters.")
    url = serializers.CharField(max_length=2000, allow_blank=True, help_text="An http(s) address.")


class FallbackSmsInput(serializers.Serializer):
    sender = serializers.CharField(max_length=20, help_text="An approved SMS sender name of yours.")
    text = serializers.CharField(trim_whitespace=False, max_length=5000)


VIBER_TYPES = ["advertising", "transactional", "test", "welcome"]


class MessageSendInput(serializers.Serializer):
    channel = serializers.ChoiceField(
        choices=["sms", "viber"], required=False, default="sms",
        help_text="`sms` (the default) or `viber`. Viber needs a signed contract and Viber enabled for your account "
                  "(403 `contract_required`, `viber_not_enabled`).")
    sender = serializers.CharField(max_length=20)
    recipients = serializers.ListField(child=serializers.CharField(max_length=40, allow_blank=True),
                                       allow_empty=False, min_length=1)  # min_length: minItems in the schema
    text = serializers.CharField(trim_whitespace=False, max_length=5000, required=False, allow_blank=True,
                                 default="", help_text="Required for SMS; for Viber at most 1,000 characters.")
    type = message_type_field()
    send_at = send_at_field()
    ttl = serializers.IntegerField(required=False, allow_null=True,
                                   help_text="Lifetime in seconds: SMS 60–259,200; Viber 60–86,400.")
    callback_url = serializers.CharField(
        max_length=500, required=False, allow_blank=True, allow_null=True,
        help_text="Status webhooks of this send go to this URL (http or https) instead of your webhook URL; "
                  "they are signed with your webhook secret, so create one first (400 `webhook_not_configured`).")
    viber_type = serializers.ChoiceField(
        choices=VIBER_TYPES, required=False, default="advertising",
        help_text="Viber only: `advertising` (the default; needs the recipient's consent), `transactional` (must fill "
                  "an approved template, text only), `test` (contains \"Test\" or \"Тест\"), `welcome` (the first "
                  "message to each recipient must be one: else `welcome_required`).")
    image_url = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                      help_text="Viber only: an https address of a JPG or PNG image.")
    button = ButtonInput(required=False, allow_null=True, help_text="Viber only: a button with a caption and a URL.")
    fallback_sms = FallbackSmsInput(
        required=False, allow_null=True,
        help_text="Viber only: an SMS sent (and charged) when the recipient has no Viber, blocked you, or the "
                  "Viber message expired undelivered.")

    def validate(self, attrs):
        if attrs.get("channel", "sms") == "sms" and attrs.get("text", "") == "":
            field = self.fields["text"]
            key = "required" if "text" not in self.initial_data else "blank"
            raise serializers.ValidationError({"text": [field.error_messages[key]]}, code=key)
        return attrs


def message_json(m, *, schedule_reason: str | None = None, notice: str = "") -> dict:
    """A message as the API shows it. `status_detail`: why it is refused or waits for staff
    review (R-CMP-02), in words for people; `schedule_reason` and `notice`: why it waits and until
    when, when the send came outside the sending hours (R-CMP-07). A Viber message has `viber`."""
    out = {
        "id": str(m.public_id),
        "channel": m.channel,
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
        "status_detail": (error_text(m.error_code, m.error_detail) or None) if m.status in _EXPLAINED else None,
        "send_at": m.send_at.isoformat() if m.send_at else None,
        "schedule_reason": schedule_reason if m.status in _WAITING else None,
        "notice": (notice or None) if schedule_reason and m.status in _WAITING else None,
    }
    if m.channel == "viber":
        out["viber"] = viber_json(m)
    return out


def _iso(at):
    return at.isoformat() if at else None


def viber_json(m) -> dict | None:
    """The Viber part of a message: its type and content, what the provider reported (delivered,
    seen, clicked), the charge's EUR price and rate, and the SMS fallback leg."""
    d = getattr(m, "viber", None)
    if d is None:
        return None
    leg = d.fallback_message if d.fallback_message_id else None
    if m.status == Status.DELIVERED:
        via = "viber"
    elif leg is not None and leg.status == Status.DELIVERED:
        via = "sms"
    else:
        via = None
    return {
        "type": d.viber_type,
        "image_url": d.image_url or None,
        "button": {"caption": d.button_caption, "url": d.button_url} if d.button_caption or d.button_url else None,
        "ttl": d.ttl,
        "delivered_at": _iso(d.delivered_at),
        "seen_at": _iso(d.seen_at),
        "clicked_at": _iso(d.clicked_at),
        "reason": d.reason or None,
        "eur_price": str(d.eur_price.amount) if d.eur_price is not None else None,
        "rate": str(d.rate) if d.rate is not None else None,
        "fallback": ({"sender": d.fallback_sender, "text": d.fallback_text,
                      "message_id": str(leg.public_id) if leg else None, "status": leg.status if leg else None,
                      "error_code": d.fallback_error or None}
                     if d.fallback_sender else None),
        "delivered_via": via,
    }


_EXPLAINED = frozenset({Status.PENDING_REVIEW, Status.REFUSED})
_WAITING = frozenset({Status.SCHEDULED, Status.PENDING_REVIEW})


class ButtonOutput(serializers.Serializer):
    caption = serializers.CharField()
    url = serializers.CharField()


class FallbackOutput(serializers.Serializer):
    sender = serializers.CharField()
    text = serializers.CharField()
    message_id = serializers.UUIDField(allow_null=True, help_text="The SMS leg, once it was sent.")
    status = serializers.ChoiceField(choices=[s.value for s in Status], allow_null=True)
    error_code = serializers.CharField(allow_null=True, help_text="Why the SMS leg could not be sent.")


class ViberOutput(serializers.Serializer):
    type = serializers.ChoiceField(choices=VIBER_TYPES + ["session"])
    image_url = serializers.CharField(allow_null=True)
    button = ButtonOutput(allow_null=True)
    ttl = serializers.IntegerField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    seen_at = serializers.DateTimeField(allow_null=True, help_text="Recipients may turn seen receipts off.")
    clicked_at = serializers.DateTimeField(allow_null=True, help_text="When the button was first tapped.")
    reason = serializers.CharField(allow_null=True, help_text="Why it was not delivered: `not_viber_user`, "
                                                              "`blocked`, …")
    eur_price = serializers.CharField(allow_null=True, help_text="The price in EUR it was charged at (in UAH).")
    rate = serializers.CharField(allow_null=True, help_text="The EUR/UAH rate of its charge.")
    fallback = FallbackOutput(allow_null=True)
    delivered_via = serializers.ChoiceField(choices=["viber", "sms"], allow_null=True)


class MessageOutput(serializers.Serializer):
    id = serializers.UUIDField()
    channel = serializers.ChoiceField(choices=["sms", "viber"])
    recipient = serializers.CharField(help_text="E.164")
    sender = serializers.CharField()
    type = serializers.ChoiceField(choices=MessageType.values, help_text="service or advertising (R-BILL-07).")
    status = serializers.ChoiceField(choices=[s.value for s in Status])
    segments = serializers.IntegerField(help_text="SMS parts charged (R-MSG-02); 1 for Viber.")
    encoding = serializers.ChoiceField(choices=["gsm7", "ucs2", "viber", ""])
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
    viber = ViberOutput(required=False, help_text="Viber messages only.")


class SendOutput(serializers.Serializer):
    messages = MessageOutput(many=True)
    total_price = MoneyOutput()
