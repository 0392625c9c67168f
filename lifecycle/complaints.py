"""Complaints about a client's messages (R-CMP-09): every write.

- staff record a complaint from an operator, a recipient or a third party against one or more of
  the client's messages (`complaint_record`); the client is told at once by email (at commit) and
  on every page of the website (`lifecycle.templatetags.complaint_tags`);
- the client answers on the website within 2 business days, Kyiv time (`complaint_answer`);
  the last day is `business_days_after(received day, 2)`: weekends and Ukrainian public holidays
  (the sending-hours calendar of compliance: the `holidays` package under staff calendar days)
  do not count;
- a periodic job tells staff of the complaints whose answer is overdue (`complaints_flag_overdue`);
- staff resolve: dismiss, penalize (billing's R-BILL-11 penalty per violating message) or block
  the account (`lifecycle.services.client_block`). Every step is audited.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from accounts.models import Client, User
from accounts.notify import client_emails, client_language, email_send, in_language
from accounts.services import audit_record
from billing.services.settlement import wallet_penalty
from compliance.hours import business_days_after
from messaging.selectors import messages_for_client
from smsportal.errors import ApplicationError
from smsportal.kyiv import kyiv_date, kyiv_midnight
from smsportal.phones import normalize_phone

from .models import Complaint
from .services import client_block

log = logging.getLogger("smsportal.lifecycle")

ANSWER_BUSINESS_DAYS = 2
MAX_MESSAGES = 1000
"""At most this many messages in one complaint (a recipient and a date range can match many)."""


class ComplaintError(ApplicationError):
    code = "complaint_invalid"


# ---- the deadline -----------------------------------------------------------------------------

def complaint_answer_due(received_at) -> date:
    """The last day the client may answer a complaint received at `received_at`."""
    return business_days_after(kyiv_date(received_at), ANSWER_BUSINESS_DAYS)


def complaint_is_overdue(complaint: Complaint, *, today: date | None = None) -> bool:
    return complaint.status == Complaint.Status.OPEN and (today or kyiv_date()) > complaint.answer_due_on


# ---- which messages ---------------------------------------------------------------------------

def complaint_messages_find(*, client: Client, public_ids=(), recipient: str = "", date_from: date | None = None,
                            date_to: date | None = None) -> list:
    """The client's messages a complaint is about: by their ids, and/or every message to
    `recipient` sent on the Kyiv days date_from…date_to. Another client's message is as good as
    absent. Raises ComplaintError naming what did not match."""
    found = {}
    public_ids = [str(p) for p in public_ids]
    if public_ids:
        rows = list(messages_for_client(client=client).filter(public_id__in=public_ids))
        missing = sorted(set(public_ids) - {str(m.public_id) for m in rows})
        if missing:
            raise ComplaintError(gettext("No message of %(client)s has the id %(ids)s.")
                                 % {"client": client.name, "ids": ", ".join(missing[:5])},
                                 code="complaint_message_unknown")
        found.update((m.pk, m) for m in rows)
    if recipient:
        phone = normalize_phone(recipient)
        if not phone:
            raise ComplaintError(gettext("The recipient is not a valid phone number."), code="complaint_recipient_invalid")
        if date_from is None or date_to is None:
            raise ComplaintError(gettext("Give the first and the last day of the period."), code="complaint_period_missing")
        if date_to < date_from:
            raise ComplaintError(gettext("The period ends before it starts."), code="complaint_period_invalid")
        rows = list(messages_for_client(client=client).filter(
            recipient=phone, created_at__gte=kyiv_midnight(date_from),
            created_at__lt=kyiv_midnight(date_to + timedelta(days=1)))[:MAX_MESSAGES + 1])
        if not rows:
            raise ComplaintError(gettext("%(client)s sent no message to %(phone)s from %(date_from)s to %(date_to)s.") % {
                "client": client.name, "phone": phone, "date_from": f"{date_from:%d.%m.%Y}",
                "date_to": f"{date_to:%d.%m.%Y}"}, code="complaint_message_unknown")
        found.update((m.pk, m) for m in rows)
    if not found:
        raise ComplaintError(gettext("Name the messages: their ids, or a recipient and a period."),
                             code="complaint_messages_missing")
    if len(found) > MAX_MESSAGES:
        raise ComplaintError(gettext("More than %(n)s messages match: narrow the period.") % {"n": MAX_MESSAGES},
                             code="complaint_too_many_messages")
    return list(found.values())


# ---- record, notify, answer -------------------------------------------------------------------

def complaint_record(*, client: Client, source: str, subject: str, complainant: str = "",
                     complainant_contact: str = "", public_ids=(), recipient: str = "",
                     date_from: date | None = None, date_to: date | None = None, actor=None,
                     received_at=None) -> Complaint:
    """Staff record a complaint against the client's messages; the client is emailed at commit
    and sees it on the website at once, with the day its answer is due."""
    subject = (subject or "").strip()
    if not subject:
        raise ComplaintError(gettext("Say what the complaint is about."), code="complaint_subject_missing")
    if source not in Complaint.Source.values:
        raise ComplaintError(gettext("Choose who complained."), code="complaint_source_invalid")
    messages = complaint_messages_find(client=client, public_ids=public_ids, recipient=recipient,
                                       date_from=date_from, date_to=date_to)
    received_at = received_at or timezone.now()
    with transaction.atomic():
        complaint = Complaint.objects.create(
            client=client, source=source, subject=subject[:10000], complainant=(complainant or "").strip()[:200],
            complainant_contact=(complainant_contact or "").strip()[:200], received_at=received_at,
            answer_due_on=complaint_answer_due(received_at),
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None)
        complaint.messages.set(messages)
        audit_record(code="lifecycle.complaint.recorded", actor=actor, client=client, target=str(complaint.public_id),
                     details={"source": source, "messages": len(messages),
                              "answer_due_on": complaint.answer_due_on.isoformat()})
        transaction.on_commit(lambda: _notify_recorded(complaint.pk))
    return complaint


def _notify_recorded(complaint_id: int) -> None:
    complaint = Complaint.objects.select_related("client").get(pk=complaint_id)
    client = complaint.client
    ids = list(complaint.messages.order_by("created_at", "id").values_list("public_id", flat=True)[:10])
    count = complaint.messages.count()
    with in_language(client_language(client)):
        who = str(complaint.get_source_display())
        if complaint.complainant and complaint.source == Complaint.Source.OPERATOR:
            who += f" ({complaint.complainant})"
        body = (ngettext("%(who)s complained about %(count)s message(s) sent from your account %(client)s on %(at)s.",
                         "%(who)s complained about %(count)s message(s) sent from your account %(client)s on %(at)s.",
                         count)
                % {"who": who, "count": count, "client": client.name,
                   "at": f"{timezone.localtime(complaint.received_at):%d.%m.%Y %H:%M}"} + "\n\n"
                + gettext("What it is about:") + f"\n{complaint.subject}\n\n"
                + gettext("Messages: %(ids)s") % {"ids": ", ".join(str(i) for i in ids)}
                + (" …" if count > len(ids) else "") + "\n\n"
                + gettext("Please answer on the website (Compliance page) by the end of %(due)s (Kyiv time, "
                          "2 business days). Without an answer, staff decide on what they have: a penalty per "
                          "violating message or a block of the account is possible.")
                % {"due": f"{complaint.answer_due_on:%d.%m.%Y}"} + "\n")
        subject = gettext("Complaint about messages of %(client)s") % {"client": client.name}
    sent = email_send(client_emails(client), subject, body)
    Complaint.objects.filter(pk=complaint.pk).update(notified_email=sent)
    audit_record(code="lifecycle.complaint.notified", client=client, target=str(complaint.public_id),
                 details={"email": sent})


def complaint_answer(*, complaint: Complaint, text: str, actor=None) -> Complaint:
    """The client's written answer, once; after the due day it is still taken and marked late."""
    text = (text or "").strip()
    if len(text) < 10:
        raise ComplaintError(gettext("Write a few sentences: what happened and what you have done about it."),
                             code="complaint_answer_too_short")
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
        if complaint.status == Complaint.Status.RESOLVED:
            raise ComplaintError(gettext("This complaint is already resolved."), code="complaint_resolved")
        if complaint.answered_at:
            raise ComplaintError(gettext("Your answer was already sent; staff will decide and tell you by email."),
                                 code="complaint_answered")
        complaint.answer = text[:10000]
        complaint.answered_at = timezone.now()
        complaint.answered_by = actor if getattr(actor, "is_authenticated", False) else None
        complaint.status = Complaint.Status.ANSWERED
        complaint.save(update_fields=["answer", "answered_at", "answered_by", "status", "updated_at"])
        audit_record(code="lifecycle.complaint.answered", actor=actor, client=complaint.client,
                     target=str(complaint.public_id),
                     details={"late": kyiv_date(complaint.answered_at) > complaint.answer_due_on})
    return complaint


