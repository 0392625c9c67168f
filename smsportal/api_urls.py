from django.urls import path

from billing.api.views import BalanceApi
from messaging.api.campaigns import (CampaignCancelApi, CampaignDetailApi, CampaignListCreateApi,
                                     MessageEstimateApi)
from messaging.api.views import MessageDetailApi, MessageSendApi

# The integrator API, mounted at /api/v1/. Unknown paths under /api/ answer JSON 404 (smsportal/urls.py).
urlpatterns = [
    path("messages/", MessageSendApi.as_view(), name="api-messages"),
    path("messages/estimate/", MessageEstimateApi.as_view(), name="api-messages-estimate"),
    path("messages/<str:message_id>/", MessageDetailApi.as_view(), name="api-message-detail"),
    path("campaigns/", CampaignListCreateApi.as_view(), name="api-campaigns"),
    path("campaigns/<str:campaign_id>/", CampaignDetailApi.as_view(), name="api-campaign-detail"),
    path("campaigns/<str:campaign_id>/cancel/", CampaignCancelApi.as_view(), name="api-campaign-cancel"),
    path("balance/", BalanceApi.as_view(), name="api-balance"),
]
