"""Refund of the unused balance on termination (R-BILL-12, T 6.7; S 3.3).

The client of an account that is terminated, or whose termination is scheduled, requests the
refund on the website with its bank details; the amount is the balance minus the unspent bonus
(the provider's money, R-BILL-05) and minus what is held for accepted messages. Staff pay it
within 10 calendar days of the request (Kyiv dates, `smsportal.periods`) and mark it paid in
admin, which records the payout in the ledger (`settlement.wallet_payout`); an unpaid request
past its day is overdue and flagged.
"""
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from djmoney.money import Money

from accounts.models import Client
from accounts.services import audit_record
from smsportal.kyiv import kyiv_date
from smsportal.periods import kyiv_last_day

from ..exceptions import BillingError
from ..iban import iban_ua_validate
from ..models import RefundRequest, Wallet
from .settlement import wallet_payout, wallet_refundable

REFUND_DAYS = 10  # calendar days from the request (T 6.7)


class RefundError(BillingError):
    code = "refund_error"
    status = 409


def refund_due_date(requested_at):
    """The last Kyiv day to pay: requested on 1 March → paid by 11 March inclusive."""
    return kyiv_last_day(requested_at, days=REFUND_DAYS)


def refund_is_overdue(request: RefundRequest, at=None) -> bool:
    return request.status == RefundRequest.Status.REQUESTED and kyiv_date(at) > request.due_date


def refund_may_request(client: Client) -> bool:
    return client.status == Client.Status.TERMINATED or client.terminates_at is not None


def refund_request_create(*, client: Client, iban: str, account_holder: str, holder_tax_code: str,
                          actor=None, now=None) -> RefundRequest:
    if not refund_may_request(client):
        raise RefundError(gettext("The unused balance is refunded on termination: give notice of termination "
                                  "first."), code="refund_not_terminating")
    try:
        iban = iban_ua_validate(iban)
    except ValidationError as exc:
        raise BillingError(exc.messages[0], code="invalid_iban") from None
    account_holder = (account_holder or "").strip()
    holder_tax_code = (holder_tax_code or "").strip()
    if not account_holder:
        raise BillingError(gettext("Give the account holder's name."), code="holder_required")
    if not (holder_tax_code.isdigit() and len(holder_tax_code) in (8, 10)):
        raise BillingError(gettext("The tax code is 8 digits (EDRPOU) or 10 digits (RNOKPP)."), code="invalid_tax_code")
    now = now or timezone.now()
    with transaction.atomic():
        wallet = Wallet.objects.select_for_update().get(client_id=client.pk)
        if RefundRequest.objects.filter(client_id=client.pk, status=RefundRequest.Status.REQUESTED).exists():
            raise RefundError(gettext("A refund request is already waiting to be paid."), code="refund_already_requested")
        amount = wallet_refundable(wallet)
        if amount <= 0:
            raise RefundError(gettext("Nothing is refundable: the balance is only the unspent bonus (never refunded) "
                                      "or money held for accepted messages."), code="nothing_refundable")
        try:
            with transaction.atomic():
                request = RefundRequest.objects.create(
                    client_id=client.pk, amount=Money(amount, "UAH"), iban=iban, account_holder=account_holder[:200],
                    holder_tax_code=holder_tax_code, requested_by=actor, requested_at=now,
                    due_date=refund_due_date(now))
        except IntegrityError:
            raise RefundError(gettext("A refund request is already waiting to be paid."),
                              code="refund_already_requested") from None
        audit_record(code="billing.refund.requested", actor=actor, client=client, target=str(request.public_id),
                     details={"amount": str(amount), "due_date": request.due_date.isoformat()})
    return request


def refund_request_mark_paid(*, request_id: int, reference: str, actor=None) -> RefundRequest:
    """Staff transferred the money: the ledger records the payout (at most what is refundable now)."""
    with transaction.atomic():
        request = RefundRequest.objects.select_for_update().select_related("client").get(pk=request_id)
        if request.status != RefundRequest.Status.REQUESTED:
            raise RefundError(gettext("This refund request is not waiting to be paid."), code="refund_not_open")
        wallet = Wallet.objects.get(client_id=request.client_id)
        amount = min(request.amount.amount, wallet_refundable(wallet))
        entry = wallet_payout(client=request.client, reference=reference, amount=amount, actor=actor,
                              reason=f"Refund on termination, request of {timezone.localtime(request.requested_at):%d.%m.%Y}",
                              key=f"refund-request:{request.public_id}")
        request.status = RefundRequest.Status.PAID
        request.paid_at, request.paid_by = timezone.now(), actor
        request.payment_reference = reference.strip()[:120]
        request.entry = entry
        request.save(update_fields=["status", "paid_at", "paid_by", "payment_reference", "entry"])
        audit_record(code="billing.refund.paid", actor=actor, client=request.client, target=str(request.public_id),
                     details={"amount": str(amount), "reference": request.payment_reference,
                              "overdue": kyiv_date() > request.due_date})
    return request


def refund_requests_overdue(*, at=None):
    return RefundRequest.objects.filter(status=RefundRequest.Status.REQUESTED, due_date__lt=kyiv_date(at))
