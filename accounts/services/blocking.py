"""Blocking (R-ACC-06), dormancy (R-ACC-07) and linked accounts (R-ACC-02).

A block notifies the client at once by SMS to the primary phone and by email; the client can
still log in, sees why on every page, cannot send, and may answer with a written explanation
within 2 calendar days (T 3.3.7); staff unblock. Every step is audited.

Here is the accounts part only. A block also stops what the client queued in messaging: the
whole block (and the dormancy job, which reads billing's ledger) is `lifecycle.services`, above
the apps, which calls `client_block_open` and then each app's own service in one transaction.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext

from smsportal.errors import ApplicationError, NotFound
from datetime import datetime, time

from smsportal.kyiv import KYIV
from smsportal.periods import kyiv_last_day

from ..models import Client, ClientBlock
from .core import audit_record

EXPLANATION_DAYS = 2
DORMANT_AFTER_YEARS = 3  # calendar years on Kyiv dates (R-ACC-07)
DORMANT_REASON = ("No use of funds for 3 years since the last top-up. Contact support to verify the owner and "
                  "have the account unblocked.")


class BlockError(ApplicationError):
    code = "block_error"
    status = 409


def explanation_deadline(blocked_at):
    """The end of the 2nd calendar day after the block (Kyiv): blocked on the 4th → until the 6th, 23:59."""
    return datetime.combine(kyiv_last_day(blocked_at, days=EXPLANATION_DAYS), time(23, 59, 59), tzinfo=KYIV)


def _notify_block(block_id: int) -> None:
    from ..notify import client_emails, client_language, client_primary_phone, email_send, in_language, sms_send  # noqa: PLC0415,E501

    block = ClientBlock.objects.select_related("client").get(pk=block_id)
    client = block.client
    with in_language(client_language(client)):
        _notify_block_send(block, client, client_emails, client_primary_phone, email_send, sms_send)


def _notify_block_send(block, client, client_emails, client_primary_phone, email_send, sms_send) -> None:
    due = timezone.localtime(block.explanation_due_at) if block.explanation_due_at else None
    short = block.reason if len(block.reason) <= 90 else block.reason[:87] + "..."
    if block.kind == ClientBlock.Kind.DORMANT:
        sms = _("smsportal: your account is blocked after 3 years without use. Contact support to verify the owner.")
    else:
        sms = _("smsportal: your account is blocked. Reason: %(reason)s") % {"reason": short}
        if due:
            sms += " " + _("Explain in your account by %(due)s.") % {"due": f"{due:%d.%m %H:%M}"}
    body = (_("Your account %(company)s was blocked on %(when)s.")
            % {"company": client.name, "when": f"{timezone.localtime(block.blocked_at):%d.%m.%Y %H:%M}"} + "\n\n"
            + _("Reason: %(reason)s") % {"reason": block.reason} + "\n\n")
    if due:
        body += _("You can still log in and see your data, but you cannot send. You can send us a written "
                  "explanation on the website until %(due)s (Kyiv time).") % {"due": f"{due:%d.%m.%Y %H:%M}"} + "\n"
    sent_sms = sms_send(client_primary_phone(client), sms)
    sent_mail = email_send(client_emails(client), _("Account %(company)s blocked") % {"company": client.name}, body)
    ClientBlock.objects.filter(pk=block.pk).update(notified_sms=sent_sms, notified_email=sent_mail)
    audit_record(code="accounts.client.block_notified", client=client, target=str(client.public_id),
                 details={"sms": sent_sms, "email": sent_mail})


def client_block_open(*, client: Client, reason: str, actor=None, kind: str = ClientBlock.Kind.STAFF,
                      notify: bool = True) -> ClientBlock:
    """accounts' part of a block: the account is blocked with a reason the client sees, its row
    stays locked (FOR UPDATE) until the caller's transaction ends, the client is notified at commit
    (SMS + email). The caller stops the client's sending in the same transaction and audits the
    block (`lifecycle.services.client_block`)."""
    reason = (reason or "").strip()
    if not reason:
        raise BlockError(gettext("A block needs a reason the client will see."), code="reason_required")
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        if client.is_system:
            raise BlockError(gettext("The system account cannot be blocked."))
        if client.status == Client.Status.TERMINATED:
            raise BlockError(gettext("The account is terminated."))
        if ClientBlock.objects.filter(client=client, lifted_at__isnull=True).exists():
            raise BlockError(gettext("%(name)s is already blocked.") % {"name": client.name})
        now = timezone.now()
        block = ClientBlock.objects.create(
            client=client, kind=kind, reason=reason, blocked_at=now,
            blocked_by=actor if getattr(actor, "is_authenticated", False) else None,
            explanation_due_at=explanation_deadline(now) if kind == ClientBlock.Kind.STAFF else None)
        client.status = Client.Status.DORMANT if kind == ClientBlock.Kind.DORMANT else Client.Status.BLOCKED
        client.status_reason = reason
        client.save(update_fields=["status", "status_reason", "updated_at"])
        if notify:
            transaction.on_commit(lambda: _notify_block(block.pk))
    return block


def block_explanation_submit(*, client: Client, text: str, actor=None) -> ClientBlock:
    """The client's written explanation, within 2 calendar days of the block (T 3.3.7)."""
    text = (text or "").strip()
    if len(text) < 10:
        raise BlockError(gettext("Write a few sentences: what happened and what you have done about it."),
                         code="explanation_too_short")
    with transaction.atomic():
        block = ClientBlock.objects.select_for_update().filter(client=client, lifted_at__isnull=True).first()
        if block is None:
            raise NotFound(gettext("The account is not blocked."))
        if block.kind != ClientBlock.Kind.STAFF or block.explanation_due_at is None:
            raise BlockError(gettext("Contact support to verify the owner; this block has no explanation form."))
        if block.explanation:
            raise BlockError(gettext("Your explanation was already sent; staff will answer by email."))
        if timezone.now() > block.explanation_due_at:
            raise BlockError(gettext("The time for a written explanation ended on %(localtime)s. Contact support.") % {
                "localtime": f"{timezone.localtime(block.explanation_due_at):%d.%m.%Y %H:%M}"},
                             code="explanation_late")
        block.explanation = text[:10000]
        block.explanation_at = timezone.now()
        block.explanation_by = actor if getattr(actor, "is_authenticated", False) else None
        block.save(update_fields=["explanation", "explanation_at", "explanation_by", "updated_at"])
        audit_record(code="accounts.client.block_explained", actor=actor, client=client, target=str(client.public_id))
    return block


