"""Termination (R-ACC-08, T 10.3, 10.4).

The client gives notice on the website (at least 15 calendar days before the date); staff can
terminate at once or on a date. On the date the account stops: it cannot send, its API keys are
revoked. A year later a daily job destroys the client's personal data and recipient database
without notice, keeping the anonymized ledger (amounts, dates, counts) for accounting.
"""
import re
from datetime import timedelta

from django.db import transaction
from django.db.models import Subquery, Value
from django.db.models.functions import Replace
from django.utils import timezone

from smsportal.errors import ApplicationError

from ..models import ApiKey, Client, ClientBlock, Invitation, PhoneCode, User
from .core import audit_record, client_messages_cancel

NOTICE_DAYS = 15
KEEP_DATA_DAYS = 365
BATCH = 5000


class TerminationError(ApplicationError):
    code = "termination_error"
    status = 409


def client_termination_request(*, client: Client, actor=None, reason: str = "") -> Client:
    """The client's notice: the account stops 15 calendar days from now (T 10.3)."""
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        if client.status == Client.Status.TERMINATED:
            raise TerminationError("The account is already terminated.")
        if client.terminates_at:
            raise TerminationError(f"Termination is already scheduled for "
                                   f"{timezone.localtime(client.terminates_at):%d.%m.%Y}.")
        now = timezone.now()
        client.termination_requested_at = now
        client.terminates_at = now + timedelta(days=NOTICE_DAYS)
        client.termination_reason = (reason or "").strip()[:300] or "Notice by the client"
        client.save(update_fields=["termination_requested_at", "terminates_at", "termination_reason", "updated_at"])
        audit_record(code="accounts.client.termination_requested", actor=actor, client=client,
                     target=str(client.public_id), details={"terminates_at": client.terminates_at.isoformat()})
    from ..notify import client_emails, email_send  # noqa: PLC0415

    when = timezone.localtime(client.terminates_at)
    transaction.on_commit(lambda: email_send(
        client_emails(client), f"Termination of {client.name} on {when:%d.%m.%Y}",
        f"We received your notice. The account stops on {when:%d.%m.%Y %H:%M} (Kyiv). You can cancel it in your "
        f"account until then. Your personal data and recipient lists are kept for 1 year after termination and then "
        f"destroyed. The unused balance (minus the bonus) is refunded on request."))
    return client


def client_termination_cancel(*, client: Client, actor=None) -> Client:
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        if client.status == Client.Status.TERMINATED or not client.terminates_at:
            raise TerminationError("No termination is scheduled.")
        client.terminates_at = None
        client.termination_requested_at = None
        client.termination_reason = ""
        client.save(update_fields=["termination_requested_at", "terminates_at", "termination_reason", "updated_at"])
        audit_record(code="accounts.client.termination_cancelled", actor=actor, client=client,
                     target=str(client.public_id))
    return client


def _terminate_now(client: Client, *, at, actor=None) -> None:
    client.status = Client.Status.TERMINATED
    client.status_reason = client.termination_reason or "Terminated"
    client.terminated_at = at
    client.terminates_at = client.terminates_at or at
    client.save(update_fields=["status", "status_reason", "terminated_at", "terminates_at", "updated_at"])
    ApiKey.objects.filter(client=client, revoked_at__isnull=True).update(revoked_at=at)
    Invitation.objects.filter(client=client, accepted_at__isnull=True, revoked_at__isnull=True).update(revoked_at=at)
    ClientBlock.objects.filter(client=client, lifted_at__isnull=True).update(lifted_at=at, lift_note="Terminated")
    cancelled = _unsent_cancel(client)
    audit_record(code="accounts.client.terminated", actor=actor, client=client, target=str(client.public_id),
                 details={"reason": client.termination_reason, "cancelled_messages": cancelled})


def _unsent_cancel(client: Client) -> int:
    """The account stops: what it scheduled, queued or has held for review and was not handed to
    an operator yet is cancelled, and its reservation goes back to the wallet."""
    return client_messages_cancel(client=client, statuses=("scheduled", "queued", "pending_review"),
                                  error_code="account_terminated",
                                  error_detail="The account was terminated before the message was sent.")


