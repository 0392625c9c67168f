"""Invoices and payments (R-BILL-02, R-BILL-03, T 5.2, 5.3).

The client generates an invoice for a whole number of hryvnias; it is numbered per year without
gaps (SP-2026-000123) and carries both parties' requisites as they were when it was issued. When
the money arrives, staff (admin) or the payment system (a signed callback) mark it paid: the
wallet is credited once, by the ledger key `invoice:<number>`, whatever repeats.
"""
import hashlib
import hmac
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from djmoney.money import Money

from accounts.models import Client
from accounts.services import audit_record
from smsportal.jsonsafe import UnstorableTextError, json_loads
from smsportal.kyiv import kyiv_date
from smsportal.periods import add_calendar_days
from smsportal.money import money_text

from ..documents import parties_snapshot
from ..exceptions import (BillingError, InvalidAmount, InvoiceConflict, InvoiceNotFound, PaymentCallbackNotConfigured,
                          SignatureInvalid)
from ..models import Invoice, InvoiceSequence
from .config import billing_config_get
from .ledger import wallet_topup

INVOICE_MAX = Decimal("10000000")
AMOUNT_DIGITS = 12  # a payment amount of 10^12 or more is beyond any invoice: refused as malformed


def client_requisites(client: Client) -> str:
    """The client's details printed on an invoice: its legal name, EDRPOU (legal entity) or RNOKPP
    (entrepreneur), VAT number and postal address as filled in (R-ACC-10), its owner's email and
    account id. A client who has not filled them yet gets the company name only."""
    owner = client.users.filter(is_active=True).order_by("date_joined", "id").first()
    lines = [client.legal_name or client.name]
    if client.tax_code:
        label = "RNOKPP" if client.legal_form == Client.LegalForm.ENTREPRENEUR else "EDRPOU"
        lines.append(f"{label} {client.tax_code}")
    if client.vat_payer and client.vat_number:
        lines.append(f"VAT payer, IPN {client.vat_number}")
    if client.postal_address:
        lines.append(" ".join(client.postal_address.split()))
    if owner is not None:
        lines.append(owner.email)
    lines.append(f"Account {client.public_id}")
    return "\n".join(lines)


def _next_number(year: int, prefix: str) -> tuple[int, str]:
    """The next gapless number of `year`, under the year's row lock (caller's transaction)."""
    row = InvoiceSequence.objects.select_for_update().filter(year=year).first()
    if row is None:
        try:
            with transaction.atomic():
                InvoiceSequence.objects.create(year=year)
        except IntegrityError:
            pass
        row = InvoiceSequence.objects.select_for_update().get(year=year)
    row.last += 1
    row.save(update_fields=["last"])
    return row.last, f"{prefix}-{year}-{row.last:06d}"


def invoice_issue(*, client: Client, amount, actor=None) -> Invoice:
    """A new invoice for `amount` whole hryvnias (R-BILL-03)."""
    try:
        amount = Decimal(str(amount))
    except InvalidOperation:
        raise InvalidAmount(gettext("The amount is a whole number of hryvnias.")) from None
    if amount < 1 or amount != amount.to_integral_value():
        raise InvalidAmount(gettext("An invoice is for a whole number of hryvnias (at least 1), without kopecks."))
    if amount > INVOICE_MAX:
        raise InvalidAmount(gettext("An invoice is for at most %(invoice_max)s UAH.") % {
            "invoice_max": money_text(INVOICE_MAX, 0)})
    if client.status == Client.Status.TERMINATED:
        raise BillingError(gettext("This account is terminated; it cannot be topped up."), code="account_terminated")
    config = billing_config_get()
    today = kyiv_date()
    with transaction.atomic():
        sequence, number = _next_number(today.year, config.invoice_prefix)
        invoice = Invoice.objects.create(
            number=number, year=today.year, sequence=sequence, client=client, amount=Money(amount, "UAH"),
            provider_name=config.provider_name, provider_requisites=config.provider_requisites,
            client_name=client.name, client_requisites=client_requisites(client), parties=parties_snapshot(client),
            due_date=add_calendar_days(today, config.invoice_due_days),
            created_by=actor if getattr(actor, "pk", None) else None)
        audit_record(code="billing.invoice.issued", actor=actor, client=client, target=number,
                     details={"amount": str(amount)})
    return invoice


