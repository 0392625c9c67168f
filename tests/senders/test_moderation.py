"""Staff moderation (R-SND-04), national vs international (R-SND-05, 06), Viber names (R-SND-07)."""
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import AuditEvent
from billing.exceptions import InsufficientFunds
from billing.models import LedgerEntry
from senders.business_hours import business_deadline, business_time_between
from senders.models import NationalRegistration, SenderName
from senders.selectors import sender_class, viber_sender_allowed
from senders.services import (SenderNameInvalid, SenderStateError, national_list_import, sender_description_update,
                              sender_international_force, sender_name_approve, sender_name_reject, sender_name_request,
                              sender_national_set, viber_sender_submit)
from tests.factories import SenderNameFactory, make_client

pytestmark = pytest.mark.django_db
KYIV = ZoneInfo("Europe/Kyiv")


def kyiv(*args):
    return datetime(*args, tzinfo=KYIV)


# ---- R-SND-04: moderation --------------------------------------------------------------------

@pytest.mark.parametrize("start,due", [
    (kyiv(2026, 3, 4, 10, 0), kyiv(2026, 3, 4, 12, 0)),    # Wednesday morning
    (kyiv(2026, 3, 4, 17, 30), kyiv(2026, 3, 5, 10, 30)),  # half an hour today, 1.5 h tomorrow
    (kyiv(2026, 3, 6, 17, 0), kyiv(2026, 3, 9, 10, 0)),    # Friday evening → Monday
    (kyiv(2026, 3, 7, 12, 0), kyiv(2026, 3, 9, 11, 0)),    # Saturday → Monday 09:00 + 2 h
    (kyiv(2026, 3, 4, 6, 0), kyiv(2026, 3, 4, 11, 0)),     # before opening
])
def test_r_snd_04_two_business_hours_target(start, due):
    assert business_deadline(start) == due


def test_r_snd_04_martial_law_holidays_are_working_days():
    # 8 March and Independence Day fall on weekdays; under martial law they are working days.
    assert business_deadline(kyiv(2027, 3, 8, 10, 0)) == kyiv(2027, 3, 8, 12, 0)
    assert business_deadline(kyiv(2026, 8, 24, 10, 0)) == kyiv(2026, 8, 24, 12, 0)


def test_r_snd_04_extra_days_off_setting(settings):
    from senders import business_hours

    settings.SMSPORTAL_EXTRA_DAYS_OFF = ["2026-03-05"]
    business_hours._days_off.cache_clear()
    try:
        assert business_deadline(kyiv(2026, 3, 4, 17, 0)) == kyiv(2026, 3, 6, 10, 0)
    finally:
        business_hours._days_off.cache_clear()


def test_r_snd_04_business_time_between():
    assert business_time_between(kyiv(2026, 3, 6, 17, 0), kyiv(2026, 3, 9, 9, 30)).total_seconds() == 90 * 60


def test_r_snd_04_queue_ordered_by_age_with_time_left(staff):
    client = make_client()
    with time_machine.travel(kyiv(2026, 3, 4, 9, 0)):
        old = SenderNameFactory(client=client, name="OldOne")
    with time_machine.travel(kyiv(2026, 3, 4, 10, 30)):
        new = SenderNameFactory(client=client, name="NewOne")
        done = SenderNameFactory(client=client, name="DoneOne", approved=True)
    with time_machine.travel(kyiv(2026, 3, 4, 11, 30)):
        r = staff.get("/admin/senders/sendername/?queue=all")
    html = r.content.decode()
    assert html.index("OldOne") < html.index("NewOne") < html.index("DoneOne")
    assert "overdue 0 h 30 min" in html      # 09:00 + 2 h = 11:00
    assert "1 h 00 min" in html              # 10:30 + 2 h = 12:30
    assert "2 business hours" in html
    assert old and new and done


def test_r_snd_04_approve_and_reject_notify_the_client(web, staff, mailoutbox, django_capture_on_commit_callbacks):
    owner_email = web.account.users.first().email
    sender = SenderNameFactory(client=web.account, name="NewBrand")
    with django_capture_on_commit_callbacks(execute=True):
        r = staff.post(f"/admin/senders/sendername/{sender.pk}/reject/", {"reason": "Looks like a bank's name"})
    assert r.status_code == 302
    assert mailoutbox[-1].to == [owner_email] and "Looks like a bank's name" in mailoutbox[-1].body
    page = web.get("/senders/").content.decode()
    assert "Rejected" in page and "Looks like a bank&#x27;s name" in page
    detail = web.get(f"/senders/{sender.public_id}/").content.decode()
    assert "Looks like a bank&#x27;s name" in detail
    with django_capture_on_commit_callbacks(execute=True):
        staff.post("/admin/senders/sendername/?queue=all", {"action": "approve_selected",
                                                             "_selected_action": [sender.pk]})
    sender.refresh_from_db()
    assert sender.status == "approved" and sender.rejection_reason == ""
    assert "approved" in mailoutbox[-1].subject
    assert AuditEvent.objects.filter(code="senders.name.approved", target="NewBrand").exists()


