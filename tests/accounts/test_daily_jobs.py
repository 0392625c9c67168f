"""The daily account jobs (R-ACC-07 dormancy, R-ACC-08 termination and data destruction) are in
the beat schedule and do their work when beat runs them."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery import current_app
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

import lifecycle.tasks  # noqa: F401 (registers the tasks)
from accounts.models import Client
from accounts.services import api_key_create
from lifecycle.services import client_terminate
from tests.factories import make_client

pytestmark = pytest.mark.django_db
KYIV = ZoneInfo("Europe/Kyiv")


@pytest.mark.parametrize("task", ["accounts.block_dormant", "accounts.terminate_due",
                                  "accounts.destroy_terminated_data"])
def test_r_acc_07_r_acc_08_jobs_run_daily(task):
    job = PeriodicTask.objects.get(task=task)
    assert job.enabled and job.crontab is not None
    assert (job.crontab.day_of_week, job.crontab.day_of_month, job.crontab.month_of_year) == ("*", "*", "*")
    assert job.crontab.hour.isdigit() and job.crontab.minute.isdigit()


def test_r_acc_07_never_topped_up_account_counts_from_sign_up(tariff):
    with time_machine.travel(datetime(2022, 1, 10, 12, tzinfo=KYIV)):
        idle = make_client(name="Idle")  # signed up, never paid, never sent
    with time_machine.travel(datetime(2024, 12, 1, 12, tzinfo=KYIV)):
        current_app.tasks["accounts.block_dormant"].apply(throw=True)
        assert Client.objects.get(pk=idle.pk).status == "active"  # not 3 years yet
    with time_machine.travel(datetime(2025, 1, 11, 12, tzinfo=KYIV)):
        current_app.tasks["accounts.block_dormant"].apply(throw=True)
    assert Client.objects.get(pk=idle.pk).status == "dormant"


def test_r_acc_07_a_top_up_restarts_the_three_years(tariff):
    from billing.services import wallet_topup

    with time_machine.travel(datetime(2022, 1, 10, 12, tzinfo=KYIV)):
        account = make_client(name="Saver", balance=10)
    with time_machine.travel(datetime(2024, 5, 1, 12, tzinfo=KYIV)):
        wallet_topup(client=account, amount=5, key="second-topup")
    with time_machine.travel(datetime(2025, 1, 11, 12, tzinfo=KYIV)):
        current_app.tasks["accounts.block_dormant"].apply(throw=True)
    assert Client.objects.get(pk=account.pk).status == "active"


def test_r_acc_07_dormant_client_logs_in_sees_why_and_cannot_send(client, tariff, route):
    with time_machine.travel(datetime(2022, 1, 10, 12, tzinfo=KYIV)):
        account = make_client(name="Sleepy", balance=10)
    _key, raw = api_key_create(client=account, name="k")
    with time_machine.travel(datetime(2025, 1, 11, 12, tzinfo=KYIV)):
        current_app.tasks["accounts.block_dormant"].apply(throw=True)
    r = client.post(reverse("account_login"), {"login": account.users.get().email, "password": "pass-word-123"})
    assert r.status_code == 302
    page = client.get(reverse("account_block")).content.decode()
    assert "3 years" in page and "verify the owner" in page and "<textarea" not in page
    r = client.post("/api/v1/messages/", {"sender": "X", "recipients": ["+380671234567"], "text": "x"},
                    content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 403 and r.json()["code"] == "account_blocked"


def test_r_acc_08_jobs_terminate_at_the_end_of_notice_and_destroy_a_year_later(client_account):
    with time_machine.travel(datetime(2026, 3, 1, 10, tzinfo=KYIV)):
        client_terminate(client=client_account, reason="Contract ended", at=datetime(2026, 3, 20, tzinfo=KYIV))
    with time_machine.travel(datetime(2026, 3, 21, 0, 5, tzinfo=KYIV)):
        current_app.tasks["accounts.terminate_due"].apply(throw=True)
    client_account.refresh_from_db()
    assert client_account.status == "terminated" and client_account.data_destroyed_at is None
    with time_machine.travel(datetime(2027, 3, 21, 3, 30, tzinfo=KYIV)):
        current_app.tasks["accounts.destroy_terminated_data"].apply(throw=True)
    client_account.refresh_from_db()
    assert client_account.data_destroyed_at and client_account.name.startswith("Terminated client")
    assert client_account.wallet.entries.exists()  # the anonymized ledger stays


def test_r_acc_08_termination_cancels_what_was_not_sent_and_returns_its_money(api, client_account):
    from datetime import timedelta

    from django.utils import timezone

    from messaging.models import Message

    available = client_account.wallet.available
    at = (timezone.now() + timedelta(days=2)).isoformat()
    r = api.post("/api/v1/messages/", {"sender": "TestShop", "recipients": ["+380671234567", "+380671234568"],
                                       "text": "Later", "send_at": at, "ttl": 86400}, format="json")
    assert r.status_code == 201, r.content
    client_terminate(client=client_account, reason="Fraud")
    assert set(Message.objects.filter(client=client_account).values_list("status", flat=True)) == {"cancelled"}
    client_account.wallet.refresh_from_db()
    assert client_account.wallet.available == available  # the reservation went back
