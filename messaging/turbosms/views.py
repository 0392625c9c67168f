"""The facade's endpoints: thin views over `adapter`. Every answer is HTTP 200 with the TurboSMS
envelope, errors included (TurboSMS clients treat any other status as a failure and never read
its body)."""
import logging

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, parsers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import IsClientUser
from smsportal.api import JSONParser
from smsportal.errors import ApplicationError

from . import codes as C
from .adapter import TurboError, request_params, turbosms_balance, turbosms_send, turbosms_status
from .auth import TurboSmsTokenAuthentication

log = logging.getLogger("smsportal.messaging")

_DRF_ERRORS = (
    (exceptions.NotAuthenticated, C.REQUIRED_TOKEN),
    (exceptions.AuthenticationFailed, C.INVALID_TOKEN),
    (exceptions.ParseError, C.FAILED_PARSE_BODY),
    (exceptions.UnsupportedMediaType, C.FAILED_PARSE_BODY),
    (exceptions.ValidationError, C.INVALID_REQUEST),  # a NUL character in a JSON body (smsportal.api)
    (exceptions.MethodNotAllowed, C.INVALID_REQUEST),
)


def error_code(exc: Exception) -> C.Code:
    if isinstance(exc, TurboError):
        return exc.code
    if isinstance(exc, ApplicationError):
        return C.FOR_ERROR.get(exc.code, C.FATAL_ERROR)
    for cls, code in _DRF_ERRORS:
        if isinstance(exc, cls):
            return code
    if isinstance(exc, (exceptions.PermissionDenied, exceptions.NotFound, Http404)):
        return C.INVALID_REQUEST
    return C.FATAL_ERROR


@extend_schema(exclude=True)  # TurboSMS's own API, documented in the README; not part of /api/v1/'s schema
class TurboSmsApi(APIView):
    authentication_classes = [TurboSmsTokenAuthentication]
    permission_classes = [IsClientUser]
    parser_classes = [JSONParser, parsers.FormParser, parsers.MultiPartParser]
    http_method_names = ["get", "post", "head", "options"]

    def handle_exception(self, exc):
        code = error_code(exc)
        if code is C.FATAL_ERROR:
            log.exception("TurboSMS facade: %s on %s", type(exc).__name__, self.request.path)
        result = exc.result if isinstance(exc, TurboError) else None
        return Response(C.envelope(code, result), status=200)

    def get(self, request, *args, **kwargs):
        return self.post(request, *args, **kwargs)


class MessageSendApi(TurboSmsApi):
    """/message/send.json"""

    def post(self, request, *args, **kwargs):
        return Response(turbosms_send(client=request.user.client, params=request_params(request)))


class MessageStatusApi(TurboSmsApi):
    """/message/status.json"""

    def post(self, request, *args, **kwargs):
        return Response(turbosms_status(client=request.user.client, params=request_params(request)))


class UserBalanceApi(TurboSmsApi):
    """/user/balance.json"""

    def post(self, request, *args, **kwargs):
        return Response(turbosms_balance(client=request.user.client))


class PingApi(TurboSmsApi):
    """/<module>/ping.json: no token needed."""

    authentication_classes = []
    permission_classes = []

    def post(self, request, *args, **kwargs):
        return Response(C.envelope(C.PONG))


class UnknownMethodApi(TurboSmsApi):
    """Any other /<module>/<method>.json: a method the facade does not offer."""

    authentication_classes = []
    permission_classes = []

    def post(self, request, *args, **kwargs):
        return Response(C.envelope(C.INVALID_REQUEST), status=404)
