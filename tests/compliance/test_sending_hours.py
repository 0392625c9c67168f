"""Legal sending hours (R-CMP-07): 09:00–20:00 on business days, 11:00–18:00 on weekends and
public holidays, Kyiv time; outside the window a message waits for the next opening; staff
exempt a client's service messages round the clock."""
from datetime import date, datetime, timedelta, timezone as dt_timezone

import pytest

from compliance.hours import frequency_cap_exempt
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction

from accounts.models import AuditEvent, User
from accounts.services import contract_missing_fields
from compliance.hours import (HOLIDAYS_DAYS_OFF, HOLIDAYS_NAMED, OUTSIDE_SENDING_HOURS, SendingCalendar,
                              is_open, next_opening, send_time_for, sending_calendar_get, sending_hours_notice,
                              sending_window)
from compliance.models import CalendarDay, SendingHoursExemption
from compliance.services import (ExemptionNotAllowed, calendar_day_clear, calendar_day_set, message_type_check,
                                 sending_hours_exemption_grant, sending_hours_exemption_revoke)
from smsportal.cache import Versions
from smsportal.kyiv import KYIV
from smsportal.message_types import MessageType
from tests.factories import make_client

UTC = dt_timezone.utc
PLAIN = SendingCalendar({}, HOLIDAYS_NAMED)  # no staff days: weekday and `holidays` only


def kyiv(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=KYIV)


# --- the window -------------------------------------------------------------------------------

@pytest.mark.parametrize(("hh", "mm", "open_"), [(8, 59, False), (9, 0, True), (19, 59, True), (20, 0, False),
                                                  (0, 0, False), (23, 59, False)])
def test_r_cmp_07_business_day_window_is_09_to_20(hh, mm, open_):
    assert PLAIN.is_open(kyiv(2026, 12, 2, hh, mm)) is open_  # a Wednesday


@pytest.mark.parametrize("day", [5, 6])  # Saturday, Sunday
@pytest.mark.parametrize(("hh", "mm", "open_"), [(9, 0, False), (10, 59, False), (11, 0, True), (17, 59, True),
                                                  (18, 0, False), (19, 0, False)])
def test_r_cmp_07_weekend_window_is_11_to_18(day, hh, mm, open_):
    assert PLAIN.is_open(kyiv(2026, 12, day, hh, mm)) is open_


def test_r_cmp_07_the_window_is_judged_in_kyiv_time_whatever_the_zone_of_the_moment():
    # 06:59 UTC on a winter Wednesday is 08:59 in Kyiv (UTC+2); 07:00 UTC is 09:00.
    assert not PLAIN.is_open(datetime(2026, 12, 2, 6, 59, tzinfo=UTC))
    assert PLAIN.is_open(datetime(2026, 12, 2, 7, 0, tzinfo=UTC))
    with pytest.raises(ValueError):
        PLAIN.is_open(datetime(2026, 12, 2, 12, 0))  # naive: no way to know which 12:00


def test_r_cmp_07_sending_window_is_aware_kyiv_open_and_close():
    assert PLAIN.window(date(2026, 12, 2)) == (kyiv(2026, 12, 2, 9), kyiv(2026, 12, 2, 20))
    assert PLAIN.window(date(2026, 12, 5)) == (kyiv(2026, 12, 5, 11), kyiv(2026, 12, 5, 18))


# --- next opening -----------------------------------------------------------------------------

@pytest.mark.parametrize(("at", "expected"), [
    (kyiv(2026, 12, 2, 12, 30), kyiv(2026, 12, 2, 12, 30)),  # open: at once
    (kyiv(2026, 12, 2, 3, 0), kyiv(2026, 12, 2, 9, 0)),  # before the opening: the same morning
    (kyiv(2026, 12, 2, 20, 0), kyiv(2026, 12, 3, 9, 0)),  # at the close: the next morning
    (kyiv(2026, 12, 4, 20, 0), kyiv(2026, 12, 5, 11, 0)),  # Friday evening: Saturday 11:00
    (kyiv(2026, 12, 5, 18, 0), kyiv(2026, 12, 6, 11, 0)),  # Saturday evening: Sunday 11:00
    (kyiv(2026, 12, 6, 18, 30), kyiv(2026, 12, 7, 9, 0)),  # Sunday evening: Monday 09:00
    (kyiv(2026, 12, 6, 9, 30), kyiv(2026, 12, 6, 11, 0)),  # Sunday morning: Sunday 11:00
])
def test_r_cmp_07_next_opening_across_the_week_and_the_weekend(at, expected):
    assert PLAIN.next_opening(at) == expected


