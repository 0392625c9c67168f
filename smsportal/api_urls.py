from django.urls import path

from lifecycle.api import AnnouncementListApi
from billing.api.views import (BalanceApi, InvoiceDetailApi, InvoiceListCreateApi, PaymentCallbackApi, PriceListApi,
                               TransactionListApi)
from messaging.api.campaigns import (CampaignCancelApi, CampaignDetailApi, CampaignListCreateApi,
                                     CampaignMessagesApi, MessageEstimateApi)
from messaging.api.contacts import ContactGroupDetailApi, ContactGroupImportApi, ContactGroupListCreateApi
from messaging.api.idempotency import IdempotentPostMixin
from messaging.api.messages import InboundListApi, MessageCancelApi, MessageListApi
from messaging.api.views import MessageDetailApi, MessageSendApi
from smsportal import boundary  # noqa: F401 (the <text:…> converter)


class InvoicesApi(IdempotentPostMixin, InvoiceListCreateApi):
    """Invoices with `Idempotency-Key` (its table lives in messaging, above billing: applied here)."""

    idempotency_endpoint = "invoices.create"


class MessagesApi(MessageListApi, MessageSendApi):
    """/api/v1/messages/: GET lists (MessageListApi), POST sends (MessageSendApi)."""


# The integrator API, mounted at /api/v1/. Unknown paths under /api/ answer JSON 404 (smsportal/urls.py),
# and so do paths with a NUL in a `<text:…>` part (smsportal.boundary).
urlpatterns = [
    path("messages/", MessagesApi.as_view(), name="api-messages"),
    path("messages/estimate/", MessageEstimateApi.as_view(), name="api-messages-estimate"),
    path("messages/<text:message_id>/", MessageDetailApi.as_view(), name="api-message-detail"),
    path("messages/<text:message_id>/cancel/", MessageCancelApi.as_view(), name="api-message-cancel"),
    path("inbound/", InboundListApi.as_view(), name="api-inbound"),
    path("campaigns/", CampaignListCreateApi.as_view(), name="api-campaigns"),
    path("campaigns/<text:campaign_id>/", CampaignDetailApi.as_view(), name="api-campaign-detail"),
    path("campaigns/<text:campaign_id>/cancel/", CampaignCancelApi.as_view(), name="api-campaign-cancel"),
    path("campaigns/<text:campaign_id>/messages/", CampaignMessagesApi.as_view(), name="api-campaign-messages"),
    path("contact-groups/", ContactGroupListCreateApi.as_view(), name="api-contact-groups"),
    path("contact-groups/<text:group_id>/", ContactGroupDetailApi.as_view(), name="api-contact-group-detail"),
    path("contact-groups/<text:group_id>/contacts/", ContactGroupImportApi.as_view(), name="api-contact-group-import"),
    path("balance/", BalanceApi.as_view(), name="api-balance"),
    path("transactions/", TransactionListApi.as_view(), name="api-transactions"),
    path("invoices/", InvoicesApi.as_view(), name="api-invoices"),
    path("invoices/<text:number>/", InvoiceDetailApi.as_view(), name="api-invoice-detail"),
    path("prices/", PriceListApi.as_view(), name="api-prices"),
    path("announcements/", AnnouncementListApi.as_view(), name="api-announcements"),
    path("payments/callback/", PaymentCallbackApi.as_view(), name="api-payments-callback"),
]

# Sender names (R-SND-01…08): the accounts-and-senders issue.
from senders.api.views import SenderListCreateApi  # noqa: E402


class SendersApi(IdempotentPostMixin, SenderListCreateApi):
    """Sender names with `Idempotency-Key` (see InvoicesApi)."""

    idempotency_endpoint = "senders.request"


urlpatterns += [path("senders/", SendersApi.as_view(), name="api-senders")]

# R-ACC-09: statistics for any period (at least the last 6 months).
from messaging.api.statistics import StatisticsApi  # noqa: E402

urlpatterns += [path("statistics/", StatisticsApi.as_view(), name="api-statistics")]

# The delivery-status webhook's configuration (the Webhooks section of the API keys page, on the API).
from messaging.api.webhooks import WebhookApi, WebhookSecretApi  # noqa: E402

urlpatterns += [
    path("webhook/", WebhookApi.as_view(), name="api-webhook"),
    path("webhook/secret/", WebhookSecretApi.as_view(), name="api-webhook-secret"),
]

# The stop list and the consent registry (R-CMP-05, 06), and the erasure of one recipient's data
# (R-CMP-13). Writes take `Idempotency-Key` (its table lives in messaging, above compliance: applied here).
from compliance import api as compliance_api  # noqa: E402
from messaging.api.erasure import RecipientEraseApi  # noqa: E402


class StopListApi(IdempotentPostMixin, compliance_api.StopListApi):
    idempotency_endpoint = "stop-list.add"


class StopListImportApi(IdempotentPostMixin, compliance_api.StopListImportApi):
    idempotency_endpoint = "stop-list.import"


class ConsentListApi(IdempotentPostMixin, compliance_api.ConsentListApi):
    idempotency_endpoint = "consents.create"


class ConsentImportApi(IdempotentPostMixin, compliance_api.ConsentImportApi):
    idempotency_endpoint = "consents.import"


class RecipientEraseIdempotentApi(IdempotentPostMixin, RecipientEraseApi):
    idempotency_endpoint = "recipients.erase"


urlpatterns += [
    path("stop-list/", StopListApi.as_view(), name="api-stop-list"),
    path("stop-list/import/", StopListImportApi.as_view(), name="api-stop-list-import"),
    path("stop-list/export.csv", compliance_api.StopListExportApi.as_view(), name="api-stop-list-export"),
    path("stop-list/<text:phone>/", compliance_api.StopListEntryApi.as_view(), name="api-stop-list-entry"),
    path("consents/", ConsentListApi.as_view(), name="api-consents"),
    path("consents/import/", ConsentImportApi.as_view(), name="api-consents-import"),
    path("consents/proof/", compliance_api.ConsentProofApi.as_view(), name="api-consents-proof"),
    path("consents/settings/", compliance_api.ComplianceSettingsApi.as_view(), name="api-consents-settings"),
    path("consents/<text:consent_id>/withdraw/", compliance_api.ConsentWithdrawApi.as_view(),
         name="api-consent-withdraw"),
    path("recipients/<text:phone>/erase/", RecipientEraseIdempotentApi.as_view(), name="api-recipient-erase"),
]

# Viber transactional templates (R-VIB-05) and chat sessions (R-VIB-06).
from messaging.viber import api as viber_api  # noqa: E402

urlpatterns += [
    path("viber/templates/", viber_api.ViberTemplateListCreateApi.as_view(), name="api-viber-templates"),
    path("viber/templates/<text:template_id>/", viber_api.ViberTemplateDetailApi.as_view(),
         name="api-viber-template-detail"),
    path("viber/sessions/", viber_api.ViberSessionListApi.as_view(), name="api-viber-sessions"),
    path("viber/sessions/<text:session_id>/", viber_api.ViberSessionDetailApi.as_view(),
         name="api-viber-session-detail"),
    path("viber/sessions/<text:session_id>/reply/", viber_api.ViberSessionReplyApi.as_view(),
         name="api-viber-session-reply"),
]
