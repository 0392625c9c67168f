"""Thin Celery entry points over messaging services."""
from celery import shared_task

from . import campaign_tasks, services  # noqa: F401 (campaign_tasks registers its tasks)


@shared_task(name="messaging.receipts_apply", ignore_result=True)
def receipts_apply_task() -> int:
    total = 0
    while (n := services.receipts_apply()) > 0:
        total += n
    return total


@shared_task(name="messaging.release_due", ignore_result=True)
def messages_release_due_task() -> int:
    """Every minute: due bulk and scheduled messages go to the connectors (R-MSG-03)."""
    return services.messages_release_due()


@shared_task(name="messaging.poll_receipts", ignore_result=True)
def messages_poll_receipts_task() -> int:
    """Delivery-report upkeep: match receipts that beat their submit response, and expire
    messages with no report 7 days after submission (R-MSG-04)."""
    receipts_apply_task()
    return services.messages_expire_stale()