def client_terminate(*, client: Client, reason: str, actor=None, at=None) -> Client:
    """Staff terminate the account now (or schedule it for `at`)."""
    reason = (reason or "").strip()
    if not reason:
        raise TerminationError("Give the reason for the termination.", code="reason_required")
    now = timezone.now()
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        if client.status == Client.Status.TERMINATED:
            raise TerminationError("The account is already terminated.")
        if client.is_system:
            raise TerminationError("The system account cannot be terminated.")
        client.termination_reason = reason[:300]
        if at and at > now:
            client.terminates_at = at
            client.termination_requested_at = now
            client.save(update_fields=["terminates_at", "termination_requested_at", "termination_reason", "updated_at"])
            audit_record(code="accounts.client.termination_scheduled", actor=actor, client=client,
                         target=str(client.public_id), details={"at": at.isoformat(), "reason": reason})
        else:
            client.save(update_fields=["termination_reason", "updated_at"])
            _terminate_now(client, at=now, actor=actor)
    return client


def clients_terminate_due(*, now=None) -> int:
    """Daily: accounts whose notice period ended stop now."""
    now = now or timezone.now()
    done = 0
    for pk in Client.objects.filter(terminates_at__lte=now).exclude(status=Client.Status.TERMINATED).values_list(
            "pk", flat=True):
        with transaction.atomic():
            client = Client.objects.select_for_update().get(pk=pk)
            if client.status != Client.Status.TERMINATED and client.terminates_at and client.terminates_at <= now:
                _terminate_now(client, at=client.terminates_at)
                done += 1
    return done


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


_EMAIL = re.compile(r"[^\s@;,]+@[^\s@;,]+")
_PHONE = re.compile(r"\+?\d[\d \-()]{8,}\d")


def _scrubbed(value):
    if isinstance(value, str):
        return _PHONE.sub("[deleted]", _EMAIL.sub("[deleted]", value))
    if isinstance(value, dict):
        return {k: _scrubbed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v) for v in value]
    return value


def _audit_scrub(client: Client) -> int:
    """The audit trail of the client stays (who did what, when) without emails or phone numbers."""
    from ..models import AuditEvent  # noqa: PLC0415

    changed = 0
    for event in AuditEvent.objects.filter(client=client).only("pk", "target", "details"):
        target, details = _scrubbed(event.target), _scrubbed(event.details)
        if target != event.target or details != event.details:
            AuditEvent.objects.filter(pk=event.pk).update(target=target, details=details)
            changed += 1
    return changed