def client_unblock(*, client: Client, actor=None, note: str = "") -> Client:
    """Staff lift the current block. A dormant account needs a note on how the owner was
    verified (R-ACC-07)."""
    note = (note or "").strip()
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        block = ClientBlock.objects.select_for_update().filter(client=client, lifted_at__isnull=True).first()
        if block is None and client.status not in (Client.Status.BLOCKED, Client.Status.DORMANT):
            raise BlockError(gettext("%(name)s is not blocked.") % {"name": client.name})
        if (block and block.kind == ClientBlock.Kind.DORMANT or client.status == Client.Status.DORMANT) and not note:
            raise BlockError(gettext("Say how the owner was verified (document, call to the primary phone…)."),
                             code="verification_required")
        if block:
            block.lifted_at = timezone.now()
            block.lifted_by = actor if getattr(actor, "is_authenticated", False) else None
            block.lift_note = note
            block.save(update_fields=["lifted_at", "lifted_by", "lift_note", "updated_at"])
        client.status = Client.Status.ACTIVE
        client.status_reason = ""
        client.save(update_fields=["status", "status_reason", "updated_at"])
        audit_record(code="accounts.client.unblocked", actor=actor, client=client, target=str(client.public_id),
                     details={"note": note, "kind": block.kind if block else ""})
    from ..notify import client_emails, client_language, email_send, in_language  # noqa: PLC0415

    def _unblocked_notice():
        with in_language(client_language(client)):
            email_send(client_emails(client), _("Account %(company)s unblocked") % {"company": client.name},
                       _("Your account is active again: you can send messages."))

    transaction.on_commit(_unblocked_notice)
    return client
