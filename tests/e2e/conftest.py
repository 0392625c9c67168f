"""Fixtures for end-to-end tests: real processes, and the test process itself enqueueing to the
real broker (no eager mode), so a web request or API call hands its task to the real worker."""
import importlib
import time

import pytest

from tests.e2e.processes import QUEUE, running


@pytest.fixture
def live():
    """Started processes (stopped at the end); tasks enqueued here go to their worker."""
    from smsportal.celery import app

    saved = app.conf.task_always_eager, app.conf.task_default_queue
    app.conf.task_always_eager = False
    app.conf.task_default_queue = QUEUE
    for cached in ("default_queue", "queues", "router"):  # routing is cached on first use
        app.amqp.__dict__.pop(cached, None)
    try:
        with running() as procs:
            yield procs
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = saved


def beat_jobs(every: int = 1) -> list[str]:
    """The periodic jobs of the messaging migrations (the ones beat runs in production), every
    `every` seconds instead of every minute. The test database is flushed between tests, so they
    are written again here."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    interval, _ = IntervalSchedule.objects.get_or_create(every=every, period="seconds")
    jobs = importlib.import_module("messaging.migrations.0002_periodic_jobs").JOBS
    names = [(name, task) for name, task, seconds, _cron in jobs if seconds]
    names.append(("Mark finished campaigns done", "messaging.campaigns_settle"))
    for name, task in names:
        PeriodicTask.objects.update_or_create(name=name, defaults={"task": task, "interval": interval,
                                                                   "enabled": True})
    return [task for _name, task in names]


def wait_for_worker(procs, proc, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "ready." in procs.log_of(proc):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    raise AssertionError(procs.logs())
