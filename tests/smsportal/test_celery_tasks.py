"""Tasks enqueued inside a transaction are sent when it commits, and never when it rolls back
(smsportal.celery.TransactionAwareTask, the app's task class): the one way smsportal enqueues
after commit."""
import pytest
from django.db import transaction

from smsportal.celery import app, task_enqueue

SEEN = []


@app.task(name="tests.smsportal.record")
def record(value):
    SEEN.append(value)


@pytest.fixture(autouse=True)
def _seen():
    SEEN.clear()
    yield
    SEEN.clear()


@pytest.mark.django_db(transaction=True)
def test_task_delayed_inside_a_transaction_runs_after_the_commit():
    with transaction.atomic():
        record.delay("a")
        task_enqueue("tests.smsportal.record", "b")
        assert SEEN == []  # a worker would look for rows not committed yet
    assert SEEN == ["a", "b"]


@pytest.mark.django_db(transaction=True)
def test_task_delayed_inside_a_rolled_back_transaction_is_never_sent():
    with pytest.raises(RuntimeError), transaction.atomic():
        record.delay("a")
        raise RuntimeError
    assert SEEN == []


def test_task_delayed_outside_a_transaction_is_sent_at_once():
    record.delay("a")
    assert SEEN == ["a"]


def test_task_enqueue_by_name_works_in_a_process_that_never_imported_the_tasks_modules():
    """A web process (gunicorn) runs no worker start-up, so nothing imports the apps' tasks
    modules: enqueueing by name there must find them, or starting a campaign from a contact group
    or a file would fail. Checked in a fresh interpreter, with the enqueue itself stopped at the
    broker (an unreachable one), after the lookup by name succeeded."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import django; django.setup()\n"
        "from smsportal.celery import app, task_enqueue\n"
        "names = ['messaging.campaign_accept_group', 'messaging.campaign_accept_upload', 'messaging.webhooks_deliver']\n"
        "print('before', any(n in app.tasks for n in names))\n"
        "task = None\n"
        "try:\n"
        "    task_enqueue('messaging.webhooks_deliver')\n"
        "except Exception as exc:\n"
        "    task = type(exc).__name__\n"
        "print('after', all(n in app.tasks for n in names), task)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "smsportal.settings", "DEBUG": "true",
           "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
           "CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP": "false"}
    env.pop("PYTEST_XDIST_WORKER", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=Path(__file__).resolve().parents[2],
                         capture_output=True, text=True, timeout=120)
    lines = [line for line in out.stdout.splitlines() if line.startswith(("before", "after"))]
    assert lines[0] == "before False", out.stdout + out.stderr
    assert lines[1].startswith("after True") and "NotRegistered" not in lines[1], out.stdout + out.stderr
