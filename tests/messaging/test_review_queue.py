"""The staff review queue (R-CMP-02): messages held for review (PENDING_REVIEW, their price held)
are approved (sent on, charged only when sent, the text remembered) or refused with a reason
(the hold released), one client's text at a time or several at once; held messages whose
lifetime ends expire uncharged."""
import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.models import AuditEvent, User
from billing.models import LedgerEntry, Wallet
from compliance.models import ApprovedText
from compliance.services import content_screen, opt_out_record
from messaging.models import Message, WebhookEvent
from messaging.services import connector_flush, message_send, messages_release_due, messages_transition, parts_claim
from messaging.services.dispatch.expiry import messages_expire_held
from messaging.services.review import (ReviewError, review_approve, review_items, review_items_count,
                                       review_refuse)
from messaging.services.webhooks import webhook_endpoint_set
from messaging.status import Status
from messaging.tasks import messages_expire_held_task
from tests.factories import make_client

pytestmark = pytest.mark.django_db
PRICE = Decimal("0.85")
CREDIT = "Кредит готівкою під 0% на 30 днів"
LOTTERY = "Розыгрыш iPhone среди покупателей"
A, B, C = "+380671234567", "+380501234567", "+380931234567"
QUEUE = "/admin/messaging/reviewqueue/"


def _wallet(client) -> tuple[Decimal, Decimal]:
    wallet = Wallet.objects.get(client=client)
    return wallet.balance.amount, wallet.held.amount


def _held_send(client, text, recipients, *, send_at=None, ttl=None, sender="TestShop") -> list[int]:
    """A send whose text screening held for review: accepted, its price held, its messages
    PENDING_REVIEW with the verdict's reason (moved there through the status door, as accept does)."""
    send_at = send_at or timezone.now() + datetime.timedelta(minutes=5)
    messages = message_send(client=client, sender=sender, recipients=recipients, text=text, send_at=send_at,
                            ttl=ttl).messages
    ids = [m.pk for m in messages]
    verdict = content_screen(client=client, text=text)
    messages_transition(ids=ids, new=Status.PENDING_REVIEW, error_code=verdict.reason or "content_review",
                        error_detail=verdict.detail or "Held for a content review.")
    assert {m.status for m in Message.objects.filter(pk__in=ids)} == {Status.PENDING_REVIEW}
    return ids


@pytest.fixture
def staff(client):
    user = User.objects.create_superuser("reviewer@example.com", "pw-12345-staff")
    client.force_login(user)
    client.user = user
    return client


def test_r_cmp_02_the_queue_shows_one_item_per_client_and_text_oldest_first(client_account):
    first = _held_send(client_account, CREDIT, [A, B, C])
    second = _held_send(client_account, LOTTERY, [A])
    other = make_client(name="Other LLC", balance=10)
    from tests.factories import SenderNameFactory
    SenderNameFactory(client=other, name="OtherShop", approved=True)
    third = _held_send(other, CREDIT, [A, B], sender="OtherShop")

    items = review_items()
    assert [(i.id, i.count, i.client.pk, i.text) for i in items] == [
        (first[0], 3, client_account.pk, CREDIT), (second[0], 1, client_account.pk, LOTTERY),
        (third[0], 2, other.pk, CREDIT)]
    assert review_items_count() == 3 and items[0].senders == ["TestShop"]


