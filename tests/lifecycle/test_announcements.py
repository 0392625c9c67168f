"""Announcements (R-SVC-01, R-SVC-02, R-BILL-13): notice periods on Kyiv calendar days, the price
list an announcement locks, and where clients see them (banner, page, API, email)."""
from datetime import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from djmoney.money import Money

from accounts.models import AuditEvent
from billing.models import TariffPrice
from billing.services import tariff_current
from lifecycle.announcements import AnnouncementError, announcement_publish
from lifecycle.models import Announcement
from smsportal.kyiv import KYIV
from tests.billing.factories import make_staff, make_tariff

pytestmark = pytest.mark.django_db


def kyiv(*args):
    return datetime(*args, tzinfo=KYIV)


def _maintenance(start, end, title="Database upgrade"):
    return Announcement.objects.create(kind="maintenance", title=title, body="Sending pauses for an hour.",
                                       starts_at=start, ends_at=end)


NOW = kyiv(2026, 3, 26, 15, 0)  # 29 March 2026 is the spring DST switch


def test_r_svc_01_maintenance_three_calendar_days_ahead_boundary():
    with time_machine.travel(NOW, tick=False):
        too_soon = _maintenance(kyiv(2026, 3, 29, 14, 59), kyiv(2026, 3, 29, 18, 0))
        with pytest.raises(AnnouncementError) as exc:
            announcement_publish(announcement_id=too_soon.pk)
        assert exc.value.code == "notice_too_short"
        # exactly 3 calendar days later, same Kyiv wall-clock time (only 71 real hours: DST), is allowed
        ok = _maintenance(kyiv(2026, 3, 29, 15, 0), kyiv(2026, 3, 29, 18, 0))
        assert announcement_publish(announcement_id=ok.pk).published_at == NOW
    too_soon.refresh_from_db()
    assert too_soon.published_at is None


def test_r_svc_01_maintenance_needs_start_and_end():
    a = Announcement(kind="maintenance", title="Upgrade", body="x", starts_at=kyiv(2027, 1, 1, 1, 0))
    with pytest.raises(ValidationError, match="start and end"):
        a.full_clean()
    a.ends_at = kyiv(2027, 1, 1, 0, 30)
    with pytest.raises(ValidationError, match="after the start"):
        a.full_clean()


def test_r_svc_02_terms_change_seven_calendar_days_ahead_boundary():
    with time_machine.travel(NOW, tick=False):
        late = Announcement.objects.create(kind="terms", title="New offer", body="Clause 6.8 changes.",
                                           starts_at=kyiv(2026, 4, 2, 14, 59))
        with pytest.raises(AnnouncementError):
            announcement_publish(announcement_id=late.pk)
        ok = Announcement.objects.create(kind="terms", title="New offer", body="Clause 6.8 changes.",
                                         starts_at=kyiv(2026, 4, 2, 15, 0))
        announcement_publish(announcement_id=ok.pk)
    # once published, the date cannot come closer (a new announcement is needed); later is fine
    ok.starts_at = kyiv(2026, 4, 2, 14, 0)
    with pytest.raises(ValidationError, match="cannot move closer"):
        ok.full_clean()
    ok.starts_at = kyiv(2026, 4, 10, 0, 0)
    ok.full_clean()


def test_r_bill_13_a_price_list_takes_effect_only_after_its_announcement_and_seven_days():
    make_tariff(name="Old", valid_from="2026-01-01 00:00", default="0.85")
    new = make_tariff(name="New", valid_from="2026-04-02 15:00", default="0.95", announced=False)
    # unannounced, it never applies, even after its date
    with time_machine.travel(kyiv(2026, 4, 3, 10, 0), tick=False):
        assert tariff_current().name == "Old"
    a = Announcement.objects.create(kind="tariff", title="New prices", body="SMS from 0.95 UAH.",
                                    starts_at=kyiv(2026, 1, 1), tariff=new)
    with time_machine.travel(kyiv(2026, 3, 26, 15, 1), tick=False), pytest.raises(AnnouncementError):
        announcement_publish(announcement_id=a.pk)  # 6 days 23 h 59 min: too short
    with time_machine.travel(NOW, tick=False):
        announcement_publish(announcement_id=a.pk)
    a.refresh_from_db()
    new.refresh_from_db()
    assert a.starts_at == new.valid_from and new.announced_at == NOW
    with time_machine.travel(kyiv(2026, 4, 2, 14, 59), tick=False):
        assert tariff_current().name == "Old"
    with time_machine.travel(kyiv(2026, 4, 2, 15, 0), tick=False):
        assert tariff_current().name == "New"
    assert AuditEvent.objects.filter(code="billing.tariff.announced").exists()


