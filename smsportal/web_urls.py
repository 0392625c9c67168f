"""The client-facing website (server-rendered pages). Ids in URLs are public UUIDs or key prefixes."""
from django.urls import path

from accounts import views as account_views
from messaging import views as messaging_views

urlpatterns = [
    path("", messaging_views.dashboard, name="dashboard"),
    path("send/", messaging_views.send, name="message_send"),
    path("messages/", messaging_views.message_list, name="message_list"),
    path("messages/status.json", messaging_views.message_status_json, name="message_status_json"),
    path("messages/<uuid:public_id>/", messaging_views.message_detail, name="message_detail"),
    path("senders/request/", messaging_views.sender_request, name="sender_request"),
    path("api-keys/", account_views.api_key_list, name="api_key_list"),
    path("api-keys/<str:prefix>/revoke/", account_views.api_key_revoke_view, name="api_key_revoke"),
]