def test_r_cmp_02_approve_queues_and_charges_only_when_sent(client_account, route, monkeypatch):
    webhook_endpoint_set(client=client_account, url="http://127.0.0.1:9/hooks")
    woken = []
    monkeypatch.setattr("messaging.services.review.connector_wake", woken.append)
    at = timezone.now() + datetime.timedelta(minutes=5)
    ids = _held_send(client_account, CREDIT, [A, B], send_at=at)
    assert _wallet(client_account) == (100, 2 * PRICE)

    decision = review_approve(message_id=ids[0], actor=None, now=at + datetime.timedelta(seconds=1))
    assert (decision.queued, decision.scheduled) == (2, 0)
    assert {m.status for m in Message.objects.filter(pk__in=ids)} == {Status.QUEUED}
    assert woken == [route.pk]
    assert _wallet(client_account) == (100, 2 * PRICE)  # still only held
    assert not LedgerEntry.objects.filter(kind__in=["capture", "charge"]).exists()
    assert ApprovedText.objects.filter(client=client_account, text=CREDIT).exists()
    assert AuditEvent.objects.filter(code="messaging.review.approved", client=client_account).exists()

    parts = parts_claim(route_id=route.pk, limit=10)
    connector_flush(route_id=route.pk, submitted=[(p.part_id, p.message_id, f"s{p.message_id}") for p in parts],
                    complete=ids)
    assert _wallet(client_account) == (100 - 2 * PRICE, 0)  # charged when sent
    # The same text passes at once next time (R-CMP-02).
    assert content_screen(client=client_account, text=CREDIT).passed


def test_r_cmp_02_approve_of_a_later_send_schedules_it(client_account):
    at = timezone.now() + datetime.timedelta(hours=3)
    ids = _held_send(client_account, CREDIT, [A], send_at=at)
    decision = review_approve(message_id=ids[0])
    assert (decision.queued, decision.scheduled) == (0, 1)
    assert Message.objects.get(pk=ids[0]).status == Status.SCHEDULED
    assert messages_release_due(now=at + datetime.timedelta(seconds=1)) == 1
    assert Message.objects.get(pk=ids[0]).status == Status.QUEUED


def test_r_cmp_05_approve_refuses_a_recipient_who_opted_out_while_it_was_held(client_account):
    at = timezone.now() + datetime.timedelta(minutes=5)
    ids = _held_send(client_account, CREDIT, [A, B], send_at=at)
    opt_out_record(client=client_account, phone=A)
    decision = review_approve(message_id=ids[0], now=at + datetime.timedelta(seconds=1))
    assert (decision.queued, decision.refused) == (1, 1)
    statuses = dict(Message.objects.filter(pk__in=ids).values_list("recipient", "status"))
    assert statuses == {A: Status.REFUSED, B: Status.QUEUED}
    assert _wallet(client_account) == (100, PRICE)


def test_r_cmp_02_refuse_releases_the_hold(client_account):
    webhook_endpoint_set(client=client_account, url="http://127.0.0.1:9/hooks")
    before = _wallet(client_account)
    ids = _held_send(client_account, LOTTERY, [A, B, C])
    assert _wallet(client_account) == (100, 3 * PRICE)

    with pytest.raises(ReviewError):
        review_refuse(message_id=ids[0], reason="  ")
    decision = review_refuse(message_id=ids[0], reason="Lotteries need the organiser's licence number.")
    assert decision.refused == 3
    assert _wallet(client_account) == before  # wallet back to before
    for m in Message.objects.filter(pk__in=ids):
        assert (m.status, m.error_code, m.error_detail) == (
            Status.REFUSED, "content_refused", "Lotteries need the organiser's licence number.")
        assert m.done_at is not None
    events = WebhookEvent.objects.filter(client=client_account, event="refused")
    assert events.count() == 3 and {e.payload["error_code"] for e in events} == {"content_refused"}
    assert AuditEvent.objects.get(code="messaging.review.refused").details["refused"] == 3
    assert not ApprovedText.objects.exists()
    with pytest.raises(ReviewError) as decided:
        review_approve(message_id=ids[0])
    assert decided.value.code == "review_decided"