def test_r_bill_13_an_announced_list_cannot_start_earlier_nor_change_its_prices():
    make_tariff(name="Old", valid_from="2026-01-01 00:00", default="0.85")
    new = make_tariff(name="New", valid_from="2026-04-10 00:00", default="0.95", announced=False)
    a = Announcement.objects.create(kind="tariff", title="New prices", body="x", starts_at=new.valid_from, tariff=new)
    with time_machine.travel(NOW, tick=False):
        announcement_publish(announcement_id=a.pk)
        new.refresh_from_db()
        new.valid_from = kyiv(2026, 4, 5, 0, 0)  # still 7 days ahead of now, but closer than announced
        with pytest.raises(ValidationError, match="cannot start earlier"):
            new.full_clean()
        new.valid_from = kyiv(2026, 4, 20, 0, 0)  # later is allowed
        new.full_clean()
        line = TariffPrice(tariff=new, channel="sms", country="UA", price=Money(Decimal("0.10"), "UAH"))
        with pytest.raises(ValidationError, match="cannot change"):
            line.full_clean()


def test_r_bill_13_admin_refuses_new_lines_on_an_announced_list(client):
    make_tariff(name="Old", valid_from="2026-01-01 00:00")
    new = make_tariff(name="New", valid_from="2027-04-10 00:00", announced_at=kyiv(2026, 3, 1))
    client.force_login(make_staff())
    page = client.get(f"/admin/billing/tariff/{new.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="prices-MAX_NUM_FORMS" value="0"' in html and 'name="prices-0-price_0"' not in html  # nothing to add


def test_r_svc_01_published_notice_is_on_the_banner_page_api_and_emailed(client, api, django_capture_on_commit_callbacks):
    staff = make_staff()
    with time_machine.travel(NOW, tick=False):
        a = _maintenance(kyiv(2026, 3, 30, 1, 0), kyiv(2026, 3, 30, 3, 0), title="Operator link upgrade")
        draft = _maintenance(kyiv(2026, 4, 30, 1, 0), kyiv(2026, 4, 30, 3, 0), title="Draft only")
        with django_capture_on_commit_callbacks(execute=True):
            announcement_publish(announcement_id=a.pk, actor=staff)
        page = client.get("/announcements/")
        html = page.content.decode()
        assert page.status_code == 200 and "Operator link upgrade" in html and "Draft only" not in html
        assert 'id="announcement-banner"' in html and "30.03.2026 01:00" in html
        r = api.get("/api/v1/announcements/")
        assert r.status_code == 200
        [row] = r.json()["results"]
        assert (row["kind"], row["title"], row["current"]) == ("maintenance", "Operator link upgrade", True)
    assert [m.subject for m in mail.outbox if "Operator link upgrade" in m.subject]
    assert draft.published_at is None
    # after it ended it leaves the banner but stays on the page
    with time_machine.travel(kyiv(2026, 3, 30, 3, 1), tick=False):
        html = client.get("/announcements/").content.decode()
        assert 'id="announcement-banner"' not in html and "Operator link upgrade" in html


def test_r_svc_02_admin_publishes_and_refuses_short_notice(client):
    client.force_login(make_staff())
    with time_machine.travel(NOW, tick=False):
        a = Announcement.objects.create(kind="terms", title="Offer v2", body="x", starts_at=kyiv(2026, 3, 30))
        r = client.post(f"/admin/lifecycle/announcement/{a.pk}/publish/", follow=True)
        assert r.status_code == 200 and "at least 7 calendar days" in r.content.decode()
        a.starts_at = kyiv(2026, 4, 3)
        a.save()
        client.post(f"/admin/lifecycle/announcement/{a.pk}/publish/")
    a.refresh_from_db()
    assert a.published_at == NOW
    assert client.get("/admin/lifecycle/announcement/").status_code == 200
    assert client.get(f"/admin/lifecycle/announcement/{a.pk}/change/").status_code == 200