def test_r_cmp_07_next_opening_skips_a_whole_weekend_and_a_holiday_monday_to_its_short_window():
    calendar = SendingCalendar({date(2026, 12, 7): CalendarDay.Kind.HOLIDAY}, HOLIDAYS_NAMED)
    assert calendar.next_opening(kyiv(2026, 12, 6, 18, 0)) == kyiv(2026, 12, 7, 11, 0)
    assert calendar.next_opening(kyiv(2026, 12, 7, 18, 0)) == kyiv(2026, 12, 8, 9, 0)


# --- DST in Kyiv (last Sunday of March: 03:00 → 04:00; of October: 04:00 → 03:00) ---------------

def test_r_cmp_07_spring_dst_switch_keeps_the_kyiv_wall_clock():
    # Saturday 28 March 2026 is still winter time (UTC+2), Sunday 29 March summer time (UTC+3).
    assert PLAIN.window(date(2026, 3, 28))[0].astimezone(UTC) == datetime(2026, 3, 28, 9, 0, tzinfo=UTC)
    sunday_open = PLAIN.next_opening(kyiv(2026, 3, 28, 18, 0))
    assert sunday_open.astimezone(UTC) == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)  # 11:00 EEST
    assert not PLAIN.is_open(datetime(2026, 3, 29, 7, 59, tzinfo=UTC))
    assert PLAIN.is_open(datetime(2026, 3, 29, 8, 0, tzinfo=UTC))
    assert PLAIN.is_open(datetime(2026, 3, 29, 14, 59, tzinfo=UTC))  # 17:59 EEST
    assert not PLAIN.is_open(datetime(2026, 3, 29, 15, 0, tzinfo=UTC))  # 18:00 EEST
    # During the missing hour (03:00–04:00 does not exist) nothing is open; the next opening is 11:00.
    assert PLAIN.next_opening(datetime(2026, 3, 29, 1, 30, tzinfo=UTC)) == kyiv(2026, 3, 29, 11, 0)
    # Monday 30 March: 09:00 EEST is 06:00 UTC.
    assert PLAIN.next_opening(kyiv(2026, 3, 29, 18, 0)).astimezone(UTC) == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)


def test_r_cmp_07_autumn_dst_switch_keeps_the_kyiv_wall_clock():
    # Saturday 24 October 2026 is summer time (UTC+3), Sunday 25 October winter time (UTC+2).
    assert PLAIN.window(date(2026, 10, 24))[1].astimezone(UTC) == datetime(2026, 10, 24, 15, 0, tzinfo=UTC)
    sunday_open = PLAIN.next_opening(kyiv(2026, 10, 24, 18, 0))
    assert sunday_open.astimezone(UTC) == datetime(2026, 10, 25, 9, 0, tzinfo=UTC)  # 11:00 EET
    assert not PLAIN.is_open(datetime(2026, 10, 25, 8, 59, tzinfo=UTC))
    assert PLAIN.is_open(datetime(2026, 10, 25, 9, 0, tzinfo=UTC))
    assert not PLAIN.is_open(datetime(2026, 10, 25, 16, 0, tzinfo=UTC))  # 18:00 EET
    # The repeated hour (03:00–04:00 twice): still closed, the opening is the same 11:00.
    assert PLAIN.next_opening(datetime(2026, 10, 25, 0, 30, tzinfo=UTC)) == kyiv(2026, 10, 25, 11, 0)
    assert PLAIN.next_opening(datetime(2026, 10, 25, 1, 30, tzinfo=UTC)) == kyiv(2026, 10, 25, 11, 0)


# --- public holidays under martial law --------------------------------------------------------

def test_r_cmp_07_under_martial_law_holidays_has_no_days_off_but_names_the_holidays():
    """The premise of the setting: holidays 0.109 lists no Ukrainian day off for 2026, and lists
    Independence Day (Monday 24 August 2026) in its "workday" category."""
    import holidays  # noqa: PLC0415

    assert dict(holidays.Ukraine(years=2026)) == {}
    assert date(2026, 8, 24) in holidays.Ukraine(years=2026, categories=("workday",))


def test_r_cmp_07_named_holidays_get_the_short_window_by_default(settings):
    assert settings.SMSPORTAL_SENDING_HOURS_HOLIDAYS == HOLIDAYS_NAMED
    independence_day = SendingCalendar({})
    assert independence_day.mode == HOLIDAYS_NAMED
    assert not independence_day.is_open(kyiv(2026, 8, 24, 10, 0))
    assert independence_day.is_open(kyiv(2026, 8, 24, 11, 0))
    assert not independence_day.is_open(kyiv(2026, 8, 24, 18, 0))
    assert independence_day.is_open(kyiv(2026, 8, 25, 9, 0))  # the Tuesday after is a business day


