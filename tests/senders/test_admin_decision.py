"""Staff decide on a sender name from its own admin page, not only from the list (R-SND-04)."""
import pytest

from accounts.models import AuditEvent
from senders.models import SenderName
from tests.factories import SenderNameFactory, make_client

pytestmark = pytest.mark.django_db


def test_r_snd_04_pending_name_page_has_approve_and_reject(staff):
    sender = SenderNameFactory(client=make_client(), name="KvitkaShop")
    html = staff.get(f"/admin/senders/sendername/{sender.pk}/change/").content.decode()
    assert f"/admin/senders/sendername/{sender.pk}/approve/" in html
    assert f"/admin/senders/sendername/{sender.pk}/reject/" in html


def test_r_snd_04_approve_from_the_name_page_after_confirming(staff, mailoutbox, django_capture_on_commit_callbacks):
    sender = SenderNameFactory(client=make_client(), name="KvitkaShop")
    confirm = staff.get(f"/admin/senders/sendername/{sender.pk}/approve/")
    assert confirm.status_code == 200 and "Approve KvitkaShop" in confirm.content.decode()
    sender.refresh_from_db()
    assert sender.status == SenderName.Status.PENDING          # a GET changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        r = staff.post(f"/admin/senders/sendername/{sender.pk}/approve/", {"confirm": "True"})
    assert r.status_code == 302 and r["Location"].endswith(f"/admin/senders/sendername/{sender.pk}/change/")
    sender.refresh_from_db()
    assert sender.status == SenderName.Status.APPROVED
    assert AuditEvent.objects.filter(code="senders.name.approved", target="KvitkaShop").exists()
    assert "approved" in mailoutbox[-1].subject


def test_r_snd_04_approved_name_page_offers_no_second_approval(staff):
    sender = SenderNameFactory(client=make_client(), name="DoneShop", approved=True)
    html = staff.get(f"/admin/senders/sendername/{sender.pk}/change/").content.decode()
    assert f"/admin/senders/sendername/{sender.pk}/approve/" not in html
