"""Every write of the messaging app (HOUSE_STYLE: services as a package once it grows)."""
from .dispatch import (RECEIPT_WINDOW, STAT_OUTCOME, messages_expire_stale, messages_release_due,  # noqa: F401
                       messages_transition, receipts_apply, receipts_store)
from .send import (NOTIFY_CHANNEL, SendResult, connector_wake, message_send, route_for,  # noqa: F401
                   system_client, system_message_send)
from .campaigns import CampaignError, campaign_accept, campaign_cancel, campaign_create, campaigns_settle  # noqa: F401
