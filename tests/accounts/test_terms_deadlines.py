"""Contract deadlines of accounts on the Kyiv calendar (R-ACC-06, R-ACC-07, R-ACC-08): the last
allowed day and the first refused one, across 29 February and the DST switches."""
from datetime import datetime

import pytest
import time_machine

from accounts.models import Client
from accounts.services import BlockError, block_explanation_submit
from accounts.services.blocking import explanation_deadline
from accounts.services.termination import client_termination_request, clients_personal_data_due
from lifecycle.services import client_block, client_terminate, clients_block_dormant, clients_destroy_personal_data
from smsportal.kyiv import KYIV
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def kyiv(*args):
    return datetime(*args, tzinfo=KYIV)


@pytest.mark.parametrize(("blocked", "last_ok", "first_late"), [
    (kyiv(2026, 3, 4, 14, 0), kyiv(2026, 3, 6, 23, 59), kyiv(2026, 3, 7, 0, 0, 1)),
    # across the spring DST switch (29 March 2026): still the end of the 2nd calendar day
    (kyiv(2026, 3, 27, 23, 30), kyiv(2026, 3, 29, 23, 59), kyiv(2026, 3, 30, 0, 0, 1)),
    # across 29 February of a leap year
    (kyiv(2028, 2, 28, 9, 0), kyiv(2028, 3, 1, 23, 59), kyiv(2028, 3, 2, 0, 0, 1)),
])
def test_r_acc_06_explanation_window_is_two_calendar_days(blocked, last_ok, first_late):
    assert explanation_deadline(blocked).date() == last_ok.date()
    early, late = make_client(name="Early"), make_client(name="Late")
    with time_machine.travel(blocked, tick=False):
        client_block(client=early, reason="Complaint", notify=False)
        client_block(client=late, reason="Complaint", notify=False)
    with time_machine.travel(last_ok, tick=False):
        block_explanation_submit(client=early, text="The recipients opted in; the consent log is attached.")
    with time_machine.travel(first_late, tick=False), pytest.raises(BlockError) as exc:
        block_explanation_submit(client=late, text="The recipients opted in; the consent log is attached.")
    assert exc.value.code == "explanation_late"


@pytest.mark.parametrize(("topup", "last_ok", "first_blocked"), [
    # 3 calendar years: topped up 10 Jan 2022 → unused through 10 Jan 2025, dormant from 11 Jan
    (kyiv(2022, 1, 10, 12), kyiv(2025, 1, 10, 23, 59), kyiv(2025, 1, 11, 0, 1)),
    # topped up on 29 Feb 2024: the third anniversary is 28 Feb 2027 (no 29th), dormant from 1 March
    (kyiv(2024, 2, 29, 12), kyiv(2027, 2, 28, 23, 59), kyiv(2027, 3, 1, 0, 1)),
    # 3 × 365 days would be 28 Feb 2027 for a top-up on 1 Mar 2024 (2024 is leap): the calendar says 1 Mar 2027
    (kyiv(2024, 3, 1, 12), kyiv(2027, 3, 1, 23, 59), kyiv(2027, 3, 2, 0, 1)),
])
def test_r_acc_07_dormant_after_three_calendar_years(topup, last_ok, first_blocked):
    with time_machine.travel(topup, tick=False):
        sleeping = make_client(name="Sleepy", balance=10)
    with time_machine.travel(last_ok, tick=False):
        assert clients_block_dormant() == 0
    with time_machine.travel(first_blocked, tick=False):
        assert clients_block_dormant() == 1
    sleeping.refresh_from_db()
    assert sleeping.status == Client.Status.DORMANT


@pytest.mark.parametrize(("terminated", "last_kept", "first_destroyed"), [
    (kyiv(2026, 3, 20, 0, 0), kyiv(2027, 3, 20, 23, 59), kyiv(2027, 3, 21, 0, 1)),
    # terminated on 29 Feb 2028: kept through 28 Feb 2029 (the calendar year), destroyed from 1 March
    (kyiv(2028, 2, 29, 10, 0), kyiv(2029, 2, 28, 23, 59), kyiv(2029, 3, 1, 0, 1)),
    # terminated on 1 March 2027: a fixed 365 days would end on 29 Feb 2028; the calendar year ends 1 March
    (kyiv(2027, 3, 1, 10, 0), kyiv(2028, 3, 1, 23, 59), kyiv(2028, 3, 2, 0, 1)),
])
def test_r_acc_08_data_kept_one_calendar_year_after_termination(terminated, last_kept, first_destroyed):
    account = make_client(name="Leaving")
    with time_machine.travel(terminated, tick=False):
        client_terminate(client=account, reason="Contract ended")
    with time_machine.travel(last_kept, tick=False):
        assert clients_personal_data_due(now=last_kept) == []
        assert clients_destroy_personal_data() == 0
    with time_machine.travel(first_destroyed, tick=False):
        assert clients_destroy_personal_data() == 1
    account.refresh_from_db()
    assert account.data_destroyed_at is not None


def test_r_acc_08_notice_of_fifteen_calendar_days_keeps_the_wall_clock_across_dst():
    account = make_client(name="Notice")
    with time_machine.travel(kyiv(2026, 3, 20, 10, 0), tick=False):
        client_termination_request(client=account)
    account.refresh_from_db()
    # 15 calendar days later, 10:00 Kyiv (summer time), although only 359 hours passed
    assert account.terminates_at.astimezone(KYIV) == kyiv(2026, 4, 4, 10, 0)