def test_r_cmp_02_held_expiry_uncharged(client_account):
    webhook_endpoint_set(client=client_account, url="http://127.0.0.1:9/hooks")
    at = timezone.now() + datetime.timedelta(minutes=5)
    ids = _held_send(client_account, CREDIT, [A, B], send_at=at, ttl=3600)
    kept = _held_send(client_account, LOTTERY, [C], send_at=at, ttl=7200)
    assert _wallet(client_account) == (100, 3 * PRICE)

    assert messages_expire_held(now=at + datetime.timedelta(minutes=59)) == 0
    assert messages_expire_held(now=at + datetime.timedelta(hours=1, seconds=1)) == 2
    for m in Message.objects.filter(pk__in=ids):
        assert (m.status, m.error_code) == (Status.EXPIRED, "review_expired")
    assert Message.objects.get(pk=kept[0]).status == Status.PENDING_REVIEW
    assert _wallet(client_account) == (100, PRICE)  # released, never charged
    assert not LedgerEntry.objects.filter(kind__in=["capture", "charge"]).exists()
    assert WebhookEvent.objects.filter(client=client_account, event="expired").count() == 2


def test_held_expiry_runs_as_a_beat_job():
    job = PeriodicTask.objects.get(task="messaging.held_expire")
    assert job.enabled and job.interval.every == 300
    assert messages_expire_held_task.name == "messaging.held_expire"
    assert messages_expire_held_task() == 0


def test_r_cmp_02_approving_after_the_lifetime_ended_expires_uncharged(client_account):
    at = timezone.now() + datetime.timedelta(minutes=5)
    ids = _held_send(client_account, CREDIT, [A], send_at=at, ttl=60)
    decision = review_approve(message_id=ids[0], now=at + datetime.timedelta(minutes=2))
    assert (decision.queued, decision.expired) == (0, 1)
    assert Message.objects.get(pk=ids[0]).status == Status.EXPIRED
    assert _wallet(client_account) == (100, 0)


# --- the admin page ------------------------------------------------------------------------------


def test_r_cmp_02_queue_page_renders_for_staff_with_the_matched_words_marked(staff, client_account):
    _held_send(client_account, CREDIT, [A, B])
    r = staff.get(QUEUE)
    assert r.status_code == 200
    html = r.content.decode()
    assert "<mark>Кредит</mark>" in html
    assert "Acme LLC" in html and "TestShop" in html and "finance" in html
    assert staff.get("/admin/").content.decode().count(QUEUE) >= 1  # listed on the admin index


def test_queue_page_escapes_the_text(staff, client_account):
    _held_send(client_account, "<b>Кредит</b> готівкою", [A])
    html = staff.get(QUEUE).content.decode()
    shown = html[html.index('class="review-text">'):].split("</div>")[0]
    assert "&lt;b&gt;" in shown and "<mark>" in shown and "Кредит" in shown and "<b>" not in shown


def test_queue_page_is_refused_for_non_staff_and_staff_without_permission(client, client_account):
    _held_send(client_account, CREDIT, [A])
    client.force_login(client_account.users.first())  # a client's own user
    r = client.get(QUEUE)
    assert r.status_code == 302 and "/admin/login/" in r["Location"]
    clerk = User.objects.create_user("clerk@example.com", "pw-12345-clerk", is_staff=True)
    client.force_login(clerk)
    assert client.get(QUEUE).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_reviewqueue"))
    client.force_login(User.objects.get(pk=clerk.pk))
    r = client.get(QUEUE)
    assert r.status_code == 200 and "Approve" not in r.content.decode().split("result_list")[1]
    ids = list(Message.objects.values_list("pk", flat=True))
    assert client.post(QUEUE, {"approve_one": ids[0]}).status_code == 403
    assert Message.objects.get(pk=ids[0]).status == Status.PENDING_REVIEW


def test_r_cmp_02_staff_approve_one_item_in_the_admin(staff, client_account):
    ids = _held_send(client_account, CREDIT, [A, B])
    r = staff.post(QUEUE, {"approve_one": ids[0]})
    assert r.status_code == 302
    assert {m.status for m in Message.objects.filter(pk__in=ids)} == {Status.SCHEDULED}  # its send_at is later
    assert AuditEvent.objects.get(code="messaging.review.approved").actor == staff.user
    assert ApprovedText.objects.get(client=client_account).approved_by == staff.user


