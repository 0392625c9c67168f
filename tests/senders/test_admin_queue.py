"""R-SND-04 / R-CMP-02 in the staff admin: the sender-name queue opens on the requests waiting for
a decision, oldest first; the admin index counts what waits in each moderation queue; each
waiting row has its own Approve and Reject, decided rows neither; a rejection or a refusal can
use a common reason (read by the client in the client's language) and the staff's own words."""
import datetime

import pytest
import time_machine
from django.utils import timezone, translation

from messaging.admin import REFUSAL_REASONS
from messaging.models import Message
from messaging.services import message_send, messages_transition
from messaging.status import Status
from senders.admin import REJECTION_REASONS
from senders.models import SenderName
from tests.factories import SenderNameFactory, make_client

pytestmark = pytest.mark.django_db
LIST = "/admin/senders/sendername/"
KYIV = datetime.timezone(datetime.timedelta(hours=2))


@pytest.fixture
def queue():
    client = make_client(name="Kvitka LLC")
    with time_machine.travel(datetime.datetime(2026, 3, 4, 9, 0, tzinfo=KYIV)):
        old = SenderNameFactory(client=client, name="OldOne")
    with time_machine.travel(datetime.datetime(2026, 3, 4, 10, 0, tzinfo=KYIV)):
        new = SenderNameFactory(client=client, name="NewOne")
        approved = SenderNameFactory(client=client, name="DoneOne", approved=True)
        rejected = SenderNameFactory(client=client, name="GoneOne", rejected=True)
    return old, new, approved, rejected


def test_r_snd_04_queue_opens_on_waiting_requests_oldest_first(staff, queue):
    old, new, approved, rejected = queue
    r = staff.get(LIST)
    html = r.content.decode()
    assert [s.name for s in r.context["cl"].result_list] == ["OldOne", "NewOne"]
    assert html.index("OldOne") < html.index("NewOne")
    assert "?queue=decided" in html and "?queue=all" in html
    decided = staff.get(LIST + "?queue=decided").context["cl"].result_list
    assert {s.name for s in decided} == {"DoneOne", "GoneOne"}
    everything = staff.get(LIST + "?queue=all").context["cl"].result_list
    assert [s.name for s in everything][:2] == ["OldOne", "NewOne"] and len(everything) == 4


def test_r_snd_04_each_waiting_row_has_approve_and_reject_decided_rows_have_neither(staff, queue):
    old, new, approved, rejected = queue
    html = staff.get(LIST + "?queue=all").content.decode()
    for sender in (old, new):
        assert f"{LIST}{sender.pk}/approve/?from=list" in html
        assert f"{LIST}{sender.pk}/reject/" in html
    for sender in (approved, rejected):
        assert f"{LIST}{sender.pk}/approve/" not in html
        assert f"{LIST}{sender.pk}/reject/" not in html


def test_r_snd_04_approve_from_the_list_returns_to_the_list(staff, queue, django_capture_on_commit_callbacks):
    old = queue[0]
    url = f"{LIST}{old.pk}/approve/?from=list"
    assert staff.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        r = staff.post(url, {"confirm": "True"})
    assert r.status_code == 302 and r["Location"] == LIST
    old.refresh_from_db()
    assert old.status == SenderName.Status.APPROVED
    assert [s.name for s in staff.get(LIST).context["cl"].result_list] == ["NewOne"]


def test_r_snd_04_reject_with_a_common_reason_in_the_clients_language(staff, queue, monkeypatch, mailoutbox,
                                                                       django_capture_on_commit_callbacks):
    old = queue[0]
    form = staff.get(f"{LIST}{old.pk}/reject/").content.decode()
    assert 'name="canned"' in form and 'value="brand"' in form
    monkeypatch.setattr("senders.admin.client_language_get", lambda client: "uk")
    with django_capture_on_commit_callbacks(execute=True):
        r = staff.post(f"{LIST}{old.pk}/reject/", {"canned": "brand", "reason": "Rozetka is not yours."})
    assert r.status_code == 302
    old.refresh_from_db()
    with translation.override("uk"):
        common = str(REJECTION_REASONS["brand"])
    assert old.status == SenderName.Status.REJECTED
    assert old.rejection_reason == f"{common} Rozetka is not yours."
    assert common in mailoutbox[-1].body


