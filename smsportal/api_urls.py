from django.urls import path, re_path
from rest_framework.decorators import api_view, authentication_classes, permission_classes

from billing.api.views import BalanceApi
from messaging.api.campaigns import (CampaignCancelApi, CampaignDetailApi, CampaignListCreateApi,
                                     MessageEstimateApi)
from messaging.api.views import MessageDetailApi, MessageSendApi
from smsportal.errors import NotFound


@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([])
def api_not_found(request, *args, **kwargs):
    raise NotFound("No such API endpoint.")


urlpatterns = [
    path("messages/", MessageSendApi.as_view(), name="api-messages"),
    path("messages/estimate/", MessageEstimateApi.as_view(), name="api-messages-estimate"),
    path("messages/<str:message_id>/", MessageDetailApi.as_view(), name="api-message-detail"),
    path("campaigns/", CampaignListCreateApi.as_view(), name="api-campaigns"),
    path("campaigns/<str:campaign_id>/", CampaignDetailApi.as_view(), name="api-campaign-detail"),
    path("campaigns/<str:campaign_id>/cancel/", CampaignCancelApi.as_view(), name="api-campaign-cancel"),
    path("balance/", BalanceApi.as_view(), name="api-balance"),
    re_path(r"^.*$", api_not_found),
]
