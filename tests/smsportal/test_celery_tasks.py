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
