"""The client-facing website (server-rendered pages). Ids in URLs are public UUIDs or key prefixes."""
from django.urls import include, path

from accounts import views as account_views
from messaging import views as messaging_views
from messaging import web_messages
from smsportal import boundary  # noqa: F401 (the <text:…> converter: a URL part with a NUL is a 404)

urlpatterns = [
    path("", messaging_views.dashboard, name="dashboard"),
    path("send/", messaging_views.send, name="message_send"),
    path("send/estimate.json", messaging_views.send_estimate, name="message_send_estimate"),
    path("send/viber-estimate.json", messaging_views.viber_send_estimate, name="viber_send_estimate"),
    path("send/balance.json", messaging_views.send_balance_json, name="message_send_balance"),
    # Uploaded Viber pictures: public, Viber fetches them (messaging.viber_uploads).
    path("media/viber/<text:name>", messaging_views.viber_image, name="viber_image"),
    path("messages/", messaging_views.message_list, name="message_list"),
    path("messages/status.json", messaging_views.message_status_json, name="message_status_json"),
    path("messages/export.csv", web_messages.messages_export_csv, name="messages_export_csv"),
    path("messages/export.xlsx", web_messages.messages_export_xlsx, name="messages_export_xlsx"),
    path("messages/replies/", web_messages.sms_replies, name="sms_replies"),
    path("messages/<uuid:public_id>/", web_messages.message_detail, name="message_detail"),
    path("messages/<uuid:public_id>/cancel/", web_messages.message_cancel_view, name="message_cancel"),
    path("senders/request/", messaging_views.sender_request, name="sender_request"),
    path("api-keys/", account_views.api_key_list, name="api_key_list"),
    path("api-keys/<text:prefix>/revoke/", account_views.api_key_revoke_view, name="api_key_revoke"),
    path("billing/", include("billing.urls")),
]

from messaging import web_campaigns, web_webhooks  # noqa: E402

urlpatterns += [
    path("campaigns/", web_campaigns.campaign_list, name="campaign_list"),
    path("campaigns/new/", web_campaigns.campaign_new, name="campaign_new"),
    path("campaigns/new/<text:token>/", web_campaigns.campaign_review, name="campaign_review"),
    path("campaigns/<uuid:public_id>/", web_campaigns.campaign_detail, name="campaign_detail"),
    path("campaigns/<uuid:public_id>/progress.json", web_campaigns.campaign_progress_json, name="campaign_progress"),
    path("campaigns/<uuid:public_id>/rows-not-accepted.csv", web_campaigns.campaign_errors_csv,
         name="campaign_errors_csv"),
    path("campaigns/<uuid:public_id>/cancel/", web_campaigns.campaign_cancel_view, name="campaign_cancel"),
    path("contacts/", web_campaigns.contact_groups, name="contact_groups"),
    path("contacts/<int:group_id>/", web_campaigns.contact_group, name="contact_group"),
    path("contacts/<int:group_id>/rename/", web_campaigns.contact_group_rename_view, name="contact_group_rename"),
    path("contacts/<int:group_id>/delete/", web_campaigns.contact_group_delete_view, name="contact_group_delete"),
    path("contacts/<int:group_id>/add/", web_campaigns.contact_add_view, name="contact_add"),
    path("contacts/<int:group_id>/import/", web_campaigns.contact_import, name="contact_import"),
    path("contacts/<int:group_id>/import/<text:token>/", web_campaigns.contact_import_review,
         name="contact_import_review"),
    path("contacts/<int:group_id>/contacts/<int:contact_id>/delete/", web_campaigns.contact_delete_view,
         name="contact_delete"),
]

# Sender names (R-SND): list, request, one name's page with its national-registration description.
from senders import views as sender_views  # noqa: E402

urlpatterns += [
    path("senders/", sender_views.sender_list, name="sender_list"),
    path("senders/<uuid:public_id>/", sender_views.sender_detail, name="sender_detail"),
]

# Accounts (R-ACC): API key regenerate and IP allow-list, company details and contract, the block
# and the explanation form, termination.
urlpatterns += [
    path("api-keys/<text:prefix>/regenerate/", account_views.api_key_regenerate_view, name="api_key_regenerate"),
    path("api-keys/<text:prefix>/ips/", account_views.api_key_ips_view, name="api_key_ips"),
    path("webhooks/", web_webhooks.webhook_save, name="webhook_save"),
    path("webhooks/secret/", web_webhooks.webhook_secret_regenerate_view, name="webhook_secret_regenerate"),
    path("webhooks/test/", web_webhooks.webhook_test_view, name="webhook_test"),
    path("account/", account_views.account_profile, name="account_profile"),
    path("account/contract/", account_views.account_contract_request, name="account_contract_request"),
    path("account/termination/", account_views.account_termination, name="account_termination"),
    path("account/status/", account_views.account_block, name="account_block"),
]
urlpatterns += [
    path("account/team/", account_views.account_team, name="account_team"),
    path("invite/<text:token>/", account_views.invitation_accept_view, name="invitation_accept"),
]
urlpatterns += [  # R-ACC-05: password reset through the primary phone (allauth's reset by email stays)
    path("accounts/password/reset/phone/", account_views.password_reset_phone, name="account_reset_password_phone"),
    path("accounts/password/reset/phone/code/", account_views.password_reset_phone_code,
         name="account_reset_password_phone_code"),
]

# R-ACC-09: statistics and message status for any period (at least the last 6 months).
from messaging.web_statistics import message_statistics_view  # noqa: E402

urlpatterns += [path("statistics/", message_statistics_view, name="message_statistics")]

# The stop list and the consent registry (R-CMP-05, 06), and the erasure of one recipient's data
# (R-CMP-13: the form is on the stop-list page; the work spans messages and contacts).
from messaging.web_erasure import recipient_erase_view  # noqa: E402

urlpatterns += [
    path("", include("compliance.urls")),
    path("stop-list/erase/", recipient_erase_view, name="recipient_erase"),
]

# Viber: transactional templates (R-VIB-05) and the chat inbox (R-VIB-06).
from messaging.viber import web as viber_web  # noqa: E402

urlpatterns += [
    path("viber/templates/", viber_web.viber_templates, name="viber_templates"),
    path("viber/templates/<uuid:public_id>/delete/", viber_web.viber_template_delete, name="viber_template_delete"),
    path("viber/inbox/", viber_web.viber_inbox, name="viber_inbox"),
    path("viber/inbox/<uuid:public_id>/", viber_web.viber_inbox, name="viber_thread"),
]


# The public offer (terms of service) accepted at sign-up: public, no login.
urlpatterns += [path("offer/", account_views.public_offer, name="public_offer")]
