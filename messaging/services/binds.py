"""Bind heartbeats: each connector process writes, every SMSPORTAL_BIND_HEARTBEAT_SECONDS, one row
per bind saying whether it is bound and how full its window is (messaging.models.BindHeartbeat).
/healthz and /metrics read them (smsportal.health, smsportal.metrics) from any process."""
from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, InterfaceError, connection
from django.utils import timezone

from messaging.models import BindHeartbeat

log = logging.getLogger("smsportal.connector")

PROCESS = f"{socket.gethostname()}:{os.getpid()}"[:100]
FORGET_AFTER = timedelta(hours=1)  # rows of processes gone this long are deleted


def bind_heartbeats_write(*, route_id: int, binds: list[dict], process: str = PROCESS, now=None) -> None:
    """Upserts this process's rows for the route's binds: dicts with bind, bound_since,
    window_in_use, window_size, submitted, throttled. Rows of processes silent for an hour go."""
    now = now or timezone.now()
    rows = [BindHeartbeat(route_id=route_id, process=process, heartbeat_at=now, **b) for b in binds]
    BindHeartbeat.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["route", "process", "bind"],
        update_fields=["bound_since", "window_in_use", "window_size", "submitted", "throttled", "heartbeat_at"])
    BindHeartbeat.objects.filter(route_id=route_id, heartbeat_at__lt=now - FORGET_AFTER).delete()


def bind_heartbeats_delete(*, route_id: int, process: str = PROCESS) -> None:
    """A connector that stops cleanly takes its rows away (its binds are down on purpose)."""
    BindHeartbeat.objects.filter(route_id=route_id, process=process).delete()


def heartbeat_run(connector, done: threading.Event) -> None:
    """The connector's heartbeat thread: writes its binds' state until `done` (or its stop) is set,
    then deletes its rows. A failed write is logged and tried again next time."""
    interval = float(settings.SMSPORTAL_BIND_HEARTBEAT_SECONDS)
    try:
        while True:
            try:
                bind_heartbeats_write(route_id=connector.route_id, binds=[b.heartbeat() for b in connector.binds])
            except (DatabaseError, InterfaceError) as exc:
                log.warning("route %s: heartbeat not written (%s)", connector.route_id, exc)
                connection.close()
            if done.wait(interval) or connector.stop.is_set():
                break
        try:
            bind_heartbeats_delete(route_id=connector.route_id)
        except (DatabaseError, InterfaceError):
            pass  # the rows go stale and are read as down
    finally:
        connection.close()