def test_r_cmp_02_staff_refuse_one_item_with_its_reason(staff, client_account):
    ids = _held_send(client_account, LOTTERY, [A])
    r = staff.post(QUEUE, {"refuse_one": ids[0], f"reason_{ids[0]}": ""})
    assert r.status_code == 302 and Message.objects.get(pk=ids[0]).status == Status.PENDING_REVIEW
    r = staff.post(QUEUE, {"refuse_one": ids[0], f"reason_{ids[0]}": "No licence for the draw."}, follow=True)
    assert "Refused for Acme LLC" in r.content.decode()
    m = Message.objects.get(pk=ids[0])
    assert (m.status, m.error_detail) == (Status.REFUSED, "No licence for the draw.")
    assert _wallet(client_account) == (100, 0)


def test_r_cmp_02_bulk_approve_of_two_items(staff, client_account):
    first = _held_send(client_account, CREDIT, [A, B])
    second = _held_send(client_account, LOTTERY, [C])
    untouched = _held_send(client_account, "Іпотека від 7% річних", [A])
    r = staff.post(QUEUE, {"action": "approve", "items": [first[0], second[0]]}, follow=True)
    assert r.status_code == 200
    assert {m.status for m in Message.objects.filter(pk__in=first + second)} == {Status.SCHEDULED}
    assert Message.objects.get(pk=untouched[0]).status == Status.PENDING_REVIEW
    assert set(ApprovedText.objects.values_list("text", flat=True)) == {CREDIT, LOTTERY}
    assert AuditEvent.objects.filter(code="messaging.review.approved").count() == 2
    assert review_items_count() == 1


def test_r_cmp_02_bulk_refuse_needs_a_reason(staff, client_account):
    first = _held_send(client_account, CREDIT, [A])
    second = _held_send(client_account, LOTTERY, [B])
    staff.post(QUEUE, {"action": "refuse", "items": [first[0], second[0]], "reason": ""})
    assert review_items_count() == 2
    staff.post(QUEUE, {"action": "refuse", "items": [first[0], second[0]], "reason": "Not allowed."})
    assert review_items_count() == 0
    assert _wallet(client_account) == (100, 0)


def test_bad_item_ids_are_a_message_not_an_error(staff, client_account):
    _held_send(client_account, CREDIT, [A])
    r = staff.post(QUEUE, {"action": "approve", "items": ["abc", "999999"]}, follow=True)
    assert r.status_code == 200 and "No such review item" in r.content.decode()
    assert staff.post(QUEUE, {"action": "nonsense", "items": ["1"]}).status_code == 302


def test_queue_page_costs_the_same_queries_for_more_items(staff, client_account):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(3):
        _held_send(client_account, f"Кредит готівкою під {i}% на 30 днів", [A, B])
    staff.get(QUEUE)  # the screening rules compiled
    with CaptureQueriesContext(connection) as three:
        assert staff.get(QUEUE).status_code == 200
    for i in range(3, 9):
        _held_send(client_account, f"Кредит готівкою під {i}% на 30 днів", [A])
    with CaptureQueriesContext(connection) as nine:
        assert staff.get(QUEUE).content.decode().count('name="items"') == 9
    assert len(nine) == len(three)


def test_r_acc_06_approving_for_a_blocked_account_waits_for_the_unblock(client_account):
    from accounts.services import client_unblock
    from lifecycle.services import client_block

    at = timezone.now() + datetime.timedelta(minutes=5)
    ids = _held_send(client_account, CREDIT, [A], send_at=at)
    client_block(client=client_account, reason="Checking documents.", notify=False)
    decision = review_approve(message_id=ids[0], now=at + datetime.timedelta(seconds=1))
    assert (decision.queued, decision.scheduled) == (0, 1)
    assert Message.objects.get(pk=ids[0]).status == Status.SCHEDULED
    assert messages_release_due(now=at + datetime.timedelta(seconds=2)) == 0  # the release job skips it too
    client_unblock(client=client_account, note="Documents fine.")
    assert messages_release_due(now=at + datetime.timedelta(seconds=3)) == 1
