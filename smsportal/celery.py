"""The Celery application shared by the worker, beat and the web process (to enqueue).

Every task is a `TransactionAwareTask`: `.delay()` / `.apply_async()` inside a database
transaction is sent when that transaction commits (and never if it rolls back), so a worker never
looks for rows that are not committed yet, and a rolled-back request leaves no task behind.
Outside a transaction it is sent at once. This is the one way to enqueue after commit: services
call `task.delay(...)`, or `task_enqueue("app.name", ...)` where importing the task module would
tie the service to its own tasks, and never call `transaction.on_commit` for it.
"""
import os
from functools import partial

from celery import Celery, Task
from django.db import transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smsportal.settings")


class TransactionAwareTask(Task):
    """A task that, enqueued inside a transaction, is sent once the transaction commits."""

    def apply_async(self, args=None, kwargs=None, **options):
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(partial(super().apply_async, args, kwargs, **options))
            return None
        return super().apply_async(args, kwargs, **options)


app = Celery("smsportal", task_cls=TransactionAwareTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def task_enqueue(name: str, *args, **kwargs) -> None:
    """Enqueues the task registered as `name` (e.g. "messaging.campaign_accept_group") with these
    arguments (ids, never objects): after the current transaction commits, or now outside one.

    A web process never runs the worker's start-up, which imports the apps' `tasks` modules
    (autodiscovery): the first enqueue by name imports them, else the name is not registered."""
    if name not in app.tasks:
        app.loader.import_default_modules()
    app.tasks[name].delay(*args, **kwargs)
