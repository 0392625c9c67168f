"""Sending hours (R-CMP-07) and the 10-a-day cap (R-CMP-03) are checked again when a message
leaves for its connector: when the minute job releases it and when the connector claims it.
Both depend on time and on later events (the window closes; two sends accepted at once pass the
cap together), so what accept let through may still have to wait, or be refused.

- window closed, client not exempt for the message's type: it waits, SCHEDULED for the next
  opening (its lifetime moved by as much), reason `outside_sending_hours`, nothing charged;
- over the cap: REFUSED `frequency_cap`, its share of the hold released, a `refused` event."""
import datetime
import uuid
from decimal import Decimal

import pytest
import time_machine
from djmoney.money import Money

from billing.models import LedgerEntry, Wallet
from billing.services import hold_open
from compliance.hours import (OUTSIDE_SENDING_HOURS, frequency_cap_exempt_clients, sending_hours_exempt_clients)
from compliance.services import (sending_hours_exemption_cap_set, sending_hours_exemption_grant,
                                 sending_hours_exemption_revoke)
from messaging.models import Message, MessagePart, WebhookEvent
from messaging.services import connector_flush, message_send, messages_release_due, parts_claim
from messaging.services.frequency import frequency_cap_exempt
from messaging.services.money import hold_ref
from messaging.services.transitions import messages_hold_for_window
from messaging.services.webhooks import webhook_endpoint_set
from messaging.status import Status, can_transition
from smsportal.kyiv import KYIV
from smsportal.message_types import MessageType
from tests.factories import SenderNameFactory, make_client

pytestmark = pytest.mark.django_db
PRICE = Decimal("0.85")
PHONE = "+380671234567"
OTHER = "+380501234567"


def kyiv(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=KYIV)


# 2026-12-02 is a Wednesday, 2026-12-04 a Friday, 2026-12-05 a Saturday (no holidays near).
WED_1500, WED_1959, WED_2001, WED_2300 = kyiv(2026, 12, 2, 15), kyiv(2026, 12, 2, 19, 59), kyiv(2026, 12, 2, 20, 1), \
    kyiv(2026, 12, 2, 23)
THU_0900 = kyiv(2026, 12, 3, 9)


@pytest.fixture
def shop(db, tariff, route):
    """A client whose messages keep the sending hours (no round-the-clock exemption)."""
    client = make_client(name="Shop LLC", balance=100, round_the_clock=False)
    SenderNameFactory(client=client, name="NightShop", approved=True)
    client.sender = "NightShop"
    return client


def _wallet(client) -> tuple[Decimal, Decimal]:
    wallet = Wallet.objects.get(client=client)
    return wallet.balance.amount, wallet.held.amount


def _send(client, recipients, **kw) -> list[int]:
    return [m.pk for m in message_send(client=client, sender=getattr(client, "sender", "TestShop"), text="Hello",
                                       recipients=recipients, **kw).messages]


# --- sending hours (R-CMP-07) -------------------------------------------------------------------


def test_r_cmp_07_release_outside_window_rescheduled(shop):
    """A message scheduled inside the window whose release comes when it has closed (the minute
    job ran late, at 23:00) waits for the next opening, Thursday 09:00; then it goes."""
    webhook_endpoint_set(client=shop, url="http://127.0.0.1:9/hooks")
    with time_machine.travel(WED_1500, tick=False):
        [mid] = _send(shop, [PHONE], send_at=kyiv(2026, 12, 2, 19, 59, 30))
    before = Message.objects.get(pk=mid)
    assert before.status == Status.SCHEDULED

    with time_machine.travel(WED_2300, tick=False):
        assert messages_release_due() == 0
    m = Message.objects.get(pk=mid)
    assert (m.status, m.send_at, m.error_code) == (Status.SCHEDULED, THU_0900, OUTSIDE_SENDING_HOURS)
    assert m.valid_until - before.valid_until == THU_0900 - before.send_at  # its lifetime moved as far
    assert "09:00 on 03.12.2026" in m.error_detail and m.done_at is None
    assert _wallet(shop) == (100, m.price.amount)  # still held, nothing charged or released
    assert not WebhookEvent.objects.exists() and not MessagePart.objects.exists()

    with time_machine.travel(kyiv(2026, 12, 3, 8, 59), tick=False):
        assert messages_release_due() == 0  # not before the opening
    with time_machine.travel(kyiv(2026, 12, 3, 9, 0, 30), tick=False):
        assert messages_release_due() == 1
    assert Message.objects.get(pk=mid).status == Status.QUEUED


