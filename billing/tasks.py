"""Thin Celery entry points over billing services."""
from celery import shared_task

from . import services


@shared_task(name="billing.reconcile_wallets", ignore_result=True)
def wallets_reconcile_task() -> int:
    """Nightly: every wallet's cached balance, bonus and held amount equal the sums of its ledger."""
    return services.wallets_reconcile()
