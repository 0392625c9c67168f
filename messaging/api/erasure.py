"""POST /api/v1/recipients/<phone>/erase/ — erases one recipient's personal data (R-CMP-13):
contacts and consents deleted, message history anonymized (amounts kept), the number kept on the
stop list (messaging.services.erasure)."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import IsOwnerOrMember
from compliance.api import api_actor
from smsportal.api_schema import ERRORS

from ..services.erasure import recipient_erase


class ErasureOutput(serializers.Serializer):
    messages = serializers.IntegerField(help_text="Messages anonymized")
    refused = serializers.IntegerField(help_text="Messages not sent yet, refused (their hold released)")
    in_flight = serializers.IntegerField(help_text="Messages leaving right now: erase again in a minute")
    contacts = serializers.IntegerField()
    consents = serializers.IntegerField()
    inbound = serializers.IntegerField()
    receipts = serializers.IntegerField()
    webhook_events = serializers.IntegerField()
    stop_list_added = serializers.BooleanField()


class RecipientEraseApi(APIView):
    permission_classes = [IsOwnerOrMember]

    @extend_schema(operation_id="recipients_erase", request=None, responses={200: ErasureOutput, **ERRORS})
    def post(self, request, phone):
        return Response(recipient_erase(client=request.user.client, phone=phone, actor=api_actor(request)))
