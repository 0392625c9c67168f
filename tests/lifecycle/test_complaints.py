"""Complaints about a client's messages (R-CMP-09): recorded by staff, forwarded to the client at
once (email + website), answered within 2 business days, overdue ones flagged to staff, resolved
by a dismissal, a penalty per violating message (R-BILL-11) or a block; every step audited; a
client sees only its own (R-CMP-12)."""
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery import current_app
from django.core import mail
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

import lifecycle.tasks  # noqa: F401 (registers the tasks)
from accounts.models import AuditEvent, Client, User
from billing.models import LedgerEntry
from billing.services.config import billing_config_get
from lifecycle.complaints import (ComplaintError, business_days_after, complaint_answer, complaint_record)
from lifecycle.models import Complaint
from messaging.services import message_send
from tests.factories import SenderNameFactory, UserFactory, make_client

pytestmark = pytest.mark.django_db
KYIV = ZoneInfo("Europe/Kyiv")


@pytest.fixture
def staff(client_account):
    from django.test import Client as Browser

    user = User.objects.create_superuser("staff@example.com", "pw-12345-staff")
    browser = Browser()
    browser.force_login(user)
    browser.user = user
    return browser


@pytest.fixture
def sent(client_account):
    """Three messages of the client: two to one recipient, one to another."""
    result = message_send(client=client_account, sender="TestShop", recipients=["0671234567", "0671234568"],
                          text="Big sale today only")
    again = message_send(client=client_account, sender="TestShop", recipients=["0671234567"], text="Sale again")
    return [*result.messages, *again.messages]


def _record(client, messages, *, actor=None, received_at=None, **kw):
    return complaint_record(client=client, source=kw.pop("source", Complaint.Source.RECIPIENT),
                            subject=kw.pop("subject", "I never agreed to receive advertising."),
                            public_ids=[m.public_id for m in messages], actor=actor, received_at=received_at, **kw)


def _codes(complaint):
    events = AuditEvent.objects.filter(target=str(complaint.public_id)).order_by("id")
    return list(events.values_list("code", flat=True))


# ---- forwarded at once -------------------------------------------------------------------------

