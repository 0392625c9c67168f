"""Every write of the messaging app (HOUSE_STYLE: services as a package once it grows)."""
from .transitions import messages_move, messages_transition  # noqa: F401 (the status door)
from .dispatch import (RECEIPT_WINDOW, STAT_OUTCOME, messages_expire_stale, messages_release_due,  # noqa: F401
                       receipts_apply, receipts_store, IN_DOUBT, SMPP_ERRORS, ClaimedPart,
                       connector_flush, messages_expire_overdue, messages_expire_ttl, messages_submitted_sweep,
                       parts_claim, parts_due_for_query, parts_flag_in_doubt, parts_in_doubt_count,
                       parts_refused, parts_release, parts_submitted, smpp_error_kind)
from .inbound import inbound_parts_flush_stale, inbound_store, is_stop_reply  # noqa: F401
from .send import (NOTIFY_CHANNEL, SendResult, connector_wake, message_send, route_for,  # noqa: F401
                   system_client, system_message_send)
from .campaigns import (CampaignError, campaign_accept, campaign_cancel, campaign_create,  # noqa: F401
                        campaign_settle, campaign_start, campaigns_settle)
from .contacts import (ContactError, ImportReport, contact_add, contact_delete, contact_group_create,  # noqa: F401
                       contact_group_delete, contact_group_rename, contacts_import)
