from celery import shared_task

from . import services


@shared_task(name="accounts.block_dormant", ignore_result=True)
def clients_block_dormant_task() -> int:
    """Daily: blocks accounts with no use of funds for 3 years since their last top-up (R-ACC-07)."""
    return services.clients_block_dormant()
