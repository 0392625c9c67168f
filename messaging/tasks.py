"""Thin Celery entry points over messaging services."""
from celery import shared_task

from . import campaign_tasks, services  # noqa: F401 (campaign_tasks registers its tasks)
from .services.dispatch import IN_DOUBT_AFTER


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
    """Every minute, the delivery-report upkeep (R-MSG-04). The connectors send the query_sm
    themselves (they own the binds) and store final answers as receipts; this job matches
    receipts (also those that beat their submit response, and those that settle parts in doubt),
    stores long inbound SMS whose missing parts never came, flags parts left in doubt by a dead
    connector, expires messages whose lifetime ended while
    they waited, and closes the 7-day window."""
    receipts_apply_task()
    services.inbound_parts_flush_stale()
    services.parts_flag_in_doubt(older_than=IN_DOUBT_AFTER)
    services.messages_submitted_sweep()
    expired = services.messages_expire_overdue()
    return expired + services.messages_expire_stale()


@shared_task(name="messaging.webhooks_deliver", ignore_result=True)
def webhooks_deliver_task() -> int:
    """After a commit that wrote status events, and every 30 seconds: POST the due webhook events
    (retries included). Idempotent: events are claimed under SKIP LOCKED and leased."""
    from .services.webhooks import webhooks_deliver  # noqa: PLC0415

    return webhooks_deliver()


@shared_task(name="messaging.holds_release_stale", ignore_result=True)
def holds_release_stale_task() -> str:
    """Every 15 minutes: the rest of a hold whose send has nothing left to send goes back to the
    wallet (a safety net under the per-message settlement; audited billing.hold.released_stale)."""
    from .services.money import holds_release_stale  # noqa: PLC0415

    return str(holds_release_stale())


@shared_task(name="messaging.webhooks_purge", ignore_result=True)
def webhooks_purge_task() -> int:
    """Nightly: webhook events and deliveries older than 30 days are deleted."""
    from .services.webhooks import webhook_events_purge  # noqa: PLC0415

    return webhook_events_purge()


@shared_task(name="messaging.idempotency_keys_purge", ignore_result=True)
def idempotency_keys_purge_task() -> int:
    """Nightly: API idempotency keys older than their retention (48 hours) are deleted."""
    from .services.idempotency import idempotency_keys_purge  # noqa: PLC0415

    return idempotency_keys_purge()


@shared_task(name="messaging.held_expire", ignore_result=True)
def messages_expire_held_task() -> int:
    """Every 5 minutes: messages held for content review whose lifetime ended expire, uncharged
    (their share of the hold released)."""
    from .services.dispatch.expiry import messages_expire_held  # noqa: PLC0415

    return messages_expire_held()


@shared_task(name="messaging.viber_dispatch", ignore_result=True)
def viber_dispatch() -> int:
    """After a Viber send commits, and every 5 seconds: queued Viber messages go to the provider."""
    from .viber.dispatch import viber_dispatch as dispatch  # noqa: PLC0415

    return dispatch()


@shared_task(name="messaging.viber_poll", ignore_result=True)
def viber_poll() -> int:
    """Every minute: statuses the webhooks did not bring, SMS fallbacks still due, stuck claims."""
    from .viber.dispatch import viber_poll as poll  # noqa: PLC0415

    return poll()