# ---- staff decide -----------------------------------------------------------------------------

def _decision_lock(complaint: Complaint, note: str) -> tuple[Complaint, str]:
    note = (note or "").strip()
    if not note:
        raise ComplaintError(gettext("Write the reason the client will read."), code="complaint_note_missing")
    complaint = Complaint.objects.select_for_update(of=("self",)).select_related("client").get(pk=complaint.pk)
    if complaint.status == Complaint.Status.RESOLVED:
        raise ComplaintError(gettext("The complaint is already resolved (%(decision)s).")
                             % {"decision": str(complaint.get_decision_display()).lower()},
                             code="complaint_resolved")
    return complaint, note[:2000]


def _decision_save(complaint: Complaint, *, decision: str, note: str, actor, details: dict) -> Complaint:
    complaint.status = Complaint.Status.RESOLVED
    complaint.decision = decision
    complaint.decision_note = note
    complaint.decided_at = timezone.now()
    complaint.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    complaint.save(update_fields=["status", "decision", "decision_note", "penalty_messages", "decided_at",
                                  "decided_by", "updated_at"])
    audit_record(code=f"lifecycle.complaint.{decision}", actor=actor, client=complaint.client,
                 target=str(complaint.public_id), details={"note": note, **details})
    transaction.on_commit(lambda: _notify_decided(complaint.pk))
    return complaint