def test_r_cmp_07_days_off_setting_gives_martial_law_holidays_the_business_window(settings):
    settings.SMSPORTAL_SENDING_HOURS_HOLIDAYS = HOLIDAYS_DAYS_OFF
    calendar = SendingCalendar({})
    assert calendar.mode == HOLIDAYS_DAYS_OFF
    assert calendar.is_open(kyiv(2026, 8, 24, 9, 0))  # Independence Day 2026: no day off
    assert calendar.is_open(kyiv(2026, 8, 24, 19, 0))
    # Before martial law the same day was a day off: the short window.
    assert not calendar.is_open(kyiv(2021, 8, 24, 9, 0))
    assert calendar.is_open(kyiv(2021, 8, 24, 11, 0))


def test_r_cmp_07_an_unknown_holiday_setting_is_refused(settings):
    settings.SMSPORTAL_SENDING_HOURS_HOLIDAYS = "all"
    with pytest.raises(ValueError):
        SendingCalendar({})


# --- staff calendar ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_r_cmp_07_staff_holiday_on_a_weekday_gives_it_the_short_window():
    wednesday = date(2026, 12, 2)
    assert is_open(kyiv(2026, 12, 2, 10, 0))
    calendar_day_set(day=wednesday, kind=CalendarDay.Kind.HOLIDAY, note="Decree of the Cabinet")
    assert sending_window(wednesday) == (kyiv(2026, 12, 2, 11), kyiv(2026, 12, 2, 18))
    assert not is_open(kyiv(2026, 12, 2, 10, 0))  # the cached calendar saw the change
    assert next_opening(kyiv(2026, 12, 2, 10, 0)) == kyiv(2026, 12, 2, 11, 0)
    assert calendar_day_clear(day=wednesday)
    assert is_open(kyiv(2026, 12, 2, 10, 0))


@pytest.mark.django_db
def test_r_cmp_07_staff_business_day_on_a_saturday_gives_it_the_long_window():
    saturday = date(2026, 12, 5)
    calendar_day_set(day=saturday, kind=CalendarDay.Kind.BUSINESS, note="Working Saturday")
    assert is_open(kyiv(2026, 12, 5, 9, 0))
    assert is_open(kyiv(2026, 12, 5, 19, 59))
    assert not is_open(kyiv(2026, 12, 5, 20, 0))
    assert next_opening(kyiv(2026, 12, 4, 21, 0)) == kyiv(2026, 12, 5, 9, 0)
    # The staff word beats the holiday calendar too: Independence Day made a business day.
    calendar_day_set(day=date(2026, 8, 24), kind=CalendarDay.Kind.BUSINESS)
    assert is_open(kyiv(2026, 8, 24, 9, 0))
    # Setting the same day again changes it, never duplicates it.
    calendar_day_set(day=saturday, kind=CalendarDay.Kind.HOLIDAY)
    assert CalendarDay.objects.filter(date=saturday).count() == 1
    assert not is_open(kyiv(2026, 12, 5, 9, 0))


@pytest.mark.django_db
def test_r_cmp_07_the_calendar_is_cached_per_process_with_one_version_query(django_assert_num_queries):
    calendar_day_set(day=date(2026, 12, 2), kind=CalendarDay.Kind.HOLIDAY)
    sending_calendar_get()  # loaded once
    with django_assert_num_queries(1):  # the version counters only
        assert not is_open(kyiv(2026, 12, 2, 10, 0))
    calendar = sending_calendar_get()
    with django_assert_num_queries(0):
        for minute in range(0, 24 * 60, 7):
            is_open(kyiv(2026, 12, 2) + timedelta(minutes=minute), calendar=calendar)


# --- exemptions and send_time_for -------------------------------------------------------------

