"""messaging's part of an account's block, termination and data destruction (R-ACC-06, R-ACC-08).

`lifecycle` (above all apps) calls these in order; messaging alone writes its own tables.
"""
from django.db import transaction
from django.db.models import Subquery

from ..models import (Campaign, Contact, ContactGroup, InboundMessage, Message, MessagePart, ReceiptInbox,
                      WebhookDelivery, WebhookEndpoint, WebhookEvent)
from ..status import Status
from . import messages_transition

BATCH = 5000


def messages_cancel_for_client_stop(*, client, statuses, error_code: str, error_detail: str,
                                    batch: int = BATCH) -> int:
    """Cancels the client's messages in `statuses` that no connector has claimed yet, through the
    status machine (each message's reservation goes back to the wallet, `cancelled` webhook events
    are written). Call it inside the transaction that holds the client row locked (a block or a
    termination), so no send of the client stores a message in between (R-ACC-06)."""
    done = 0
    while ids := list(Message.objects.filter(client=client, status__in=list(statuses)).order_by("pk")
                      .values_list("pk", flat=True)[:batch]):
        moved = messages_transition(ids=ids, new=Status.CANCELLED, error_code=error_code, error_detail=error_detail)
        if not moved:
            break
        done += len(moved)
    return done


def campaign_labels(*, client) -> dict[str, str]:
    """{campaign name: campaign id} of the client's named campaigns: the names other apps quoted
    (ledger descriptions) and must forget when the client's data is destroyed."""
    return {name: str(pid) for pid, name in
            Campaign.objects.filter(client=client).exclude(name="").values_list("public_id", "name")}


def _batched_update(qs, batch: int, **values) -> int:
    """Updates `qs` in primary-key batches, each its own short transaction (big message tables)."""
    total = 0
    last = 0
    while True:
        ids = list(qs.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return total
        with transaction.atomic():
            total += qs.model.objects.filter(pk__in=ids).update(**values)
        last = ids[-1]


def messaging_personal_data_destroy(*, client, batch: int = BATCH) -> dict:
    """Destroys the client's recipients and texts (R-ACC-08): messages keep status, parts, price
    and dates but lose recipient and text; raw delivery receipts (they quote the start of the text
    and the number) are emptied; campaigns lose texts, names and error lists; inbound SMS lose
    sender and text; contacts, contact groups, webhook events (their payloads carry numbers),
    deliveries and the endpoint (URL and secret) are deleted. Returns counts by kind."""
    counts = {}
    counts["receipts"] = ReceiptInbox.objects.filter(smsc_message_id__in=Subquery(
        MessagePart.objects.filter(message__client=client, smsc_message_id__isnull=False)
        .values("smsc_message_id"))).exclude(raw="").update(raw="")
    counts["messages"] = _batched_update(Message.objects.filter(client=client).exclude(recipient="", text=""),
                                         batch, recipient="", text="")
    counts["campaigns"] = _batched_update(Campaign.objects.filter(client=client), batch, text="", name="", errors=[])
    counts["inbound"] = _batched_update(InboundMessage.objects.filter(client=client).exclude(source="", text=""),
                                        batch, source="", text="")
    counts["contacts"] = 0
    while ids := list(Contact.objects.filter(group__client=client).values_list("pk", flat=True)[:batch]):
        counts["contacts"] += Contact.objects.filter(pk__in=ids).delete()[0]
    counts["contact_groups"] = ContactGroup.objects.filter(client=client).delete()[0]
    counts["webhook_events"] = WebhookEvent.objects.filter(client=client).delete()[0]
    WebhookDelivery.objects.filter(client=client).delete()
    WebhookEndpoint.objects.filter(client=client).delete()
    return counts