def test_r_cmp_07_exempt_client_released_at_night_but_not_its_advertising(client_account):
    """The usual client's service messages are approved round the clock: released at 23:00. Its
    advertising is not (no exemption ever covers advertising): it waits for 09:00."""
    assert client_account.pk in sending_hours_exempt_clients()
    with time_machine.travel(WED_1500, tick=False):
        service, advert = _send(client_account, [PHONE, OTHER], send_at=kyiv(2026, 12, 2, 22))
    Message.objects.filter(pk=advert).update(message_type=MessageType.ADVERTISING)  # as if sent as advertising

    with time_machine.travel(WED_2300, tick=False):
        assert messages_release_due() == 1
    assert Message.objects.get(pk=service).status == Status.QUEUED
    m = Message.objects.get(pk=advert)
    assert (m.status, m.send_at, m.error_code) == (Status.SCHEDULED, THU_0900, OUTSIDE_SENDING_HOURS)


def test_r_cmp_07_revoked_exemption_is_seen_by_the_next_release(client_account):
    with time_machine.travel(WED_1500, tick=False):
        [mid] = _send(client_account, [PHONE], send_at=kyiv(2026, 12, 2, 22))
    sending_hours_exemption_revoke(client=client_account)
    assert client_account.pk not in sending_hours_exempt_clients()
    with time_machine.travel(WED_2300, tick=False):
        assert messages_release_due() == 0
    assert Message.objects.get(pk=mid).send_at == THU_0900


@pytest.mark.parametrize("queued_at, claimed_at, opening", [
    (WED_1959, WED_2001, THU_0900),
    (kyiv(2026, 12, 4, 19, 59), kyiv(2026, 12, 4, 20, 1), kyiv(2026, 12, 5, 11)),  # Friday → Saturday 11:00
    (kyiv(2026, 12, 5, 17, 59), kyiv(2026, 12, 5, 18, 1), kyiv(2026, 12, 6, 11)),  # Saturday → Sunday 11:00
])
def test_r_cmp_07_queued_before_the_close_claimed_after_it_goes_back_to_scheduled(shop, route, queued_at,
                                                                                  claimed_at, opening):
    with time_machine.travel(queued_at, tick=False):
        [mid] = _send(shop, [PHONE])
    queued = Message.objects.get(pk=mid)
    assert queued.status == Status.QUEUED
    assert can_transition(Status.QUEUED, Status.SCHEDULED)

    with time_machine.travel(claimed_at, tick=False):
        assert parts_claim(route_id=route.pk, limit=10) == []
    m = Message.objects.get(pk=mid)
    assert (m.status, m.send_at, m.error_code) == (Status.SCHEDULED, opening, OUTSIDE_SENDING_HOURS)
    assert m.valid_until - queued.valid_until == opening - queued.send_at
    assert not MessagePart.objects.exists() and _wallet(shop) == (100, m.price.amount)

    with time_machine.travel(opening + datetime.timedelta(seconds=30), tick=False):
        assert messages_release_due() == 1
        [part] = parts_claim(route_id=route.pk, limit=10)
    assert part.message_id == mid


def test_r_cmp_07_the_connectors_pipelined_claim_takes_only_exempt_messages_at_night(client_account, shop, route):
    with time_machine.travel(WED_1959, tick=False):
        [theirs] = _send(shop, [PHONE])
        [exempt] = _send(client_account, [OTHER])
    with time_machine.travel(WED_2001, tick=False):
        parts = connector_flush(route_id=route.pk, claim=10)  # the claim a bind makes with its flush
        assert [p.message_id for p in parts] == [exempt]
        assert connector_flush(route_id=route.pk, claim=10) == []  # nothing left behind in the queue
    assert Message.objects.get(pk=theirs).status == Status.SCHEDULED
    assert Message.objects.get(pk=exempt).status == Status.SUBMITTING


def test_r_cmp_07_the_minute_job_sends_queued_messages_back_while_the_window_is_closed(client_account, shop):
    with time_machine.travel(WED_1959, tick=False):
        [theirs] = _send(shop, [PHONE])
        [exempt] = _send(client_account, [OTHER])
        assert messages_hold_for_window() == []  # still open: nothing to do
    with time_machine.travel(kyiv(2026, 12, 2, 20, 0, 30), tick=False):
        assert messages_release_due() == 0
    m = Message.objects.get(pk=theirs)
    assert (m.status, m.send_at, m.error_code) == (Status.SCHEDULED, THU_0900, OUTSIDE_SENDING_HOURS)
    assert Message.objects.get(pk=exempt).status == Status.QUEUED