@pytest.mark.django_db
def test_r_cmp_07_exempt_service_messages_go_at_once_advertising_waits_for_the_window():
    client = make_client(round_the_clock=False)
    staff = User.objects.create_superuser("staff@example.com", "x-pass-2026")
    night = kyiv(2026, 12, 2, 23, 30)
    # Not exempt yet: both types wait for the morning, with the reason.
    assert send_time_for(client=client, message_type=MessageType.SERVICE, at=night) == (
        kyiv(2026, 12, 3, 9, 0), OUTSIDE_SENDING_HOURS)
    exemption = sending_hours_exemption_grant(client=client, granted_by=staff, note="OTP codes")
    assert exemption.granted_by == staff and exemption.message_type == MessageType.SERVICE
    assert send_time_for(client=client, message_type=MessageType.SERVICE, at=night) == (night, None)
    send_at, reason = send_time_for(client=client, message_type=MessageType.ADVERTISING, at=night)
    assert (send_at, reason) == (kyiv(2026, 12, 3, 9, 0), OUTSIDE_SENDING_HOURS)
    # Inside the window nothing waits.
    noon = kyiv(2026, 12, 2, 12, 0)
    assert send_time_for(client=client, message_type=MessageType.ADVERTISING, at=noon) == (noon, None)
    # Another client's exemption is not this one's.
    other = make_client(name="Other LLC", round_the_clock=False)
    assert send_time_for(client=other.pk, message_type=MessageType.SERVICE, at=night)[1] == OUTSIDE_SENDING_HOURS
    # Revoked: service messages wait again (the cache saw the change).
    assert sending_hours_exemption_revoke(client=client, actor=staff)
    assert send_time_for(client=client, message_type=MessageType.SERVICE, at=night)[1] == OUTSIDE_SENDING_HOURS


@pytest.mark.django_db
def test_r_cmp_07_exemption_grant_is_idempotent_and_audited():
    client = make_client(round_the_clock=False)
    first = sending_hours_exemption_grant(client=client, note="taxi")
    again = sending_hours_exemption_grant(client=client, note="something else")
    assert again.pk == first.pk and again.note == "taxi"
    assert SendingHoursExemption.objects.filter(client=client).count() == 1
    assert AuditEvent.objects.filter(client=client, code="compliance.sending_hours.exempted").count() == 1


@pytest.mark.django_db
def test_r_cmp_07_advertising_is_never_exempt():
    client = make_client(round_the_clock=False)
    with pytest.raises(ExemptionNotAllowed) as exc:
        sending_hours_exemption_grant(client=client, message_type=MessageType.ADVERTISING)
    assert exc.value.code == "exemption_not_allowed"
    with pytest.raises(ValidationError):  # the admin form's check
        SendingHoursExemption(client=client, message_type=MessageType.ADVERTISING).full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():  # and the database's
        SendingHoursExemption.objects.create(client=client, message_type=MessageType.ADVERTISING)


@pytest.mark.django_db
def test_r_cmp_07_send_time_for_a_batch_needs_no_query(django_assert_num_queries):
    client = make_client(round_the_clock=False)
    sending_hours_exemption_grant(client=client)
    versions = Versions(client.pk)
    calendar = sending_calendar_get(versions=versions)
    send_time_for(client=client, message_type=MessageType.SERVICE, at=kyiv(2026, 12, 2, 23),
                  calendar=calendar, versions=versions)  # warms the exemption cache
    with django_assert_num_queries(0):
        for hour in range(24):
            for message_type in MessageType.values:
                send_time_for(client=client, message_type=message_type, at=kyiv(2026, 12, 2, hour),
                              calendar=calendar, versions=versions)


@pytest.mark.django_db
def test_r_cmp_07_send_time_for_defaults_to_now():
    client = make_client(round_the_clock=False)
    with time_machine.travel(kyiv(2026, 12, 5, 19, 15), tick=False):  # Saturday evening
        send_at, reason = send_time_for(client=client, message_type=MessageType.ADVERTISING)
    assert (send_at, reason) == (kyiv(2026, 12, 6, 11, 0), OUTSIDE_SENDING_HOURS)
    with time_machine.travel(kyiv(2026, 12, 7, 9, 0), tick=False):  # Monday opening
        send_at, reason = send_time_for(client=client, message_type=MessageType.ADVERTISING)
        assert reason is None and send_at == kyiv(2026, 12, 7, 9, 0)


