from rest_framework import serializers

from ..models import Channel, Operator, SenderName
from ..selectors import sender_class


class SenderCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=40, trim_whitespace=False)
    channel = serializers.ChoiceField(choices=Channel.values, default=Channel.SMS)
    proof = serializers.FileField(required=False, help_text="A brand owner's letter or agreement (PDF, PNG, JPEG); "
                                                            "send the request as multipart/form-data to attach it.")
    company_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    company_code = serializers.CharField(max_length=10, required=False, allow_blank=True)
    website = serializers.CharField(max_length=200, required=False, allow_blank=True)
    purpose = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    sample_text = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class SenderOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    channel = serializers.ChoiceField(choices=Channel.values)
    status = serializers.ChoiceField(choices=SenderName.Status.choices)
    rejection_reason = serializers.CharField(allow_null=True)
    brand = serializers.CharField(allow_null=True)
    proof_uploaded = serializers.BooleanField()
    description_complete = serializers.BooleanField()
    sender_class = serializers.CharField(allow_null=True, help_text="national or international (SMS names).")
    national = serializers.DictField(child=serializers.CharField(), help_text="Per operator: national or international.")
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)


class SenderListOutput(serializers.Serializer):
    senders = SenderOutput(many=True)


def sender_json(s: SenderName, *, national_names: frozenset[str] | None = None) -> dict:
    """`national_names`: national_sender_names of the client when already read (lists)."""
    if s.channel != Channel.SMS:
        klass = None
    elif national_names is not None:
        klass = "national" if s.name in national_names else "international"
    else:
        klass = sender_class(s.client, s.name)
    regs = {r.operator: r.status for r in s.registrations.all()}
    return {
        "id": str(s.public_id),
        "name": s.name,
        "channel": s.channel,
        "status": s.status,
        "rejection_reason": s.rejection_reason or None,
        "brand": s.brand or None,
        "proof_uploaded": bool(s.proof),
        "description_complete": s.description_complete,
        "sender_class": klass,
        "national": {op: regs.get(op, "international") for op in Operator.values} if s.channel == Channel.SMS else {},
        "created_at": s.created_at.isoformat(),
        "decided_at": s.decided_at.isoformat() if s.decided_at else None,
    }