def complaint_dismiss(*, complaint: Complaint, note: str, actor=None) -> Complaint:
    """Staff find the complaint unfounded."""
    with transaction.atomic():
        complaint, note = _decision_lock(complaint, note)
        return _decision_save(complaint, decision=Complaint.Decision.DISMISSED, note=note, actor=actor, details={})


def complaint_penalize(*, complaint: Complaint, note: str, messages: int, actor=None) -> Complaint:
    """Staff charge the R-BILL-11 penalty for `messages` violating messages of the complaint
    (billing's amount per message), in the same transaction as the decision."""
    with transaction.atomic():
        complaint, note = _decision_lock(complaint, note)
        linked = complaint.messages.count()
        if not 1 <= messages <= linked:
            raise ComplaintError(gettext("The penalty is for 1 to %(n)s message(s) of this complaint.") % {"n": linked},
                                 code="complaint_penalty_count")
        entry = wallet_penalty(client=complaint.client, reason=f"complaint {str(complaint.public_id)[:8]}: {note}",
                               key=f"complaint-penalty-{complaint.public_id}", actor=actor, messages=messages)
        complaint.penalty_messages = messages
        return _decision_save(complaint, decision=Complaint.Decision.PENALIZED, note=note, actor=actor,
                              details={"messages": messages, "amount": str(-entry.amount.amount),
                                       "ledger_entry": entry.pk})


def complaint_block(*, complaint: Complaint, note: str, actor=None) -> Complaint:
    """Staff block the account for the complaint (lifecycle's block: sending stops at once, the
    client is notified and may explain)."""
    with transaction.atomic():
        complaint, note = _decision_lock(complaint, note)
        block = client_block(client=complaint.client, reason=note, actor=actor)
        return _decision_save(complaint, decision=Complaint.Decision.BLOCKED, note=note, actor=actor,
                              details={"block": block.pk})


def _notify_decided(complaint_id: int) -> None:
    complaint = Complaint.objects.select_related("client").get(pk=complaint_id)
    client = complaint.client
    with in_language(client_language(client)):
        decision = str(complaint.get_decision_display()).lower()
        body = (gettext("The complaint of %(received)s about messages of %(client)s is resolved: %(decision)s.")
                % {"received": f"{timezone.localtime(complaint.received_at):%d.%m.%Y}", "client": client.name,
                   "decision": decision}
                + f"\n\n{complaint.decision_note}\n\n"
                + gettext("The Compliance page of the website shows the details.") + "\n")
        subject = gettext("Complaint resolved: %(decision)s") % {"decision": decision}
    sent = email_send(client_emails(client), subject, body)
    audit_record(code="lifecycle.complaint.decision_notified", client=client, target=str(complaint.public_id),
                 details={"email": sent})


# ---- overdue ----------------------------------------------------------------------------------

def complaints_flag_overdue(*, now=None) -> int:
    """Periodic: open complaints whose answer day has passed are flagged once (the admin's
    "overdue" filter shows them all) and staff get one email listing the new ones."""
    now = now or timezone.now()
    today = kyiv_date(now)
    with transaction.atomic():
        due = list(Complaint.objects.select_for_update(skip_locked=True, of=("self",)).select_related("client")
                   .filter(status=Complaint.Status.OPEN, answer_due_on__lt=today, overdue_flagged_at__isnull=True)
                   .order_by("answer_due_on", "id"))
        for complaint in due:
            complaint.overdue_flagged_at = now
            complaint.save(update_fields=["overdue_flagged_at", "updated_at"])
            audit_record(code="lifecycle.complaint.overdue", client=complaint.client, target=str(complaint.public_id),
                         details={"answer_due_on": complaint.answer_due_on.isoformat()})
        if due:
            with translation.override(settings.LANGUAGE_CODE):
                lines = "\n".join(gettext("- %(client)s: complaint %(id)s, answer was due %(due)s") % {
                    "client": c.client.name, "id": c.public_id, "due": f"{c.answer_due_on:%d.%m.%Y}"} for c in due)
            transaction.on_commit(lambda: _notify_staff_overdue(lines, len(due)))
    return len(due)


def _notify_staff_overdue(lines: str, count: int) -> None:
    staff = list(User.objects.filter(is_staff=True, is_active=True).exclude(email="")
                 .values_list("email", flat=True))
    with translation.override(settings.LANGUAGE_CODE):  # staff read the site's language
        subject = ngettext("%(n)s complaint(s) without the client's answer in time",
                           "%(n)s complaint(s) without the client's answer in time", count) % {"n": count}
        intro = gettext("The answer is overdue (admin: Complaints, filter \"overdue\"):")
    if not email_send(staff, subject, f"{intro}\n\n{lines}\n"):
        log.warning("overdue complaints: no staff email sent (%s)", count)