# --- demo data --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_r_cmp_07_demo_client_sends_service_round_the_clock_and_advertising_in_the_window():
    call_command("seed_demo", "--smsc-port", "1", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_demo", "--smsc-port", "1", stdout=open("/dev/null", "w"))  # noqa: SIM115 - twice: idempotent
    client = User.objects.get(email="demo@example.com").client
    assert list(SendingHoursExemption.objects.filter(client=client).values_list("message_type", flat=True)) == [
        MessageType.SERVICE]
    night = kyiv(2026, 12, 2, 2, 0)
    assert send_time_for(client=client, message_type=MessageType.SERVICE, at=night) == (night, None)
    assert send_time_for(client=client, message_type=MessageType.ADVERTISING, at=night) == (
        kyiv(2026, 12, 2, 9, 0), OUTSIDE_SENDING_HOURS)
    # R-CMP-03: its service messages are spared the 10-a-day cap (the tour repeats to one number),
    # its advertising is not.
    assert frequency_cap_exempt(client_id=client.pk, message_type=MessageType.SERVICE)
    assert not frequency_cap_exempt(client_id=client.pk, message_type=MessageType.ADVERTISING)


@pytest.mark.django_db
def test_r_cmp_11_demo_client_has_a_signed_contract_so_advertising_can_be_tried():
    for _ in range(2):  # `make run` seeds at every start: the second run changes nothing
        call_command("seed_demo", "--smsc-port", "1", stdout=open("/dev/null", "w"))  # noqa: SIM115
    client = User.objects.get(email="demo@example.com").client
    assert client.contract_signed and client.contract_number == "DEMO-2026-1"
    assert contract_missing_fields(client) == []
    message_type_check(client=client, message_type=MessageType.ADVERTISING)  # no ContractRequired
    assert AuditEvent.objects.filter(client=client, code="accounts.contract.signed").count() == 1
    assert sorted((s.name, s.channel, s.status) for s in client.sender_names.all()) == [
        ("DemoShop", "sms", "approved"), ("DemoShop", "viber", "approved")]
    assert sorted(User.objects.filter(email__in=["demo@example.com", "admin@example.com"]).values_list(
        "email", "is_staff", "emailaddress__verified")) == [("admin@example.com", True, True),
                                                            ("demo@example.com", False, True)]


# --- admin ------------------------------------------------------------------------------------

@pytest.fixture
def staff_browser(db):
    from django.test import Client as Browser  # noqa: PLC0415

    from tests.factories import UserFactory  # noqa: PLC0415

    browser = Browser()
    browser.user = UserFactory(is_staff=True, is_superuser=True)
    browser.force_login(browser.user)
    return browser


@pytest.mark.django_db
def test_r_cmp_07_staff_grant_and_revoke_exemptions_and_edit_the_calendar_in_admin(staff_browser):
    client = make_client(round_the_clock=False)
    r = staff_browser.post("/admin/compliance/sendinghoursexemption/add/",
                           {"client": client.pk, "message_type": MessageType.ADVERTISING, "note": "promo"})
    assert r.status_code == 200 and "Only service messages" in r.content.decode()
    assert not SendingHoursExemption.objects.exists()
    r = staff_browser.post("/admin/compliance/sendinghoursexemption/add/",
                           {"client": client.pk, "message_type": MessageType.SERVICE, "note": "OTP"})
    assert r.status_code == 302, r.content.decode()[:2000]
    exemption = SendingHoursExemption.objects.get(client=client)
    assert exemption.granted_by == staff_browser.user
    assert staff_browser.get("/admin/compliance/sendinghoursexemption/").status_code == 200
    r = staff_browser.post(f"/admin/compliance/sendinghoursexemption/{exemption.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302
    assert AuditEvent.objects.filter(client=client, code="compliance.sending_hours.exemption_revoked").exists()

    r = staff_browser.post("/admin/compliance/calendarday/add/",
                           {"date": "2026-12-05", "kind": CalendarDay.Kind.BUSINESS, "note": "Working Saturday"})
    assert r.status_code == 302
    page = staff_browser.get("/admin/compliance/calendarday/").content.decode()
    assert "Saturday" in page and "Weekend or public holiday (11:00–18:00)" in page  # the day without the row
    assert is_open(kyiv(2026, 12, 5, 9, 0))


@pytest.mark.django_db
def test_r_cmp_07_exemptions_of_one_client_never_answer_for_another_through_shared_counters():
    exempt = make_client(name="Bank LLC", round_the_clock=False)
    other = make_client(name="Shop LLC", round_the_clock=False)
    sending_hours_exemption_grant(client=exempt)
    night = kyiv(2026, 12, 2, 23, 0)
    wrong = Versions(exempt.pk)  # a caller passing the counters it read for the other client
    assert send_time_for(client=exempt, message_type=MessageType.SERVICE, at=night, versions=wrong)[1] is None
    assert send_time_for(client=other, message_type=MessageType.SERVICE, at=night,
                         versions=wrong)[1] == OUTSIDE_SENDING_HOURS


def test_r_cmp_07_the_notice_tells_the_client_when_the_message_goes():
    assert sending_hours_notice(datetime(2026, 12, 3, 7, 0, tzinfo=UTC)).startswith(
        "Scheduled for 09:00 on 03.12.2026 (Kyiv time)")
