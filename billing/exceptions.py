from django.utils.translation import gettext_lazy as _

from smsportal.errors import ApplicationError


class BillingError(ApplicationError):
    code = "billing_error"


class InsufficientFunds(BillingError):
    code = "insufficient_funds"
    status = 402
    default_detail = _("The balance cannot pay for this send. Top up your wallet.")


class OverdraftOverdue(InsufficientFunds):
    """R-BILL-09: debt older than the repayment term stops sending until it is paid. A subclass of
    InsufficientFunds, so every caller that handles "cannot pay" handles it too."""

    code = "overdraft_overdue"
    status = 402
    default_detail = _("Your overdraft is overdue; sending is stopped until the debt is paid. Top up your wallet.")


class InvalidAmount(BillingError):
    code = "invalid_amount"


class NoTariff(BillingError):
    code = "no_tariff"
    status = 503
    default_detail = _("No price list is in force; sending is unavailable. Please contact support.")


class NoPrice(BillingError):
    code = "no_price"
    status = 503
    default_detail = _("This service has no price in the price list in force. Please contact support.")


class NoExchangeRate(BillingError):
    code = "no_exchange_rate"
    status = 503
    default_detail = _("No EUR/UAH exchange rate is loaded; Viber prices cannot be converted. Please contact support.")


class HoldError(BillingError):
    code = "hold_error"
    status = 409


class HoldShort(HoldError):
    """Captures asked for more than their holds still reserve: refused, nothing of the batch
    applied (billing never caps a capture). `shorts`: one `Shortfall` per refused capture. The
    caller records what happened (the messages did reach the operator), stops those holds
    (`billing.services.holds.hold_stop`: loud, audited) and settles the rest of its batch again
    without them."""

    code = "hold_short"

    def __init__(self, shorts):
        self.shorts = list(shorts)
        listed = "; ".join(f"capture {s.move.key}: {s.move.amount} UAH asked, hold '{s.move.source_key}' reserves "
                           f"{s.reserved}" for s in self.shorts[:5])
        super().__init__(f"Capture beyond its hold refused ({len(self.shorts)}): {listed}")


class InvoiceNotFound(BillingError):
    code = "invoice_not_found"
    status = 404
    default_detail = _("No invoice with this number.")


class InvoiceConflict(BillingError):
    code = "invoice_conflict"
    status = 409


class SignatureInvalid(BillingError):
    code = "signature_invalid"
    status = 403
    default_detail = _("The X-Signature header does not match the request body.")


class PaymentCallbackNotConfigured(BillingError):
    """No BILLING_PAYMENT_CALLBACK_SECRET on this server: nothing can be verified. 503, so the
    payment system retries once it is set."""

    code = "payment_callback_not_configured"
    status = 503
    default_detail = ("Payment callbacks are not configured on this server (no shared secret); "
                      "try again later.")


class ReasonRequired(BillingError):
    code = "reason_required"
    default_detail = _("Give a reason: it is recorded with this action.")
