from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Client
from accounts.services import audit_record
from smsportal.errors import ApplicationError, NotFound

from .models import SenderName
from .validation import sender_name_problem


class SenderNameInvalid(ApplicationError):
    code = "sender_name_invalid"


class SenderNameTaken(ApplicationError):
    code = "sender_name_taken"
    status = 409
    default_detail = "This sender name is already registered."


class SenderNotApproved(ApplicationError):
    code = "sender_not_approved"
    status = 400


def sender_name_request(*, client: Client, name: str, actor=None) -> SenderName:
    """A client asks for a name; it waits for staff moderation (R-SND-04)."""
    name = (name or "").strip()
    if problem := sender_name_problem(name):
        raise SenderNameInvalid(problem)
    if SenderName.objects.filter(name__iexact=name).exists():
        raise SenderNameTaken(f"The sender name '{name}' is already registered.")
    try:
        with transaction.atomic():
            sender = SenderName.objects.create(client=client, name=name)
            audit_record(code="senders.name.requested", actor=actor, client=client, target=name)
    except IntegrityError:
        raise SenderNameTaken(f"The sender name '{name}' is already registered.") from None
    return sender


def _decide(*, sender_id: int, status: str, actor, reason: str = "") -> SenderName:
    with transaction.atomic():
        sender = SenderName.objects.select_for_update().filter(pk=sender_id).first()
        if sender is None:
            raise NotFound("No such sender name.")
        sender.status = status
        sender.rejection_reason = reason
        sender.decided_by = actor if getattr(actor, "is_authenticated", False) else None
        sender.decided_at = timezone.now()
        sender.save(update_fields=["status", "rejection_reason", "decided_by", "decided_at", "updated_at"])
        audit_record(code=f"senders.name.{status}", actor=actor, client=sender.client, target=sender.name,
                     details={"reason": reason} if reason else {})
    return sender


def sender_name_approve(*, sender_id: int, actor=None) -> SenderName:
    return _decide(sender_id=sender_id, status=SenderName.Status.APPROVED, actor=actor)


def sender_name_reject(*, sender_id: int, reason: str, actor=None) -> SenderName:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("A rejection needs a reason the client will see.", code="reason_required")
    return _decide(sender_id=sender_id, status=SenderName.Status.REJECTED, actor=actor, reason=reason)