def test_r_snd_04_only_approved_names_send(api):
    SenderNameFactory(client=api.account, name="Waiting")
    r = api.post("/api/v1/messages/", {"sender": "Waiting", "recipients": ["+380671234567"], "text": "x"}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "sender_not_approved"


# ---- R-SND-05 / R-SND-06: national vs international ------------------------------------------

def test_r_snd_05_national_needs_description_and_operator_acceptance():
    client = make_client()
    sender = SenderNameFactory(client=client, name="Kvitka", approved=True)
    assert sender_class(client, "Kvitka") == "international"
    with pytest.raises(SenderStateError) as exc:
        sender_national_set(sender_id=sender.pk, operator="kyivstar", national=True)
    assert "description" in exc.value.detail
    sender_description_update(client=client, public_id=sender.public_id, data={
        "company_name": "Kvitka LLC", "company_code": "14360570", "website": "kvitka.ua",
        "purpose": "Delivery notices", "sample_text": "Your bouquet is on its way."})
    sender_national_set(sender_id=sender.pk, operator="kyivstar", national=True)
    assert sender_class(client, "Kvitka") == "national"
    assert sender_class(client, "Kvitka", operator="kyivstar") == "national"
    assert sender_class(client, "Kvitka", operator="vodafone") == "international"
    assert sender_class(make_client(name="Thief"), "Kvitka") == "international"


def test_r_snd_05_staff_keep_a_name_international():
    client = make_client()
    sender = SenderNameFactory(client=client, name="Kvitka", approved=True, described=True)
    sender_national_set(sender_id=sender.pk, operator="vodafone", national=True)
    sender_international_force(sender_id=sender.pk, reason="Operators classified it international")
    assert sender_class(client, "Kvitka") == "international"
    with pytest.raises(SenderStateError):
        sender_national_set(sender_id=sender.pk, operator="vodafone", national=True)


@pytest.mark.parametrize("name,why", [
    ("PayPalUA", "never-national"), ("FacebookUA", "never-national"), ("Twilio", "never-national"),
    ("Lufthansa", "never-national"), ("Orange", "never-national"), ("Kvitka.com", "foreign domain"),
    ("900", "digits only"), ("Xkcdq", "meaningful"), ("Kvitka Info", "never-national"),
])
def test_r_snd_06_names_that_are_never_national(name, why):
    client = make_client()
    sender = SenderNameFactory(client=client, name=name, approved=True, described=True)
    with pytest.raises(SenderStateError) as exc:
        sender_national_set(sender_id=sender.pk, operator="kyivstar", national=True)
    assert why in exc.value.detail
    assert sender_class(client, name) == "international"


def test_r_snd_06_ukrainian_domain_may_be_national():
    client = make_client()
    sender = SenderNameFactory(client=client, name="Kvitka.ua", approved=True, described=True)
    sender_national_set(sender_id=sender.pk, operator="lifecell", national=True)
    assert sender_class(client, "Kvitka.ua") == "national"


def test_r_snd_05_weekly_csv_import_updates_national_status(staff):
    client = make_client()
    a = SenderNameFactory(client=client, name="Kvitka", approved=True, described=True)
    b = SenderNameFactory(client=client, name="Roza", approved=True)  # description missing
    SenderNameFactory(client=client, name="Tulip", approved=True, described=True)
    NationalRegistration.objects.create(sender=a, operator="vodafone", status="national", decided_at=a.created_at)
    csv = ("name,operator,status\nkvitka,kyivstar,national\nKvitka,vodafone,international\n"
           "Roza,lifecell,national\nNobody,kyivstar,national\nTulip,life,national\n")
    upload = SimpleUploadedFile("national-week-10.csv", csv.encode())
    r = staff.post("/admin/senders/sendername/national-list/", {"file": upload}, follow=True)
    html = r.content.decode()
    assert "2 national, 1 international" in html and "Nobody" in html and "description" in html
    assert sender_class(client, "Kvitka", operator="kyivstar") == "national"
    assert sender_class(client, "Kvitka", operator="vodafone") == "international"
    assert sender_class(client, "Tulip", operator="lifecell") == "national"
    assert sender_class(client, "Roza") == "international"
    assert b.registrations.count() == 0
    assert AuditEvent.objects.filter(code="senders.national_list.imported").exists()


def test_r_snd_05_bad_csv_is_refused_whole():
    with pytest.raises(Exception) as exc:
        national_list_import(data=b"name,operator\nKvitka,kyivstar\n")
    assert "columns" in str(exc.value)
    with pytest.raises(Exception) as exc:
        national_list_import(data=b"name,operator,status\nKvitka,beeline,national\n")
    assert "Line 2" in str(exc.value)


def test_r_snd_05_admin_actions_mark_national_per_operator(staff):
    client = make_client()
    sender = SenderNameFactory(client=client, name="Kvitka", approved=True, described=True)
    staff.post("/admin/senders/sendername/?queue=all",
               {"action": "mark_national_kyivstar", "_selected_action": [sender.pk]})
    assert sender_class(client, "Kvitka", operator="kyivstar") == "national"
    staff.post("/admin/senders/sendername/?queue=all",
               {"action": "mark_international_all", "_selected_action": [sender.pk]})
    assert sender_class(client, "Kvitka") == "international"


# ---- R-SND-07: Viber sender names --------------------------------------------------------------

@pytest.mark.parametrize("name,ok", [
    ("КвіткаМаркет", True), ("Kvitka2026", True), ("A" * 20, True), ("A" * 21, False), ("Kvitka Shop", False),
    ("Kvitka-Shop", False), ("12345", False),
])
def test_r_snd_07_viber_name_format(name, ok, tariff):
    client = make_client(balance=10000)
    if ok:
        assert sender_name_request(client=client, name=name, channel="viber").channel == "viber"
    else:
        with pytest.raises(SenderNameInvalid) as exc:
            sender_name_request(client=client, name=name, channel="viber")
        assert exc.value.reason == "format"


def test_r_snd_07_registration_fee_charged_and_refunded_on_reject(settings):
    settings.SMSPORTAL_VIBER_SENDER_FEE = "1500"
    client = make_client(balance=2000)
    sender = sender_name_request(client=client, name="KvitkaViber", channel="viber")
    client.wallet.refresh_from_db()
    assert client.wallet.balance.amount == Decimal("500")
    charge = LedgerEntry.objects.get(idempotency_key=sender.fee_charge_key)
    assert charge.kind == "charge" and "Viber sender name" in charge.description
    viber_sender_submit(sender_id=sender.pk)
    assert SenderName.objects.get(pk=sender.pk).status == "submitted"
    sender_name_reject(sender_id=sender.pk, reason="Viber refused the name")
    client.wallet.refresh_from_db()
    assert client.wallet.balance.amount == Decimal("2000")
    with pytest.raises(SenderStateError):
        sender_name_approve(sender_id=sender.pk)


def test_r_snd_07_fee_needs_funds_and_nothing_is_stored_without_it(settings):
    settings.SMSPORTAL_VIBER_SENDER_FEE = "1500"
    client = make_client(balance=100)
    with pytest.raises(InsufficientFunds):
        sender_name_request(client=client, name="KvitkaViber", channel="viber")
    assert not SenderName.objects.exists()


def test_r_snd_07_shared_viber_sender_for_tests_and_until_own_is_registered(settings):
    settings.SMSPORTAL_VIBER_SHARED_SENDER = "smsportal"
    client = make_client(balance=10000)
    assert viber_sender_allowed(client=client, name="smsportal", is_test=False)
    sender = sender_name_request(client=client, name="KvitkaViber", channel="viber")
    assert not viber_sender_allowed(client=client, name="KvitkaViber")
    sender_name_approve(sender_id=sender.pk)
    assert viber_sender_allowed(client=client, name="KvitkaViber")
    assert viber_sender_allowed(client=client, name="smsportal", is_test=True)
    assert not viber_sender_allowed(client=client, name="smsportal", is_test=False)
    assert not viber_sender_allowed(client=make_client(name="Other"), name="KvitkaViber")


def test_r_snd_07_submit_is_for_viber_names_only():
    sender = SenderNameFactory(client=make_client(), name="Kvitka")
    with pytest.raises(SenderStateError):
        viber_sender_submit(sender_id=sender.pk)


def test_r_snd_08_approving_cannot_hand_a_live_name_to_a_second_company():
    first, second = make_client(name="First"), make_client(name="Second")
    old = SenderNameFactory(client=first, name="Kvitka", rejected=True)
    sender_name_request(client=second, name="Kvitka")
    with pytest.raises(Exception) as exc:
        sender_name_approve(sender_id=old.pk)
    assert "Another company" in str(exc.value)


def test_mail_is_sent_to_owners_only(web, mailoutbox, django_capture_on_commit_callbacks):
    from tests.factories import UserFactory

    UserFactory(client=web.account, role="viewer", email="viewer@example.com")
    sender = SenderNameFactory(client=web.account, name="NewBrand")
    with django_capture_on_commit_callbacks(execute=True):
        sender_name_approve(sender_id=sender.pk)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [web.account.users.get(role="owner").email]
