from django.urls import path, re_path
from rest_framework.decorators import api_view, authentication_classes, permission_classes

from billing.api.views import BalanceApi
from messaging.api.views import MessageDetailApi, MessageSendApi
from smsportal.errors import NotFound


@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([])
def api_not_found(request, *args, **kwargs):
    raise NotFound("No such API endpoint.")


urlpatterns = [
    path("messages/", MessageSendApi.as_view(), name="api-messages"),
    path("messages/<str:message_id>/", MessageDetailApi.as_view(), name="api-message-detail"),
    path("balance/", BalanceApi.as_view(), name="api-balance"),
    re_path(r"^.*$", api_not_found),
]
