from smsportal.errors import ApplicationError


class BillingError(ApplicationError):
    code = "billing_error"


class InsufficientFunds(BillingError):
    code = "insufficient_funds"
    status = 402
    default_detail = "The balance cannot pay for this send. Top up your wallet."


class InvalidAmount(BillingError):
    code = "invalid_amount"


class NoTariff(BillingError):
    code = "no_tariff"
    status = 503
    default_detail = "No price list is in force; sending is unavailable. Please contact support."
