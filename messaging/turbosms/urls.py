"""The facade's URLs: the urlconf of a TurboSMS host (settings.TURBOSMS_HOSTS, served at its
root) and, under `settings.TURBOSMS_PATH_PREFIX`, of the main site. `.json` is optional, as at
TurboSMS."""
from django.http import JsonResponse
from django.urls import re_path

from . import views
from .codes import FATAL_ERROR, INVALID_REQUEST, envelope

_JSON = r"(?:\.json)?$"

urlpatterns = [
    re_path(r"^message/send" + _JSON, views.MessageSendApi.as_view(), name="turbosms-send"),
    re_path(r"^message/status" + _JSON, views.MessageStatusApi.as_view(), name="turbosms-status"),
    re_path(r"^user/balance" + _JSON, views.UserBalanceApi.as_view(), name="turbosms-balance"),
    re_path(r"^[a-z_]+/ping" + _JSON, views.PingApi.as_view(), name="turbosms-ping"),
    re_path(r"^[a-z_]+/[a-z_]+" + _JSON, views.UnknownMethodApi.as_view()),
]


def _not_found(request, exception=None):
    """Any other path of a TurboSMS host: 404 with the envelope (not the website's page)."""
    return JsonResponse(envelope(INVALID_REQUEST), status=404)


def _server_error(request):
    return JsonResponse(envelope(FATAL_ERROR), status=500)


handler404 = _not_found
handler500 = _server_error
