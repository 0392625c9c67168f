"""The release of scheduled and bulk messages whose time has come (R-MSG-03, R-CMP-05, 03, 07)."""
from django.db import transaction
from django.utils import timezone

from accounts.services import clients_lock_active

from ...models import Message
from ...status import Status
from ..send import connector_wake
from ..transitions import messages_hold_for_window, messages_release


def messages_release_due(*, now=None, limit: int = 50_000) -> int:
    """Scheduled and bulk messages whose time has come go to their connectors (the per-minute job).
    Those of a blocked, dormant or terminated account wait (R-ACC-06: it cannot send); they go
    when staff unblock it, or expire with their lifetime. Those whose recipient opted out since
    they were accepted are refused instead (R-CMP-05: `opted_out`, their hold share released),
    so are those over the day's cap of messages to their recipient (R-CMP-03: `frequency_cap`).
    While the sending window is closed (R-CMP-07), the messages of clients not exempt for their
    type wait for its next opening: due ones stay SCHEDULED, QUEUED ones not claimed yet go back
    to SCHEDULED. Returns how many went to their connectors."""
    now = now or timezone.now()
    messages_hold_for_window(now=now)
    with transaction.atomic():
        due = Message.objects.filter(status=Status.SCHEDULED, send_at__lte=now)
        # The owners' rows locked FOR SHARE, as a send locks them (client_lock_for_send): a block
        # meanwhile either waits and cancels what this releases, or is seen here first.
        owners = sorted(due.order_by().values_list("client_id", flat=True).distinct())
        if not owners:
            return 0
        active = _clients_active_locked(owners)
        ids = list(due.filter(client_id__in=active).order_by("id").values_list("id", flat=True)[:limit])
        if not ids:
            return 0
        released = messages_release(ids=ids, now=now).queued
        for route_id in (Message.objects.filter(pk__in=released).order_by().values_list("route_id", flat=True)
                         .distinct()):
            if route_id:
                connector_wake(route_id)
    return len(released)


def _clients_active_locked(client_ids) -> list[int]:
    return clients_lock_active(client_ids)

