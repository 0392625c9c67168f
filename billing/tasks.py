"""Thin Celery entry points over billing services."""
from celery import shared_task

from . import services
from .services import penalties


@shared_task(name="billing.reconcile_wallets", ignore_result=True)
def wallets_reconcile_task() -> int:
    """Nightly: every wallet's cached balance, bonus and held amount equal the sums of its ledger."""
    return services.wallets_reconcile()


@shared_task(name="billing.overdraft_penalties", ignore_result=True)
def overdraft_penalties_accrue_task() -> int:
    """Daily: the late-payment penalty of the day on every overdue overdraft (R-BILL-15)."""
    return penalties.overdraft_penalties_accrue()
