"""Thin Celery entry points over billing services."""
from celery import shared_task

from . import services
from .services import penalties


@shared_task(name="billing.reconcile_wallets", ignore_result=True)
def wallets_reconcile_task() -> int:
    """Nightly: every wallet's cached balance, bonus and held amount equal the sums of its ledger."""
    return services.wallets_reconcile()


@shared_task(name="billing.service_acts_generate", ignore_result=True)
def service_acts_generate_task() -> int:
    """Monthly (the 1st, Kyiv): the acts of services rendered of the previous Kyiv month, one per
    client with services; a repeat makes none twice."""
    return len(services.service_acts_generate())


@shared_task(name="billing.overdraft_penalties", ignore_result=True)
def overdraft_penalties_accrue_task() -> int:
    """Daily: the late-payment penalty of the day on every overdue overdraft (R-BILL-15)."""
    return penalties.overdraft_penalties_accrue()