def test_r_snd_04_reject_needs_a_common_reason_or_words(staff, queue):
    old = queue[0]
    r = staff.post(f"{LIST}{old.pk}/reject/", {"canned": "", "reason": "  "})
    assert r.status_code == 200 and "Choose a common reason or write one" in r.content.decode()
    r = staff.post(f"{LIST}{old.pk}/reject/", {"canned": "made-up", "reason": ""})
    assert r.status_code == 200
    old.refresh_from_db()
    assert old.status == SenderName.Status.PENDING
    staff.post(f"{LIST}{old.pk}/reject/", {"canned": "generic"})
    old.refresh_from_db()
    assert old.status == SenderName.Status.REJECTED and old.rejection_reason == str(REJECTION_REASONS["generic"])


def test_r_snd_04_approved_name_page_offers_withdrawal_not_reject(staff, queue):
    approved = queue[2]
    html = staff.get(f"{LIST}{approved.pk}/change/").content.decode()
    assert "Withdraw approval" in html and f"{LIST}{approved.pk}/approve/" not in html
    rejected = queue[3]
    html = staff.get(f"{LIST}{rejected.pk}/change/").content.decode()
    assert f"{LIST}{rejected.pk}/reject/" not in html


def _held(client, text="Кредит готівкою під 0% на 30 днів", recipients=("+380671234567",)):
    messages = message_send(client=client, sender="TestShop", recipients=list(recipients), text=text,
                            send_at=timezone.now() + datetime.timedelta(minutes=5)).messages
    ids = [m.pk for m in messages]
    messages_transition(ids=ids, new=Status.PENDING_REVIEW, error_code="content_review",
                        error_detail="Held for a content review.")
    return ids


def test_admin_index_counts_what_waits_in_each_queue(staff, queue, client_account):
    _held(client_account)
    _held(client_account, text="Розыгрыш iPhone среди покупателей")
    html = staff.get("/admin/").content.decode()
    assert 'id="moderation-queues"' in html
    block = html.split('id="moderation-queues"')[1].split("</table>")[0]
    assert f'href="{LIST}?queue=waiting"' in block and "Sender name requests" in block
    assert 'data-count="2"' in block  # two sender names waiting, two review items (client and text)
    assert block.count('data-count="2"') == 2
    assert 'href="/admin/messaging/reviewqueue/"' in block


def test_admin_index_shows_only_the_queues_the_staff_member_may_see(client, queue):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_sendername"))
    client.force_login(user)
    block = client.get("/admin/").content.decode().split('id="moderation-queues"')[1].split("</table>")[0]
    assert "Sender name requests" in block and "reviewqueue" not in block


def test_r_cmp_02_review_queue_refuses_with_a_common_reason(staff, client_account, monkeypatch):
    ids = _held(client_account)
    page = staff.get("/admin/messaging/reviewqueue/").content.decode()
    assert f'name="canned_{ids[0]}"' in page and 'value="restricted"' in page and 'name="canned"' in page
    monkeypatch.setattr("messaging.admin.client_language_get", lambda client: "uk")
    r = staff.post("/admin/messaging/reviewqueue/", {"refuse_one": str(ids[0]), f"canned_{ids[0]}": "restricted",
                                                      f"reason_{ids[0]}": "Credit ads need a licence number."})
    assert r.status_code == 302
    message = Message.objects.get(pk=ids[0])
    with translation.override("uk"):
        common = str(REFUSAL_REASONS["restricted"])
    assert message.status == Status.REFUSED
    assert message.error_detail.startswith(common[:100])
