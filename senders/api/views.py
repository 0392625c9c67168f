from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from smsportal.api import JSONParser
from smsportal.api_schema import ERRORS, ErrorOutput, idempotency_key_parameter

from ..models import SenderName
from ..selectors import national_sender_names, sender_names_for_client
from ..services import sender_name_request
from .serializers import SenderCreateInput, SenderListOutput, SenderOutput, sender_json


class SenderListCreateApi(APIView):
    """GET /api/v1/senders/ — the client's sender names; POST — request a new one (R-SND-01…08)."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(responses={200: SenderListOutput, **ERRORS},
                   description="Every sender name of the account with its status, rejection reason and, for SMS "
                               "names, national status per operator.")
    def get(self, request):
        client = request.user.client
        senders = sender_names_for_client(client=client).prefetch_related("registrations")
        national = national_sender_names(client=client)
        return Response({"senders": [sender_json(s, national_names=national) for s in senders]})

    # Idempotency-Key: the view is made idempotent where the API's URLs are put together (smsportal/api_urls.py).
    @extend_schema(request=SenderCreateInput, responses={201: SenderOutput, 409: ERRORS[400], 422: ErrorOutput,
                                                         **ERRORS},
                   parameters=[idempotency_key_parameter("the request (and charges a Viber name's fee)")],
                   description="Requests a sender name; it waits for staff moderation (status pending). A refused "
                               "name answers 400 with code sender_name_invalid and a `reason` (operator, obscene, "
                               "phone_number, short_code, unintelligible, generic, first_name, brand_proof_required, "
                               "proof_invalid, format); a name of another company answers 409 sender_name_taken. "
                               "A Viber name charges the registration fee (402 insufficient_funds when the balance "
                               "cannot pay it).")
    def post(self, request):
        data = SenderCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        description = {f: v[f] for f in SenderName.DESCRIPTION_FIELDS if f in v}
        sender = sender_name_request(client=request.user.client, name=v["name"], channel=v["channel"],
                                     proof=v.get("proof"), description=description, actor=None)
        return Response(sender_json(sender), status=status.HTTP_201_CREATED)
