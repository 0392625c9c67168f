"""Proof of rights to trademarks in Viber texts (R-VIB-10, T 4.11.2.15, 4.12).

Staff ask a client for proof of its right to a trademark its Viber texts use
(`trademark_proof_request`, from admin); the client is emailed at commit and sees the request on
its Compliance page, where it uploads the proof (`trademark_proof_provide`) by the due day: 1 Kyiv
business day after the request (`compliance.hours.business_days_after`, the calendar of the
complaint deadline). Staff accept or reject the proof (`trademark_proof_decide`). While a request
is overdue (not provided after its due day) or rejected, the client's Viber texts naming the
trademark are refused with `trademark_proof_required` (`trademark_proof_assert`, called by the
Viber content screening). Every step is audited.
"""
from __future__ import annotations

import logging
from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Client
from accounts.notify import client_emails, client_language, email_send, in_language
from accounts.services import audit_record
from smsportal.errors import ApplicationError, NotFound
from smsportal.kyiv import kyiv_date

from .hours import business_days_after
from .models import TrademarkProof
from .screening import haystack, keys_of

log = logging.getLogger("smsportal.compliance")

PROOF_BUSINESS_DAYS = 1
MAX_TRADEMARK_PROOF_BYTES = 10 * 1024 * 1024


class TrademarkProofError(ApplicationError):
    code = "trademark_proof_invalid"
    status = 400


class TrademarkProofRequired(ApplicationError):
    """A Viber text names a trademark whose proof of rights is overdue or was rejected: 400
    `{"code": "trademark_proof_required", "detail": …, "trademark": …}`."""

    code = "trademark_proof_required"
    status = 400
    default_detail = _("Viber texts naming this trademark need your proof of rights to it first.")


def trademark_proof_due(requested_at) -> date:
    """The last day the client may provide the proof of a request made at `requested_at`."""
    return business_days_after(kyiv_date(requested_at), PROOF_BUSINESS_DAYS)


def trademark_proof_request(*, client: Client, trademark: str, note: str = "", actor=None,
                            at=None) -> TrademarkProof:
    """Staff ask `client` for proof of its right to `trademark`: due in 1 business day; the client
    is emailed at commit. Audited."""
    trademark = (trademark or "").strip()
    if not trademark or not keys_of(trademark):
        raise TrademarkProofError(gettext("Name the trademark."))
    at = at or timezone.now()
    with transaction.atomic():
        row = TrademarkProof.objects.create(
            client=client, trademark=trademark[:120], note=note, requested_at=at, due_on=trademark_proof_due(at),
            requested_by=actor if getattr(actor, "pk", None) else None)
        audit_record(code="compliance.trademark_proof.requested", actor=actor, client=client,
                     target=f"trademarkproof:{row.pk} {trademark[:100]}",
                     details={"trademark": trademark, "due_on": row.due_on.isoformat()})
        transaction.on_commit(lambda: _notify_requested(row.pk))
    return row


def _notify_requested(pk: int) -> None:
    row = TrademarkProof.objects.select_related("client").filter(pk=pk).first()
    if row is None:
        return
    client = row.client
    with in_language(client_language(client)):
        subject = gettext("Proof of rights to the trademark %(trademark)s is requested") % {"trademark": row.trademark}
        body = (gettext("Your Viber texts name the trademark %(trademark)s. Please upload proof of your right to "
                        "use it (a registration certificate or a licence agreement) on the Compliance page of the "
                        "website by %(due)s.") % {"trademark": row.trademark, "due": f"{row.due_on:%d.%m.%Y}"}
                + "\n\n" + (row.note + "\n\n" if row.note else "")
                + gettext("Until then, Viber texts naming the trademark are refused once the deadline has passed.")
                + "\n")
    sent = email_send(client_emails(client), subject, body)
    audit_record(code="compliance.trademark_proof.notified", client=client, target=f"trademarkproof:{row.pk}",
                 details={"email": sent})


def trademark_proofs_for_client(*, client: Client):
    return TrademarkProof.objects.filter(client=client).order_by("-requested_at", "-id")


def trademark_proof_get(*, client: Client, proof_id) -> TrademarkProof:
    try:
        return TrademarkProof.objects.get(client=client, pk=int(proof_id))
    except (TrademarkProof.DoesNotExist, TypeError, ValueError):
        raise NotFound(gettext("No such trademark proof request."))


