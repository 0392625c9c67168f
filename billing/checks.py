"""System checks of billing's production settings (`manage.py check --deploy`, `make check`)."""
from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def payment_callback_secret_check(app_configs, **kwargs):
    """billing.W001: without BILLING_PAYMENT_CALLBACK_SECRET the payment system's callback is
    refused (503) and paid invoices wait for staff to mark them."""
    if settings.DEBUG or settings.BILLING_PAYMENT_CALLBACK_SECRET:
        return []
    return [checks.Warning(
        "BILLING_PAYMENT_CALLBACK_SECRET is not set: POST /api/v1/payments/callback/ answers 503 and paid "
        "invoices are credited only when staff mark them paid.",
        hint="Set BILLING_PAYMENT_CALLBACK_SECRET to the secret shared with the payment system (at least 32 "
             "random characters), or add billing.W001 to SILENCED_SYSTEM_CHECKS if no payment system calls back.",
        id="billing.W001")]
