"""Termination (R-ACC-08, T 10.3, 10.4).

The client gives notice on the website (at least 15 calendar days before the date); staff can
terminate at once or on a date. On the date the account stops: it cannot send, its API keys are
revoked. A year later a daily job destroys the client's personal data and recipient database
without notice, keeping the anonymized ledger (amounts, dates, counts) for accounting.

Here is the accounts part only. Stopping an account also cancels what it has not sent
(messaging), and destroying its data reaches every app's tables: both are `lifecycle.services`,
above the apps, which calls these and each app's own `…_for_client_stop` / `…_personal_data_destroy`.
"""
import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from smsportal.errors import ApplicationError
from smsportal.kyiv import KYIV, kyiv_midnight
from smsportal.periods import kyiv_earliest_start_covering, kyiv_period_over, kyiv_shift

from ..models import ApiKey, Client, ClientBlock, Invitation, PhoneCode, User
from .core import audit_record

NOTICE_DAYS = 15
KEEP_DATA_YEARS = 1  # calendar year on Kyiv dates: terminated on 5 March → destroyed from 6 March next year


class TerminationError(ApplicationError):
    code = "termination_error"
    status = 409


def client_termination_request(*, client: Client, actor=None, reason: str = "") -> Client:
    """The client's notice: the account stops 15 calendar days from now (T 10.3)."""
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        if client.status == Client.Status.TERMINATED:
            raise TerminationError(gettext("The account is already terminated."))
        if client.terminates_at:
            raise TerminationError(gettext("Termination is already scheduled for %(localtime)s.") % {
                "localtime": f"{timezone.localtime(client.terminates_at):%d.%m.%Y}"})
        now = timezone.now()
        client.termination_requested_at = now
        client.terminates_at = kyiv_shift(now, days=NOTICE_DAYS)
        client.termination_reason = (reason or "").strip()[:300] or "Notice by the client"
        client.save(update_fields=["termination_requested_at", "terminates_at", "termination_reason", "updated_at"])
        audit_record(code="accounts.client.termination_requested", actor=actor, client=client,
                     target=str(client.public_id), details={"terminates_at": client.terminates_at.isoformat()})
    from ..notify import client_emails, client_language, email_send, in_language  # noqa: PLC0415

    when = timezone.localtime(client.terminates_at)
    with in_language(client_language(client)):
        subject = gettext("Termination of %(company)s on %(date)s") % {"company": client.name, "date": f"{when:%d.%m.%Y}"}
        body = gettext(
            "We received your notice. The account stops on %(when)s (Kyiv). You can cancel it in your account until "
            "then. Your personal data and recipient lists are kept for 1 year after termination and then destroyed. "
            "The unused balance (minus the bonus) is refunded on request.") % {"when": f"{when:%d.%m.%Y %H:%M}"}
    transaction.on_commit(lambda: email_send(client_emails(client), subject, body))
    return client


def client_termination_cancel(*, client: Client, actor=None) -> Client:
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        if client.status == Client.Status.TERMINATED or not client.terminates_at:
            raise TerminationError(gettext("No termination is scheduled."))
        client.terminates_at = None
        client.termination_requested_at = None
        client.termination_reason = ""
        client.save(update_fields=["termination_requested_at", "terminates_at", "termination_reason", "updated_at"])
        audit_record(code="accounts.client.termination_cancelled", actor=actor, client=client,
                     target=str(client.public_id))
    return client


def client_access_stop(*, client: Client, at) -> None:
    """accounts' part of the stop: the account is TERMINATED, its API keys and open invitations are
    revoked, an open block is lifted. The caller holds the client row locked and stops the other
    apps in the same transaction (`lifecycle.services`)."""
    client.status = Client.Status.TERMINATED
    client.status_reason = client.termination_reason or "Terminated"
    client.terminated_at = at
    client.terminates_at = client.terminates_at or at
    client.save(update_fields=["status", "status_reason", "terminated_at", "terminates_at", "updated_at"])
    ApiKey.objects.filter(client=client, revoked_at__isnull=True).update(revoked_at=at)
    Invitation.objects.filter(client=client, accepted_at__isnull=True, revoked_at__isnull=True).update(revoked_at=at)
    ClientBlock.objects.filter(client=client, lifted_at__isnull=True).update(lifted_at=at, lift_note="Terminated")


def client_termination_record(*, client: Client, reason: str, actor=None, at=None) -> tuple[Client, bool]:
    """Staff terminate the account now or on `at`: accounts' checks and the reason. With a future
    `at` the termination is scheduled (audited) and (client, False) comes back; otherwise
    (client, True): the caller stops the account in every app inside its own transaction, which
    holds the client row locked from here on (`lifecycle.services.client_terminate`)."""
    reason = (reason or "").strip()
    if not reason:
        raise TerminationError(gettext("Give the reason for the termination."), code="reason_required")
    now = timezone.now()
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        if client.status == Client.Status.TERMINATED:
            raise TerminationError(gettext("The account is already terminated."))
        if client.is_system:
            raise TerminationError(gettext("The system account cannot be terminated."))
        client.termination_reason = reason[:300]
        if at and at > now:
            client.terminates_at = at
            client.termination_requested_at = now
            client.save(update_fields=["terminates_at", "termination_requested_at", "termination_reason", "updated_at"])
            audit_record(code="accounts.client.termination_scheduled", actor=actor, client=client,
                         target=str(client.public_id), details={"at": at.isoformat(), "reason": reason})
            return client, False
        client.save(update_fields=["termination_reason", "updated_at"])
    return client, True


def clients_termination_due(*, now) -> list[int]:
    """Ids of the accounts whose notice period ended by `now` and that are not terminated yet."""
    return list(Client.objects.filter(terminates_at__lte=now).exclude(status=Client.Status.TERMINATED)
                .order_by("pk").values_list("pk", flat=True))


def client_lock_if_termination_due(*, pk: int, now) -> Client | None:
    """Inside the caller's transaction: the client row locked, if it is still due to stop by `now`."""
    client = Client.objects.select_for_update().get(pk=pk)
    if client.status != Client.Status.TERMINATED and client.terminates_at and client.terminates_at <= now:
        return client
    return None


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


def accounts_personal_data_destroy(*, client: Client, counts: dict | None = None) -> dict:
    """accounts' part of destroying a terminated client's data (R-ACC-08), the last step: logins
    are anonymized and disabled, invitations and block explanations emptied, the audit trail
    loses emails and phones, the client row its name and legal details; `data_destroyed_at` is
    set and the destruction audited with `counts` (what the other apps destroyed before)."""
    counts = dict(counts or {})
    with transaction.atomic():
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


def clients_personal_data_due(*, now) -> list[Client]:
    """Accounts terminated a year before `now` whose personal data is not destroyed yet (T 10.4)."""
    cutoff = kyiv_earliest_start_covering(now.astimezone(KYIV).date(), years=KEEP_DATA_YEARS)
    due = Client.objects.filter(status=Client.Status.TERMINATED, data_destroyed_at__isnull=True,
                                terminated_at__lt=kyiv_midnight(cutoff)).order_by("pk")
    return [c for c in due if kyiv_period_over(c.terminated_at, now, years=KEEP_DATA_YEARS)]