def invoice_mark_paid(*, number: str, via: str, reference: str = "", actor=None,
                      amount: Decimal | None = None) -> tuple[Invoice, bool]:
    """Marks the invoice paid and credits the wallet once. Returns (invoice, credited now?).

    Repeats are harmless: an invoice already paid is returned as is (the payment system's same
    `payment_id` again, or staff again). A different payment for a paid invoice, a cancelled
    invoice, or an `amount` that is not the invoice's raise InvoiceConflict (409)."""
    reference = (reference or "").strip()[:120]
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("client").filter(number=number).first()
        if invoice is None:
            raise InvoiceNotFound(gettext("No invoice %(number)s.") % {"number": number})
        if amount is not None and Decimal(amount) != invoice.amount.amount:
            raise InvoiceConflict(
                gettext("Invoice %(number)s is for %(money_text)s UAH, not %(money_text2)s.") % {
                    "number": number, "money_text": money_text(invoice.amount), "money_text2": money_text(Decimal(amount))},
                code="amount_mismatch")
        if invoice.status == Invoice.Status.PAID:
            if via == Invoice.PaidVia.CALLBACK and reference and reference != invoice.payment_reference:
                raise InvoiceConflict(gettext("Invoice %(number)s is already paid by another payment.") % {
                    "number": number},
                                      code="invoice_already_paid")
            return invoice, False
        if invoice.status == Invoice.Status.CANCELLED:
            raise InvoiceConflict(gettext("Invoice %(number)s is cancelled.") % {"number": number}, code="invoice_cancelled")
        if invoice.status in (Invoice.Status.PARTLY_PAID, Invoice.Status.OVERPAID):
            raise InvoiceConflict(
                gettext("Invoice %(number)s has payments recorded by amount; record the next payment with its "
                        "amount and bank reference.") % {"number": number}, code="invoice_has_payments")
        entry = wallet_topup(client=invoice.client, amount=invoice.amount.amount, key=f"invoice:{number}",
                             actor=actor, description=f"Payment of invoice {number}")
        invoice.status = Invoice.Status.PAID
        invoice.paid_at = timezone.now()
        invoice.paid_via = via
        invoice.payment_reference = reference
        invoice.paid_by = actor if getattr(actor, "pk", None) else None
        invoice.entry = entry
        invoice.paid_amount = invoice.amount
        invoice.save(update_fields=["status", "paid_at", "paid_via", "payment_reference", "paid_by", "entry",
                                    "paid_amount"])
        audit_record(code="billing.invoice.paid", actor=actor, client=invoice.client, target=number,
                     details={"via": via, "reference": reference, "amount": str(invoice.amount.amount)})
    return invoice, True


def invoice_cancel(*, number: str, reason: str, actor=None) -> Invoice:
    """Staff cancel an unpaid invoice (a paid one stays paid: its money is in the ledger)."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().filter(number=number).first()
        if invoice is None:
            raise InvoiceNotFound(gettext("No invoice %(number)s.") % {"number": number})
        if invoice.status == Invoice.Status.PAID:
            raise InvoiceConflict(gettext("Invoice %(number)s is paid; it cannot be cancelled.") % {"number": number}, code="invoice_paid")
        if invoice.status != Invoice.Status.CANCELLED:
            invoice.status = Invoice.Status.CANCELLED
            invoice.save(update_fields=["status"])
            audit_record(code="billing.invoice.cancelled", actor=actor, client=invoice.client, target=number,
                         details={"reason": reason})
    return invoice


# --- the payment system's callback ---------------------------------------------------------------

def payment_signature(body: bytes, secret: str | None = None) -> str:
    """HMAC-SHA256 of the raw body with the shared secret, hex (what the payment system sends)."""
    secret = settings.BILLING_PAYMENT_CALLBACK_SECRET if secret is None else secret
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def payment_callback_apply(*, body: bytes, signature: str) -> tuple[Invoice, bool]:
    """Verifies `X-Signature` over the raw body, then credits the invoice like staff would.

    Body: `{"invoice_number": "SP-2026-000123", "amount": "1500.00", "payment_id": "…"}`.
    Errors: no secret configured on this server 503, bad or missing signature 403, malformed body
    400, unknown invoice 404, amount mismatch or a different payment of a paid invoice 409."""
    secret = settings.BILLING_PAYMENT_CALLBACK_SECRET
    if not secret:
        raise PaymentCallbackNotConfigured()
    given = (signature or "").strip().removeprefix("sha256=").lower()
    if not given or not hmac.compare_digest(payment_signature(body, secret), given):
        raise SignatureInvalid()
    try:
        data = json_loads(body, parse_float=Decimal, parse_int=Decimal)
    except UnstorableTextError as exc:  # a lone surrogate or a NUL: PostgreSQL could not store the text
        raise BillingError(gettext("The body is not valid JSON: %(exc)s") % {"exc": exc}, code="invalid") from None
    except (ValueError, RecursionError):  # RecursionError: nested too deep
        raise BillingError(gettext("The body is not JSON."), code="invalid") from None
    if not isinstance(data, dict):
        raise BillingError(gettext("The body is a JSON object."), code="invalid")
    number, payment_id, amount = data.get("invoice_number"), data.get("payment_id"), data.get("amount")
    if not isinstance(number, str) or not number.strip():
        raise BillingError(gettext("invoice_number: a string is required."), code="invalid")
    if payment_id is None or not str(payment_id).strip():
        raise BillingError(gettext("payment_id: required."), code="invalid")
    try:
        amount = Decimal(str(amount))
    except InvalidOperation:
        raise BillingError(gettext("amount: a decimal number is required."), code="invalid") from None
    # adjusted(): the exponent, no arithmetic (abs(Decimal("1e999999999")) overflows); 1e12 and more
    # is beyond any invoice and broke the mismatch message (a 500).
    if not amount.is_finite() or amount.adjusted() >= AMOUNT_DIGITS:
        raise BillingError(gettext("amount: a decimal number is required."), code="invalid")
    return invoice_mark_paid(number=number.strip(), via=Invoice.PaidVia.CALLBACK,
                             reference=f"{str(payment_id).strip()[:100]}", amount=amount)
