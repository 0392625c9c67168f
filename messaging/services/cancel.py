"""A client cancels one message that has not gone out yet (API and website)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.services import audit_record
from smsportal.errors import NotFound

from ..exceptions import MessagingError
from ..models import Message
from ..status import Status, sources_for
from .transitions import messages_move

if TYPE_CHECKING:
    from accounts.models import Client

# What a client may still cancel: scheduled, held for staff review, queued (not claimed by its connector).
CANCELLABLE = frozenset(sources_for(Status.CANCELLED))


class NotCancellable(MessagingError):
    code = "not_cancellable"
    status = 409
    default_detail = gettext_lazy("This message has already gone to the operator (or is finished) and can no "
                                  "longer be cancelled.")


def message_cancel(*, client: Client, public_id, actor=None) -> Message:
    """Cancels the client's message `public_id` if it is still scheduled, queued or held for
    review: CANCELLED through the status door, which releases its share of the hold and writes its
    `cancelled` webhook event in the same transaction. Another client's id is NotFound; a message
    that went out (or was claimed by its connector meanwhile) is NotCancellable."""
    message = Message.objects.filter(client=client, public_id=public_id).only("id", "status").first()
    if message is None:
        raise NotFound(gettext_lazy("No message with this id."))
    if message.status not in CANCELLABLE:
        raise NotCancellable(extra={"status": message.status})
    with transaction.atomic():
        moved = messages_move(ids=[message.pk], new=Status.CANCELLED, error_code="cancelled",
                              error_detail="Cancelled by the client.", now=timezone.now())
        if not moved:  # its connector claimed it (or it was released and sent) in between
            current = Message.objects.filter(pk=message.pk).values_list("status", flat=True).first()
            raise NotCancellable(extra={"status": current})
        audit_record(code="messaging.message.cancelled", actor=actor, client=client, target=str(public_id))
    return Message.objects.get(pk=message.pk)