def client_personal_data_destroy(*, client: Client, batch: int = BATCH) -> dict:
    """Destroys the client's personal data and recipient database; keeps the anonymized ledger.

    Reaches into messaging, compliance and senders on purpose (R-ACC-08 names their tables):
    messages keep status, parts, price and dates but lose recipient and text; contacts and
    contact groups are deleted; campaigns lose their texts and names; inbound SMS lose sender and
    text; opt-outs (phones) are deleted; sender names lose their description and proof file.
    Logins are anonymized and disabled; raw delivery receipts lose their text; the audit trail
    loses emails and phones. Wallet, ledger entries (campaign names replaced by their ids) and
    invoices (accounting documents) stay."""
    from compliance.models import OptOut  # noqa: PLC0415 (apps above accounts, imported on purpose)
    from messaging.models import Campaign, Contact, ContactGroup, InboundMessage, Message  # noqa: PLC0415
    from senders.models import SenderName  # noqa: PLC0415

    from billing.models import LedgerEntry  # noqa: PLC0415
    from messaging.models import MessagePart, ReceiptInbox  # noqa: PLC0415

    counts = {}
    # The ledger stays, anonymized: a campaign's name in an entry's text becomes its id.
    counts["ledger_texts"] = 0
    for pid, name in Campaign.objects.filter(client=client).exclude(name="").values_list("public_id", "name"):
        counts["ledger_texts"] += LedgerEntry.objects.filter(
            wallet__client=client, description__contains=f"Campaign {name}").update(
            description=Replace("description", Value(f"Campaign {name}"), Value(f"Campaign {pid}")))
    # Raw delivery receipts quote the start of the text and the recipient's number.
    counts["receipts"] = ReceiptInbox.objects.filter(smsc_message_id__in=Subquery(
        MessagePart.objects.filter(message__client=client, smsc_message_id__isnull=False)
        .values("smsc_message_id"))).exclude(raw="").update(raw="")
    counts["messages"] = _batched_update(Message.objects.filter(client=client).exclude(recipient="", text=""),
                                         batch, recipient="", text="")
    counts["campaigns"] = _batched_update(Campaign.objects.filter(client=client), batch, text="", name="", errors=[])
    counts["inbound"] = _batched_update(InboundMessage.objects.filter(client=client).exclude(source="", text=""),
                                        batch, source="", text="")
    counts["contacts"] = 0
    while True:
        ids = list(Contact.objects.filter(group__client=client).values_list("pk", flat=True)[:batch])
        if not ids:
            break
        counts["contacts"] += Contact.objects.filter(pk__in=ids).delete()[0]
    counts["contact_groups"] = ContactGroup.objects.filter(client=client).delete()[0]
    counts["opt_outs"] = OptOut.objects.filter(client=client).delete()[0]
    # Status webhooks: their payloads carry recipients' numbers; the endpoint its URL and secret.
    from messaging.models import WebhookDelivery, WebhookEndpoint, WebhookEvent  # noqa: PLC0415

    counts["webhook_events"] = WebhookEvent.objects.filter(client=client).delete()[0]
    WebhookDelivery.objects.filter(client=client).delete()
    WebhookEndpoint.objects.filter(client=client).delete()
    with transaction.atomic():
        for sender in SenderName.objects.filter(client=client).exclude(proof=""):
            sender.proof.delete(save=False)
        SenderName.objects.filter(client=client).update(
            proof="", company_name="", company_code="", website="", purpose="", sample_text="")
        users = list(User.objects.filter(client=client))
        from allauth.account.models import EmailAddress  # noqa: PLC0415

        EmailAddress.objects.filter(user__in=users).delete()
        try:
            from allauth.mfa.models import Authenticator  # noqa: PLC0415

            Authenticator.objects.filter(user__in=users).delete()
        except ImportError:  # pragma: no cover
            pass
        PhoneCode.objects.filter(user__in=users).delete()
        for user in users:
            user.email = f"deleted-{user.pk}@deleted.invalid"
            user.first_name = user.last_name = user.phone = ""
            user.phone_verified = False
            user.is_active = False
            user.set_unusable_password()
            user.save()
        Invitation.objects.filter(client=client).update(email="deleted@deleted.invalid")
        counts["audit"] = _audit_scrub(client)
        ClientBlock.objects.filter(client=client).update(explanation="")
        client = Client.objects.select_for_update().get(pk=client.pk)
        client.name = f"Terminated client {client.public_id.hex[:8]}"
        for f in ("legal_name", "tax_code", "vat_number", "signatory_name", "signatory_position", "postal_address",
                  "documents_email", "edi_provider", "status_reason", "review_flag"):
            setattr(client, f, "")
        client.data_destroyed_at = timezone.now()
        client.save()
        audit_record(code="accounts.client.data_destroyed", client=client, target=str(client.public_id),
                     details=counts)
    return counts


def clients_destroy_personal_data(*, now=None) -> int:
    """Daily: a year after termination, destroy personal data and recipient lists (T 10.4)."""
    now = now or timezone.now()
    due = Client.objects.filter(status=Client.Status.TERMINATED, data_destroyed_at__isnull=True,
                                terminated_at__lte=now - timedelta(days=KEEP_DATA_DAYS))
    done = 0
    for client in due:
        client_personal_data_destroy(client=client)
        done += 1
    return done