def trademark_proof_provide(*, client: Client, proof_id, proof_file, comment: str = "", actor=None) -> TrademarkProof:
    """The client uploads its proof (a request still open, overdue or rejected: a new proof is
    looked at again). Audited."""
    if proof_file is None:
        raise TrademarkProofError(gettext("Attach the proof file."), code="proof_missing")
    if getattr(proof_file, "size", 0) > MAX_TRADEMARK_PROOF_BYTES:
        raise TrademarkProofError(gettext("The proof file is larger than %(mb)s MB.")
                                  % {"mb": MAX_TRADEMARK_PROOF_BYTES // 1048576}, code="proof_too_large")
    with transaction.atomic():
        row = TrademarkProof.objects.select_for_update().filter(client=client, pk=trademark_proof_get(
            client=client, proof_id=proof_id).pk).get()
        if row.status == TrademarkProof.Status.ACCEPTED:
            raise TrademarkProofError(gettext("This proof was already accepted."), code="proof_already_accepted")
        old = row.proof_file.name if row.proof_file else ""
        row.proof_file.save(getattr(proof_file, "name", "") or "proof", proof_file, save=False)
        row.proof_comment = comment or ""
        row.status = TrademarkProof.Status.PROVIDED
        row.provided_at = timezone.now()
        row.save(update_fields=["proof_file", "proof_comment", "status", "provided_at"])
        audit_record(code="compliance.trademark_proof.provided", actor=actor, client=client,
                     target=f"trademarkproof:{row.pk} {row.trademark[:100]}")
        if old:
            storage = row.proof_file.storage
            transaction.on_commit(lambda: storage.delete(old))
    return row


def trademark_proof_decide(*, proof: TrademarkProof, accept: bool, note: str = "", actor=None) -> TrademarkProof:
    """Staff accept or reject a provided proof. A rejected proof refuses the client's Viber texts
    naming the trademark until a new proof is accepted. Audited; the client is emailed."""
    with transaction.atomic():
        row = TrademarkProof.objects.select_for_update().get(pk=proof.pk)
        if row.status != TrademarkProof.Status.PROVIDED:
            raise TrademarkProofError(gettext("Only a provided proof can be accepted or rejected."),
                                      code="proof_not_provided")
        row.status = TrademarkProof.Status.ACCEPTED if accept else TrademarkProof.Status.REJECTED
        row.decided_at = timezone.now()
        row.decided_by = actor if getattr(actor, "pk", None) else None
        if note:
            row.note = note
        row.save(update_fields=["status", "decided_at", "decided_by", "note"])
        audit_record(code=f"compliance.trademark_proof.{row.status}", actor=actor, client=row.client,
                     target=f"trademarkproof:{row.pk} {row.trademark[:100]}", details={"note": note})
        transaction.on_commit(lambda: _notify_decided(row.pk))
    return row


def _notify_decided(pk: int) -> None:
    row = TrademarkProof.objects.select_related("client").filter(pk=pk).first()
    if row is None:
        return
    with in_language(client_language(row.client)):
        subject = gettext("Proof of rights to the trademark %(trademark)s: %(status)s") % {
            "trademark": row.trademark, "status": str(row.get_status_display()).lower()}
        body = subject + "\n\n" + (row.note + "\n\n" if row.note else "") + gettext(
            "The Compliance page of the website shows the details.") + "\n"
    email_send(client_emails(row.client), subject, body)


def trademarks_blocked(*, client_id: int, today=None) -> list[str]:
    """The trademarks whose proof is overdue or rejected for this client (one query)."""
    today = today or kyiv_date()
    blocked = set()
    rows = TrademarkProof.objects.filter(
        Q(status=TrademarkProof.Status.REJECTED) | Q(status=TrademarkProof.Status.REQUESTED, due_on__lt=today),
        client_id=client_id).values_list("trademark", flat=True)
    blocked.update(rows)
    # a trademark whose proof was accepted (or is provided and waits for staff) later is not blocked
    if blocked:
        cleared = set(TrademarkProof.objects.filter(
            client_id=client_id, trademark__in=blocked,
            status__in=[TrademarkProof.Status.ACCEPTED, TrademarkProof.Status.PROVIDED]).values_list("trademark", flat=True))
        blocked -= cleared
    return sorted(blocked)


def _names(text: str, trademark: str, hay: str) -> bool:
    for key in keys_of(trademark):
        i = hay.find(" " + key)
        while i >= 0:
            end = i + 1 + len(key)
            if end >= len(hay) or not hay[end].isalpha() or len(key) > 3:
                return True
            i = hay.find(" " + key, i + 1)
    return False


def trademark_proof_assert(*, client: Client | None, text: str, today=None) -> None:
    """Raises TrademarkProofRequired when the Viber `text` names a trademark whose proof of rights
    this client has not produced in time or had rejected (R-VIB-10)."""
    if client is None or client.pk is None or not text:
        return
    blocked = trademarks_blocked(client_id=client.pk, today=today)
    if not blocked:
        return
    hay = haystack(text)
    for trademark in blocked:
        if _names(text, trademark, hay):
            raise TrademarkProofRequired(
                gettext("Viber texts naming %(trademark)s need your proof of rights to it: upload it on the "
                        "Compliance page.") % {"trademark": trademark}, extra={"trademark": trademark})