# --- the 10-a-day cap (R-CMP-03) ----------------------------------------------------------------


def _accepted_together(client, route, sizes, *, status=Status.QUEUED, send_at=None, phone=PHONE) -> list[int]:
    """Sends accepted at the same moment, each counting the others' messages as not there yet (as
    two transactions that both counted 5 do): their messages and holds stored as a send stores
    them, without accept's own check of the cap."""
    send_at = send_at or datetime.datetime.now(datetime.timezone.utc)
    ids = []
    for size in sizes:
        batch = uuid.uuid4()
        hold_open(client=client, reference=hold_ref(batch, None), amount=PRICE * size, description=f"{size} SMS")
        ids += [Message.objects.create(client=client, batch_id=batch, sender="TestShop", recipient=phone,
                                       text=f"Code {i}", encoding="gsm7", segments=1, price=Money(PRICE, "UAH"),
                                       status=status, route=route, send_at=send_at,
                                       valid_until=send_at + datetime.timedelta(days=1)).pk
                for i in range(size)]
    return ids


def test_r_cmp_03_cap_rechecked_at_claim(client_account, route):
    """Two sends accepted concurrently put 11 messages to one number on one day: the claim sends
    the first 10 and refuses the 11th (`frequency_cap`), releasing its share of the hold."""
    webhook_endpoint_set(client=client_account, url="http://127.0.0.1:9/hooks")
    ids = _accepted_together(client_account, route, [6, 5])
    assert _wallet(client_account) == (100, 11 * PRICE)

    parts = parts_claim(route_id=route.pk, limit=50)
    assert sorted(p.message_id for p in parts) == ids[:10]
    m = Message.objects.get(pk=ids[10])
    assert (m.status, m.error_code) == (Status.REFUSED, "frequency_cap") and m.done_at is not None
    assert "already had 10 messages from you that day" in m.error_detail
    assert not m.parts.exists()
    [event] = WebhookEvent.objects.all()
    assert (event.event, event.payload["error_code"], event.payload["recipient"]) == ("refused", "frequency_cap", PHONE)
    assert _wallet(client_account) == (100, 10 * PRICE)
    [release] = LedgerEntry.objects.filter(kind="release")
    assert release.held_delta.amount == -PRICE

    connector_flush(route_id=route.pk, submitted=[(p.part_id, p.message_id, f"s{p.part_id}") for p in parts],
                    complete=[p.message_id for p in parts])
    assert _wallet(client_account) == (100 - 10 * PRICE, 0)  # exactly the ten sent, nothing held


def test_r_cmp_03_cap_rechecked_by_the_pipelined_claim_one_batch_at_a_time(client_account, route):
    """The claim that comes with a bind's flush, in small batches: the 11th is refused whichever
    batch it falls in; another recipient and another day are not counted."""
    ids = _accepted_together(client_account, route, [11])
    earlier = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=2)
    _accepted_together(client_account, route, [10], status=Status.DELIVERED, send_at=earlier)
    [other] = _accepted_together(client_account, route, [1], phone=OTHER)
    claimed = []
    for _ in range(5):
        claimed += [p.message_id for p in connector_flush(route_id=route.pk, claim=3)]
    assert sorted(claimed) == ids[:10] + [other]
    assert Message.objects.get(pk=ids[10]).error_code == "frequency_cap"


def test_r_cmp_03_refused_and_cancelled_messages_do_not_count(client_account, route):
    ids = _accepted_together(client_account, route, [12])
    Message.objects.filter(pk__in=ids[:2]).update(status=Status.CANCELLED)  # set up: two never went
    assert len(parts_claim(route_id=route.pk, limit=50)) == 10
    assert not Message.objects.filter(status=Status.REFUSED).exists()


def test_r_cmp_03_cap_rechecked_at_release(client_account, route):
    """Scheduled sends for one day released by the minute job: the 11th to one number is refused."""
    webhook_endpoint_set(client=client_account, url="http://127.0.0.1:9/hooks")
    now = datetime.datetime.now(datetime.timezone.utc)
    ids = _accepted_together(client_account, route, [4, 7], status=Status.SCHEDULED,
                             send_at=now - datetime.timedelta(seconds=5))
    assert messages_release_due(now=now) == 10
    assert list(Message.objects.filter(pk__in=ids).order_by("id").values_list("status", flat=True)) == \
        [Status.QUEUED] * 10 + [Status.REFUSED]
    assert Message.objects.get(pk=ids[10]).error_code == "frequency_cap"
    assert _wallet(client_account) == (100, 10 * PRICE)
    assert WebhookEvent.objects.get().payload["error_code"] == "frequency_cap"