def test_r_cmp_09_complaint_notifies_client_at_once(web, staff, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = staff.post(reverse("admin:lifecycle_complaint_record"), {
            "client": web.account.pk, "source": "operator", "complainant": "Kyivstar",
            "complainant_contact": "abuse@kyivstar.example", "subject": "Subscribers report spam from TestShop.",
            "message_ids": f"{sent[0].public_id}, {sent[1].public_id}"})
    assert r.status_code == 302, r.content.decode()[:2000]
    complaint = Complaint.objects.get()
    assert complaint.client == web.account and complaint.status == "open" and complaint.messages.count() == 2
    assert complaint.recorded_by == staff.user and complaint.notified_email
    # Email, at once, to the owner.
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert web.account.users.first().email in email.to
    assert "Subscribers report spam" in email.body and f"{complaint.answer_due_on:%d.%m.%Y}" in email.body
    assert "abuse@kyivstar" not in email.body  # the complainant's contact stays with staff
    # On the website: a notice on every page, the Compliance page and the complaint's page.
    page = web.get(reverse("dashboard")).content.decode()
    assert 'id="complaint-notice"' in page and f"{complaint.answer_due_on:%d.%m.%Y}" in page
    overview = web.get(reverse("compliance_overview"))
    assert overview.status_code == 200
    assert "Subscribers report spam" in overview.content.decode() and "Kyivstar" in overview.content.decode()
    detail = web.get(reverse("complaint_detail", args=[complaint.public_id]))
    body = detail.content.decode()
    assert detail.status_code == 200 and str(sent[0].recipient) in body and "Send answer" in body
    assert "abuse@kyivstar" not in body
    assert _codes(complaint) == ["lifecycle.complaint.recorded", "lifecycle.complaint.notified"]


def test_r_cmp_09_compliance_link_in_navigation(web):
    page = web.get(reverse("compliance_overview")).content.decode()
    assert f'href="{reverse("compliance_overview")}" aria-current="page">Compliance<' in page
    assert 'id="complaint-notice"' not in page and "No complaints" in page


def test_r_cmp_09_record_by_recipient_and_period(client_account, sent):
    complaint = complaint_record(client=client_account, source="recipient", subject="Stop texting me",
                                 recipient="+380671234567", date_from=date(2000, 1, 1), date_to=date(2999, 1, 1))
    assert set(complaint.messages.all()) == {sent[0], sent[2]}


def test_r_cmp_09_staff_cannot_name_another_clients_message(client_account, sent, staff):
    other = make_client(name="Other LLC")
    r = staff.post(reverse("admin:lifecycle_complaint_record"), {
        "client": other.pk, "source": "recipient", "subject": "Spam", "message_ids": str(sent[0].public_id)})
    assert r.status_code == 200 and "has the id" in r.content.decode()
    r = staff.post(reverse("admin:lifecycle_complaint_record"), {
        "client": client_account.pk, "source": "recipient", "subject": "Spam", "message_ids": "not-an-id"})
    assert r.status_code == 200 and "is not a message id" in r.content.decode()
    r = staff.post(reverse("admin:lifecycle_complaint_record"), {
        "client": client_account.pk, "source": "recipient", "subject": "Spam", "recipient": "0671234567",
        "date_from": "2026-12-05", "date_to": "2026-12-01"})
    assert r.status_code == 200 and "ends before it starts" in r.content.decode()
    assert not Complaint.objects.exists()


# ---- the deadline: 2 business days, Kyiv ---------------------------------------------------------

def test_r_cmp_09_deadline_two_business_days_over_a_weekend(client_account, sent):
    assert business_days_after(date(2026, 12, 3), 2) == date(2026, 12, 7)  # Thu → Fri, Mon
    assert business_days_after(date(2026, 12, 4), 2) == date(2026, 12, 8)  # Fri → Mon, Tue
    assert business_days_after(date(2026, 12, 5), 2) == date(2026, 12, 8)  # Sat → Mon, Tue
    # Friday 23:30 in Kyiv is still Friday (21:30 UTC): due Tuesday.
    friday_night = datetime(2026, 12, 4, 23, 30, tzinfo=KYIV)
    complaint = _record(client_account, sent[:1], received_at=friday_night)
    assert complaint.answer_due_on == date(2026, 12, 8)


def test_r_cmp_09_deadline_two_business_days_over_a_public_holiday(client_account, sent):
    # Independence Day, Monday 24.08.2026: Fri 21 → (Sat, Sun, holiday) Tue 25, Wed 26.
    assert business_days_after(date(2026, 8, 21), 2) == date(2026, 8, 26)
    # Christmas, Friday 25.12.2026: Thu 24 → (holiday, Sat, Sun) Mon 28, Tue 29.
    complaint = _record(client_account, sent[:1], received_at=datetime(2026, 12, 24, 10, tzinfo=KYIV))
    assert complaint.answer_due_on == date(2026, 12, 29)


def test_r_cmp_09_staff_calendar_day_counts():
    """A day staff mark as a holiday in the sending calendar is no business day either."""
    from compliance.hours import SendingCalendar
    from compliance.models import CalendarDay

    calendar = SendingCalendar({date(2026, 12, 7): CalendarDay.Kind.HOLIDAY})
    assert business_days_after(date(2026, 12, 4), 2, calendar=calendar) == date(2026, 12, 9)


# ---- the client answers ------------------------------------------------------------------------

def test_r_cmp_09_client_answers_on_the_website(web, sent):
    complaint = _record(web.account, sent[:2])
    url = reverse("complaint_detail", args=[complaint.public_id])
    r = web.post(url, {"text": "These customers signed up in our shop; consent forms are on file."})
    assert r.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == "answered" and complaint.answered_by == web.account.users.first()
    assert "consent forms are on file" in complaint.answer
    page = web.get(url).content.decode()
    assert 'id="complaint-answer"' in page and "Send answer" not in page
    assert 'id="complaint-notice"' not in web.get(reverse("dashboard")).content.decode()
    assert "lifecycle.complaint.answered" in _codes(complaint)
    # Only once.
    with pytest.raises(ComplaintError):
        complaint_answer(complaint=complaint, text="Another answer, a long one.")


@pytest.mark.parametrize("text, error", [("", "This field is required"), ("ok", "Write a few sentences"),
                                         ("x" * 10001, "at most 10000 characters")])
def test_r_cmp_09_bad_answer_is_a_form_error(web, sent, text, error):
    complaint = _record(web.account, sent[:1])
    r = web.post(reverse("complaint_detail", args=[complaint.public_id]), {"text": text})
    assert r.status_code == 400 and error in r.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == "open" and not complaint.answer


def test_r_cmp_09_viewer_reads_but_cannot_answer(client, client_account, sent):
    viewer = UserFactory(client=client_account, role=User.Role.VIEWER)
    complaint = _record(client_account, sent[:1])
    client.force_login(viewer)
    url = reverse("complaint_detail", args=[complaint.public_id])
    assert client.get(url).status_code == 200
    assert client.post(url, {"text": "We had consent from every recipient."}).status_code == 403
    complaint.refresh_from_db()
    assert complaint.status == "open"


# ---- overdue -----------------------------------------------------------------------------------

def test_r_cmp_09_overdue_job_is_declared():
    job = PeriodicTask.objects.get(task="lifecycle.complaints_flag_overdue")
    assert job.enabled and job.crontab is not None and job.crontab.hour == "*"


def test_r_cmp_09_overdue_flagged_to_staff(client_account, sent, staff, web, django_capture_on_commit_callbacks):
    with time_machine.travel(datetime(2026, 12, 3, 12, tzinfo=KYIV), tick=False):  # Thursday: due Mon 07.12
        late = _record(client_account, sent[:1])
        in_time = _record(client_account, sent[1:2])
    complaint_answer(complaint=in_time, text="Consent on file for this number.")
    mail.outbox.clear()
    with time_machine.travel(datetime(2026, 12, 7, 23, 0, tzinfo=KYIV), tick=False):  # still the due day
        current_app.tasks["lifecycle.complaints_flag_overdue"].apply(throw=True)
    late.refresh_from_db()
    assert late.overdue_flagged_at is None and not mail.outbox
    with time_machine.travel(datetime(2026, 12, 8, 0, 30, tzinfo=KYIV), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            current_app.tasks["lifecycle.complaints_flag_overdue"].apply(throw=True)
        changelist = staff.get(reverse("admin:lifecycle_complaint_changelist"), {"answer": "overdue"})
        page = web.get(reverse("compliance_overview")).content.decode()
    late.refresh_from_db()
    in_time.refresh_from_db()
    assert late.overdue_flagged_at is not None and in_time.overdue_flagged_at is None
    assert len(mail.outbox) == 1 and "staff@example.com" in mail.outbox[0].to
    assert str(late.public_id) in mail.outbox[0].body and str(in_time.public_id) not in mail.outbox[0].body
    assert "lifecycle.complaint.overdue" in _codes(late)
    assert changelist.status_code == 200
    shown = list(changelist.context["cl"].result_list)
    assert shown == [late] and "OVERDUE" in changelist.content.decode()
    assert "Answer overdue" in page
    # Flagged once.
    with time_machine.travel(datetime(2026, 12, 8, 1, 30, tzinfo=KYIV), tick=False):
        current_app.tasks["lifecycle.complaints_flag_overdue"].apply(throw=True)
    assert len(mail.outbox) == 1


# ---- staff decide ------------------------------------------------------------------------------

def test_r_cmp_09_staff_dismiss(web, staff, sent, django_capture_on_commit_callbacks):
    complaint = _record(web.account, sent[:1])
    mail.outbox.clear()
    assert staff.get(reverse("admin:lifecycle_complaint_change", args=[complaint.pk])).status_code == 200
    assert staff.get(reverse("admin:lifecycle_complaint_dismiss", args=[complaint.pk])).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        r = staff.post(reverse("admin:lifecycle_complaint_dismiss", args=[complaint.pk]),
                       {"note": "The recipient had subscribed; consent shown."})
    assert r.status_code == 302
    complaint.refresh_from_db()
    assert (complaint.status, complaint.decision, complaint.decided_by) == ("resolved", "dismissed", staff.user)
    assert "lifecycle.complaint.dismissed" in _codes(complaint)
    event = AuditEvent.objects.get(code="lifecycle.complaint.dismissed")
    assert event.actor == staff.user and event.client == web.account
    assert len(mail.outbox) == 1 and "dismissed" in mail.outbox[0].subject.lower()
    page = web.get(reverse("complaint_detail", args=[complaint.public_id])).content.decode()
    assert 'id="complaint-decision"' in page and "consent shown" in page
    # Decided once.
    r = staff.post(reverse("admin:lifecycle_complaint_penalize", args=[complaint.pk]), {"note": "x", "messages": 1})
    assert r.status_code == 200 and "already resolved" in r.content.decode()


def test_r_cmp_09_r_bill_11_staff_penalize_per_message(web, staff, sent):
    client = web.account
    complaint = _record(client, sent)
    per_message = billing_config_get().penalty_per_message.amount
    before = client.wallet.balance.amount
    r = staff.post(reverse("admin:lifecycle_complaint_penalize", args=[complaint.pk]),
                   {"note": "Advertising without consent.", "messages": 4})
    assert r.status_code == 200 and "1 to 3 message(s)" in r.content.decode()  # only the complaint's messages
    r = staff.post(reverse("admin:lifecycle_complaint_penalize", args=[complaint.pk]),
                   {"note": "Advertising without consent.", "messages": 2})
    assert r.status_code == 302
    client.wallet.refresh_from_db()
    assert client.wallet.balance.amount == before - 2 * per_message
    entry = LedgerEntry.objects.get(wallet=client.wallet, kind=LedgerEntry.Kind.PENALTY)
    assert entry.amount.amount == -2 * per_message
    assert entry.idempotency_key == f"complaint-penalty-{complaint.public_id}"
    complaint.refresh_from_db()
    assert (complaint.status, complaint.decision, complaint.penalty_messages) == ("resolved", "penalized", 2)
    event = AuditEvent.objects.get(code="lifecycle.complaint.penalized")
    assert event.actor == staff.user and event.details["messages"] == 2
    assert Decimal(event.details["amount"]) == 2 * per_message
    assert AuditEvent.objects.filter(code="billing.penalty.charged", client=client).count() == 1


def test_r_cmp_09_staff_block(web, staff, sent):
    complaint = _record(web.account, sent[:1])
    r = staff.post(reverse("admin:lifecycle_complaint_block", args=[complaint.pk]),
                   {"note": "Repeated spam after warnings."})
    assert r.status_code == 302
    client = Client.objects.get(pk=web.account.pk)
    assert client.status == Client.Status.BLOCKED and "Repeated spam" in client.status_reason
    complaint.refresh_from_db()
    assert (complaint.status, complaint.decision) == ("resolved", "blocked")
    assert {"lifecycle.complaint.blocked"} <= set(_codes(complaint))
    assert AuditEvent.objects.get(code="lifecycle.complaint.blocked").actor == staff.user
    assert AuditEvent.objects.filter(code="accounts.client.blocked", client=client).exists()


def test_r_cmp_09_decision_needs_a_reason(staff, client_account, sent):
    complaint = _record(client_account, sent[:1])
    r = staff.post(reverse("admin:lifecycle_complaint_dismiss", args=[complaint.pk]), {"note": "  "})
    assert r.status_code == 200
    complaint.refresh_from_db()
    assert complaint.status == "open"


# ---- isolation ---------------------------------------------------------------------------------

def test_r_cmp_12_client_never_sees_another_clients_complaint(web, sent, tariff):
    other = make_client(name="Other LLC", balance=10)
    SenderNameFactory(client=other, name="OtherShop", approved=True)
    theirs = message_send(client=other, sender="OtherShop", recipients=["0509876543"], text="Their text").messages
    complaint = _record(other, theirs, subject="Secret complaint about Other LLC")
    url = reverse("complaint_detail", args=[complaint.public_id])
    assert web.get(url).status_code == 404
    assert web.post(url, {"text": "Trying to answer another client's complaint."}).status_code == 404
    complaint.refresh_from_db()
    assert complaint.status == "open"
    page = web.get(reverse("compliance_overview")).content.decode()
    assert "Secret complaint" not in page
    assert 'id="complaint-notice"' not in web.get(reverse("dashboard")).content.decode()


def test_r_cmp_09_compliance_page_counts_refused_and_held(web, sent):
    from messaging.services import messages_transition

    assert web.get(reverse("compliance_overview")).context["counts"] == {"refused": 0, "pending_review": 0}
    assert messages_transition(ids=[sent[0].pk, sent[1].pk], new="refused", error_code="opted_out") == \
        sorted([sent[0].pk, sent[1].pk])
    page = web.get(reverse("compliance_overview"))
    assert page.context["counts"] == {"refused": 2, "pending_review": 0}
    assert 'id="count-refused"' in page.content.decode()


def test_r_cmp_09_admin_pages_render(staff, client_account, sent):
    complaint = _record(client_account, sent)
    for url in (reverse("admin:lifecycle_complaint_changelist"), reverse("admin:lifecycle_complaint_record"),
                reverse("admin:lifecycle_complaint_change", args=[complaint.pk]),
                reverse("admin:lifecycle_complaint_penalize", args=[complaint.pk]),
                reverse("admin:lifecycle_complaint_block", args=[complaint.pk])):
        assert staff.get(url).status_code == 200, url
    assert staff.get(reverse("admin:lifecycle_complaint_add")).status_code == 302
    penalize = staff.get(reverse("admin:lifecycle_complaint_penalize", args=[complaint.pk])).content.decode()
    assert 'name="messages" value="3"' in penalize  # every message of the complaint, unless staff say fewer


def test_r_acc_08_complaint_texts_destroyed_with_the_clients_data(client_account, sent):
    from lifecycle.services import complaints_personal_data_destroy

    complaint = _record(client_account, sent[:1], complainant="Ivan", complainant_contact="+380501112233")
    complaint_answer(complaint=complaint, text="Our answer with details.")
    assert complaints_personal_data_destroy(client=client_account) == 1
    complaint.refresh_from_db()
    assert (complaint.subject, complaint.complainant, complaint.complainant_contact, complaint.answer) == ("",) * 4
    assert complaint.status == "answered"


@pytest.mark.django_db(transaction=True)
def test_r_cmp_09_two_staff_deciding_at_once_resolve_it_once(client_account, sent):
    """A dismissal and a penalty submitted at the same moment: one wins, the other is told the
    complaint is resolved; the wallet is debited only if the penalty won."""
    import threading

    from django.db import connection

    from lifecycle.complaints import complaint_dismiss, complaint_penalize

    complaint = _record(client_account, sent)
    barrier = threading.Barrier(2)
    outcomes = {}

    def decide(name, call):
        try:
            barrier.wait(timeout=10)
            call()
            outcomes[name] = "ok"
        except ComplaintError as exc:
            outcomes[name] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=("dismiss", lambda: complaint_dismiss(
                   complaint=complaint, note="Unfounded."))),
               threading.Thread(target=decide, args=("penalize", lambda: complaint_penalize(
                   complaint=complaint, note="Spam.", messages=3)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes.values()) == ["complaint_resolved", "ok"], outcomes
    complaint.refresh_from_db()
    penalties = LedgerEntry.objects.filter(wallet__client=client_account, kind=LedgerEntry.Kind.PENALTY).count()
    if outcomes["penalize"] == "ok":
        assert complaint.decision == "penalized" and penalties == 1
    else:
        assert complaint.decision == "dismissed" and penalties == 0
