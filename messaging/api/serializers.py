from rest_framework import serializers


def money_json(money) -> dict:
    """Money as JSON: a decimal string (2 places, or 4 when it has fractions of a kopeck)."""
    amount = money.amount
    text = f"{amount:.2f}" if amount == round(amount, 2) else f"{amount:.4f}"
    return {"amount": text, "currency": str(money.currency)}


class MessageSendInput(serializers.Serializer):
    sender = serializers.CharField(max_length=20)
    recipients = serializers.ListField(child=serializers.CharField(max_length=40, allow_blank=True),
                                       allow_empty=False)
    text = serializers.CharField(trim_whitespace=False, max_length=5000)
    send_at = serializers.DateTimeField(required=False, allow_null=True)
    ttl = serializers.IntegerField(required=False, allow_null=True)


def message_json(m) -> dict:
    return {
        "id": str(m.public_id),
        "recipient": m.recipient,
        "sender": m.sender,
        "status": m.status,
        "segments": m.segments,
        "encoding": m.encoding,
        "price": money_json(m.price),
        "created_at": m.created_at.isoformat() if m.created_at else None,
        "submitted_at": m.submitted_at.isoformat() if m.submitted_at else None,
        "done_at": m.done_at.isoformat() if m.done_at else None,
        "error_code": m.error_code or None,
    }
