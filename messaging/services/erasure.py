"""Erasure of one recipient's personal data at a client's request (R-CMP-05, R-CMP-13, T 3.2.2.1).

The client deletes what it holds on one number: compliance deletes the recipient's consents and
keeps the number on the client's stop list (nothing more may go to it until a new consent);
messaging refuses what has not gone out yet (through the status door: holds released, `refused`
events written), deletes the number from the contact groups, and anonymizes the message history:
the recipient becomes a masked number (`+380*******67`), the text `[erased]`; prices, statuses and
dates stay, so statements and invoices still add up. Inbound SMS from the number, raw delivery
receipts and webhook events quoting it are anonymized likewise. Messages a connector is sending
at this very moment (`submitting`) keep their number until they leave (counted as `in_flight`);
erase again afterwards to anonymize them. Audited (`compliance.recipient.erased`).
"""
from django.db import transaction
from django.db.models import Subquery
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from compliance.services import recipient_compliance_data_erase
from smsportal.errors import ApplicationError
from smsportal.phones import normalize_phone

from ..models import Contact, InboundMessage, Message, MessagePart, ReceiptInbox, WebhookEvent
from ..status import Status
from .transitions import messages_transition

ERASED_TEXT = "[erased]"
ERASED_DETAIL = "The recipient's personal data was erased at their request."
UNSENT = (Status.SCHEDULED, Status.PENDING_REVIEW, Status.QUEUED)


class InvalidPhone(ApplicationError):
    code = "invalid_phone"
    default_detail = _("Enter a phone number, e.g. +380671234567 or 0671234567.")


def phone_mask(phone: str) -> str:
    """`+380671234567` → `+380*******67`: the country code and the last two digits stay."""
    if len(phone) <= 6:
        return "*" * len(phone)
    return phone[:4] + "*" * (len(phone) - 6) + phone[-2:]


def recipient_erase(*, client, phone: str, actor=None) -> dict:
    """Erases what `client` holds on the recipient `phone` (see the module). Returns counts by kind."""
    phone = normalize_phone(str(phone or "").strip())
    if not phone:
        raise InvalidPhone()
    mask = phone_mask(phone)
    counts: dict[str, int] = {}
    with transaction.atomic():
        # The stop first: a release or a claim running meanwhile refuses the number from here on.
        counts.update(recipient_compliance_data_erase(client=client, phone=phone, actor=actor))
        unsent = list(Message.objects.filter(client=client, recipient=phone, status__in=UNSENT)
                      .order_by("pk").values_list("pk", flat=True))
        counts["refused"] = len(messages_transition(ids=unsent, new=Status.REFUSED, error_code="opted_out",
                                                    error_detail=ERASED_DETAIL)) if unsent else 0
        history = Message.objects.filter(client=client, recipient=phone)
        counts["in_flight"] = history.filter(status=Status.SUBMITTING).count()
        history = history.exclude(status=Status.SUBMITTING)
        counts["receipts"] = ReceiptInbox.objects.filter(smsc_message_id__in=Subquery(
            MessagePart.objects.filter(message__in=history, smsc_message_id__isnull=False)
            .values("smsc_message_id"))).exclude(raw="").update(raw="")
        events = list(WebhookEvent.objects.filter(client=client, payload__recipient=phone).only("pk", "payload"))
        for event in events:
            event.payload = {**event.payload, "recipient": mask}
        WebhookEvent.objects.bulk_update(events, ["payload"], batch_size=1000)
        counts["webhook_events"] = len(events)
        counts["messages"] = history.update(recipient=mask, text=ERASED_TEXT)
        sources = {phone, phone.lstrip("+")}
        counts["inbound"] = InboundMessage.objects.filter(client=client, source__in=sources).update(
            source=mask, text=ERASED_TEXT)
        counts["contacts"] = Contact.objects.filter(group__client=client, phone=phone).delete()[0]
        audit_record(code="compliance.recipient.erased", actor=actor, client=client, target=phone, details=counts)
    return counts