def test_r_cmp_03_exempt_clients_service_messages_are_not_capped(client_account, route):
    """Staff exempted the client's round-the-clock service messages (one-time codes) from the cap
    too: all 12 go; its advertising is still capped."""
    sending_hours_exemption_cap_set(client=client_account, exempt=True)
    assert client_account.pk in frequency_cap_exempt_clients()
    assert frequency_cap_exempt(client_id=client_account.pk, message_type=MessageType.SERVICE)
    assert not frequency_cap_exempt(client_id=client_account.pk, message_type=MessageType.ADVERTISING)
    ids = _accepted_together(client_account, route, [12])
    adverts = _accepted_together(client_account, route, [11], phone=OTHER)
    Message.objects.filter(pk__in=adverts).update(message_type=MessageType.ADVERTISING)
    with time_machine.travel(kyiv(2026, 12, 2, 12), tick=True):  # advertising needs the window open
        Message.objects.filter(pk__in=ids + adverts).update(send_at=kyiv(2026, 12, 2, 11, 59))
        claimed = {p.message_id for p in parts_claim(route_id=route.pk, limit=50)}
    assert claimed == set(ids) | set(adverts[:10])
    assert Message.objects.get(pk=adverts[10]).error_code == "frequency_cap"


def test_r_cmp_03_cap_exemption_needs_staff_and_a_round_the_clock_exemption(client_account, shop):
    assert not frequency_cap_exempt(client_id=client_account.pk, message_type=MessageType.SERVICE)
    assert not sending_hours_exemption_cap_set(client=shop, exempt=True)  # no round-the-clock exemption
    sending_hours_exemption_grant(client=shop)
    assert sending_hours_exemption_cap_set(client=shop, exempt=True)
    assert frequency_cap_exempt(client_id=shop.pk, message_type=MessageType.SERVICE)
    assert sending_hours_exemption_cap_set(client=shop, exempt=False)
    assert not frequency_cap_exempt(client_id=shop.pk, message_type=MessageType.SERVICE)


def test_r_cmp_03_the_day_counted_is_the_day_of_the_messages_send_at(client_account, route):
    """Messages meant for an earlier day released only now (their client was blocked meanwhile,
    say) are counted on that day: ten delivered today to the same number do not refuse them, the
    11th of that day is refused."""
    now = datetime.datetime.now(datetime.timezone.utc)
    _accepted_together(client_account, route, [10], status=Status.DELIVERED, send_at=now - datetime.timedelta(
        seconds=1))
    late = _accepted_together(client_account, route, [11], status=Status.SCHEDULED,
                              send_at=now - datetime.timedelta(days=2))
    assert messages_release_due(now=now) == 10
    assert Message.objects.get(pk=late[10]).error_code == "frequency_cap"
    assert Message.objects.filter(pk__in=late[:10], status=Status.QUEUED).count() == 10


def test_r_cmp_03_staff_exempt_service_messages_from_the_cap_in_admin(admin_client, client_account, shop):
    """The round-the-clock exemption's admin shows the cap exemption, grants it with a new
    exemption or by an action on existing ones, audited."""
    from accounts.models import AuditEvent
    from compliance.models import SendingHoursExemption

    url = "/admin/compliance/sendinghoursexemption/"
    page = admin_client.get(url).content.decode()
    assert "Frequency cap exempt" in page and "Exempt from the 10-a-day cap too" in page
    [exemption] = SendingHoursExemption.objects.filter(client=client_account)
    r = admin_client.post(url, {"action": "cap_exempt", "_selected_action": [exemption.pk]})
    assert r.status_code == 302
    assert frequency_cap_exempt(client_id=client_account.pk, message_type=MessageType.SERVICE)
    assert AuditEvent.objects.filter(code="compliance.frequency_cap.exempted", client=client_account).exists()

    r = admin_client.post(url + "add/", {"client": shop.pk, "message_type": MessageType.SERVICE,
                                         "frequency_cap_exempt": "on", "note": "OTP codes"})
    assert r.status_code == 302, r.content.decode()[-2000:]
    assert SendingHoursExemption.objects.get(client=shop).frequency_cap_exempt
    assert shop.pk in sending_hours_exempt_clients() and shop.pk in frequency_cap_exempt_clients()
