"""The SMPP connector against an in-process SMSC simulator and the real test PostgreSQL.

Each test runs `Connector` (all its binds) in a thread with a stop Event, on an ephemeral port,
and waits on conditions with timeouts (R-MSG-01 lifetime, R-MSG-02 parts, R-MSG-04 receipts and
polling, R-CMP-05 opt-out by reply).
"""
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import LedgerEntry
from compliance.models import OptOut
from messaging import segments
from messaging.models import InboundMessage, Message, MessagePart, ReceiptInbox, Route
from messaging.services import message_send, receipts_apply
from messaging.services.dispatch import IN_DOUBT
from messaging.smpp.connector import Connector
from messaging.smpp.simulator import SimulatorConfig, SmscSimulator, decode_submit_sm
from messaging.status import Status
from tests.factories import SenderNameFactory, make_client

pytestmark = pytest.mark.django_db(transaction=True)

LONG_TEXT = ("Шановний клієнте, ваше замовлення №1042 вже в дорозі. Очікуйте кур'єра завтра з 10:00 до 14:00. "
             "Дякуємо, що обрали нас! Гарного дня і до зустрічі.")  # UCS-2, 3 parts


def wait_for(predicate, timeout=15.0, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


@pytest.fixture
def make_sim():
    sims = []

    def factory(**overrides):
        values = dict(port=0, receipt_delay=0.0)
        values.update(overrides)
        sim = SmscSimulator(SimulatorConfig(**values)).start()
        sims.append(sim)
        return sim

    yield factory
    for sim in sims:
        sim.stop()


@pytest.fixture
def sim(make_sim):
    return make_sim()


@pytest.fixture
def shop(tariff, route):
    client = make_client(name="Shop LLC", balance=2000, round_the_clock=True)
    SenderNameFactory(client=client, name="TestShop", approved=True)
    return client


def point(route, sim, **fields):
    Route.objects.filter(pk=route.pk).update(port=sim.port, **fields)
    route.refresh_from_db()
    return route


@contextmanager
def connector(route, **kwargs):
    stop = threading.Event()
    c = Connector(route.pk, stop, **kwargs)
    errors = []

    def run():
        try:
            c.run()
        except Exception as exc:  # surfaced by the test
            errors.append(exc)
            raise

    t = threading.Thread(target=run, daemon=True)
    t.start()
    assert c.started.wait(10)
    try:
        yield c
    finally:
        stop.set()
        t.join(20)
        assert not t.is_alive(), "the connector did not stop"
        assert not errors, errors


def send(client, recipients, text="Hello from TestShop", **kw):
    if isinstance(recipients, str):
        recipients = [recipients]
    return [m.pk for m in message_send(client=client, sender="TestShop", recipients=recipients, text=text,
                                       **kw).messages]


def phones(n, start=1000001):
    return [f"+38067{start + i:07d}" for i in range(n)]


def statuses(ids):
    return Counter(Message.objects.filter(pk__in=ids).values_list("status", flat=True))


def all_in(ids, *wanted):
    return lambda: Message.objects.filter(pk__in=ids).exclude(status__in=wanted).count() == 0


def submits_per_part(sim):
    return Counter((r.destination, r.short_message) for r in list(sim.messages.values()))


def balance(client):
    client.wallet.refresh_from_db()
    return client.wallet.balance.amount


# --- sending --------------------------------------------------------------------------------------


def test_r_msg_02_multipart_parts_arrive_with_udh_and_the_message_is_delivered(route, sim, shop):
    point(route, sim)
    (mid,) = send(shop, "+380671234567", LONG_TEXT)
    with connector(route):
        assert wait_for(all_in([mid], Status.DELIVERED)), statuses([mid])
    records = sorted(sim.messages.values(), key=lambda r: r.concat[2])
    expected = segments.submit_payloads(LONG_TEXT, ref=mid % 256)
    assert len(records) == len(expected) == 3
    for record, payload in zip(records, expected):
        assert record.concat == (mid % 256, 3, expected.index(payload) + 1)
        assert record.short_message == payload.short_message and record.esm_class == 0x40
        assert record.data_coding == 8 and record.source == "TestShop" and record.source_ton == 5
        assert record.destination == "380671234567"
    assert "".join(r.text for r in records) == LONG_TEXT
    parts = MessagePart.objects.filter(message_id=mid)
    assert {p.status for p in parts} == {Status.DELIVERED} and parts.count() == 3
    m = Message.objects.get(pk=mid)
    assert m.submitted_at and m.done_at


def test_throttled_by_the_smsc_slows_down_and_loses_nothing(route, make_sim, shop):
    sim = make_sim(tps=40)
    point(route, sim, window_size=20)
    ids = send(shop, phones(10)) + send(shop, phones(10, 2000001)) + send(shop, phones(10, 3000001)) \
        + send(shop, phones(10, 4000001)) + send(shop, phones(10, 5000001)) + send(shop, phones(10, 6000001)) \
        + send(shop, phones(10, 7000001)) + send(shop, phones(10, 8000001)) + send(shop, phones(10, 9000001)) \
        + send(shop, phones(10, 1100001))
    with connector(route) as c:
        assert wait_for(all_in(ids, Status.DELIVERED), timeout=30), statuses(ids)
        assert sim.stats["throttled"] > 0 and c.stats["throttled"] == sim.stats["throttled"]
    per_part = submits_per_part(sim)
    assert len(per_part) == 100 and set(per_part.values()) == {1}
    assert MessagePart.objects.filter(message_id__in=ids, attempts=1).count() == 100


def test_r_msg_01_temporary_error_is_retried_with_the_same_bytes_then_delivered(route, sim, shop, settings):
    settings.SMSPORTAL_RETRY_BASE_SECONDS = 0.05
    point(route, sim, window_size=1)
    refused = []
    sim.inject_submit_error(0x08, destination="380671234567", count=2)
    original = sim._on_submit

    def spy(s, raw, seq, now, wall):  # keep the bytes of every submit, refused ones too
        refused.append(raw[16:])
        return original(s, raw, seq, now, wall)

    sim._on_submit = spy
    (mid,) = send(shop, "+380671234567", LONG_TEXT)
    with connector(route, idle_poll=0.05):
        assert wait_for(all_in([mid], Status.DELIVERED), timeout=20), statuses([mid])
    parts = MessagePart.objects.filter(message_id=mid)
    assert sum(p.attempts for p in parts) == 3 + 2 and {p.status for p in parts} == {Status.DELIVERED}
    assert {p.error_code for p in parts} == {""}
    accepted = [r for r in sim.messages.values() if r.destination == "380671234567"]
    assert len(accepted) == 3  # one per part
    assert len(refused) == 5
    for record in accepted:  # every try of a part carried the same bytes
        tries = [b for b in refused if decode_submit_sm(b)[10] == record.short_message]
        assert set(tries) == {record.pdu[16:]}
    assert balance(shop) == Decimal("2000") - Decimal("0.85") * 3


def test_r_msg_01_lifetime_ends_during_retries_expired_and_refunded(route, sim, shop, settings):
    settings.SMSPORTAL_RETRY_BASE_SECONDS = 0.3
    point(route, sim)
    sim.inject_submit_error(0x45, destination="380671234567", count=1000)
    (mid,) = send(shop, "+380671234567", "Your code is 1234")
    Message.objects.filter(pk=mid).update(valid_until=timezone.now() + timedelta(seconds=1.5))
    with connector(route, idle_poll=0.05):
        assert wait_for(all_in([mid], Status.EXPIRED), timeout=20), statuses([mid])
    m = Message.objects.get(pk=mid)
    part = m.parts.get()
    assert m.error_code == "ttl" and part.status == Status.EXPIRED and part.attempts >= 2
    assert not sim.messages  # never accepted
    assert balance(shop) == Decimal("2000") and shop.wallet.held.amount == 0
    assert LedgerEntry.objects.filter(kind="release").count() == 1  # the hold given back, nothing captured
    assert not LedgerEntry.objects.filter(kind__in=["capture", "refund"]).exists()


def test_permanent_error_fails_and_refunds_and_later_parts_are_not_sent(route, sim, shop):
    point(route, sim, window_size=1)
    sim.inject_submit_error(0x0B, destination="380671234567", count=1)
    (bad,) = send(shop, "+380671234567", LONG_TEXT)
    (good,) = send(shop, "+380501112233", "Hello")
    with connector(route):
        assert wait_for(all_in([bad], Status.FAILED) and all_in([good], Status.DELIVERED)), statuses([bad, good])
        assert wait_for(lambda: not MessagePart.objects.filter(message_id=bad, status=Status.SUBMITTING).exists())
    m = Message.objects.get(pk=bad)
    assert m.error_code == "smpp_0x0b" and "destination" in m.error_detail.lower()
    assert not [r for r in sim.messages.values() if r.destination == "380671234567"]  # parts 2 and 3 never went
    assert set(MessagePart.objects.filter(message_id=bad).values_list("status", flat=True)) == {Status.FAILED}
    assert balance(shop) == Decimal("2000") - Decimal("0.85")  # the good one only


def test_two_binds_never_send_the_same_part(route, sim, shop):
    point(route, sim, binds=2, window_size=10)
    ids = []
    for k in range(30):
        ids += send(shop, phones(10, 1000001 + k * 100), "Sale! -20% today only" if k % 2 else LONG_TEXT)
    with connector(route) as c:
        assert wait_for(all_in(ids, Status.DELIVERED), timeout=40), statuses(ids)
        assert len(c.binds) == 2 and all(b.stats["submitted"] > 0 for b in c.binds)
    per_part = submits_per_part(sim)
    assert len(per_part) == MessagePart.objects.filter(message_id__in=ids).count() == 15 * 10 + 15 * 10 * 3
    assert set(per_part.values()) == {1}
    assert sim.stats["binds"] == 2


def test_r_msg_04_hex_submit_ids_match_decimal_receipt_ids(route, make_sim, shop):
    sim = make_sim(id_format="hex", receipt_id_format="decimal", receipt_tlvs=False)
    point(route, sim, receipt_id_format=Route.IdFormat.HEX)
    ids = send(shop, phones(5))
    with connector(route):
        assert wait_for(all_in(ids, Status.DELIVERED)), statuses(ids)
    receipt = ReceiptInbox.objects.first()
    record = sim.messages[next(iter(sim.messages))]
    assert f"id:{int(record.message_id, 16)} " in receipt.raw  # the receipt said it in decimal
    assert set(MessagePart.objects.filter(message_id__in=ids).values_list("smsc_message_id", flat=True)) == {
        format(int(r.message_id, 16), "x") for r in sim.messages.values()}


def test_r_msg_04_without_normalization_decimal_receipts_would_not_match(route, make_sim, shop):
    sim = make_sim(id_format="hex", receipt_id_format="decimal", receipt_tlvs=False)
    point(route, sim)  # as_is: the control case of the test above
    ids = send(shop, phones(3))
    with connector(route):
        assert wait_for(lambda: ReceiptInbox.objects.count() == 3)
        receipts_apply()
    assert statuses(ids) == {Status.SUBMITTED: 3}


def test_r_msg_04_query_sm_settles_a_part_whose_receipt_does_not_come(route, make_sim, shop):
    sim = make_sim(receipt_delay=3600)
    point(route, sim)
    (mid,) = send(shop, "+380671234567")
    with connector(route, query_interval=0.1) as c:
        assert wait_for(all_in([mid], Status.SUBMITTED))
        record = next(iter(sim.messages.values()))
        record.due = time.monotonic() - 1  # the SMSC knows it is delivered; its receipt is an hour away
        MessagePart.objects.filter(message_id=mid).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        assert wait_for(all_in([mid], Status.DELIVERED)), statuses([mid])
        assert c.stats["queries"] >= 1 and sim.stats["query_sm"] >= 1
    part = MessagePart.objects.get(message_id=mid)
    assert part.next_attempt_at is None
    assert ReceiptInbox.objects.get().raw.startswith("query_sm_resp")


def test_r_msg_04_submitted_parts_are_scheduled_for_polling(route, make_sim, shop):
    sim = make_sim(receipt_delay=3600)
    point(route, sim)
    (mid,) = send(shop, "+380671234567")
    with connector(route, query_interval=0.05) as c:
        assert wait_for(all_in([mid], Status.SUBMITTED))
        checks = c.stats["query_checks"]
        assert wait_for(lambda: c.stats["query_checks"] >= checks + 3)  # several rounds: nothing is due yet
    part = MessagePart.objects.get(message_id=mid)
    assert part.next_attempt_at - part.submitted_at == timedelta(minutes=10)
    assert sim.stats["query_sm"] == 0


# --- receiving -------------------------------------------------------------------------------------


@pytest.mark.parametrize("bind_mode", [Route.BindMode.TRANSCEIVER, Route.BindMode.TRANSMITTER_RECEIVER])
def test_r_cmp_05_inbound_sms_stored_for_the_sender_owner_and_stop_recorded(route, sim, shop, bind_mode):
    point(route, sim, bind_mode=bind_mode)
    with connector(route):
        assert wait_for(lambda: sim.stats["bound"] == (2 if bind_mode == "tx_rx" else 1))
        sim.inject_mo(source="380671112233", destination="testshop", text=" Стоп! ")
        sim.inject_mo(source="380671112244", destination="TESTSHOP", text="stop")
        sim.inject_mo(source="380671112255", destination="TestShop", text="Please stop sending me offers")
        sim.inject_mo(source="380671112266", destination="Unknown", text="STOP")
        assert wait_for(lambda: InboundMessage.objects.count() == 4)
        assert wait_for(lambda: sim.stats["mo_acked"] == 4)
    by_source = {m.source: m for m in InboundMessage.objects.all()}
    assert by_source["+380671112233"].client == shop and by_source["+380671112233"].text == " Стоп! "
    assert by_source["+380671112266"].client is None
    assert set(OptOut.objects.filter(client=shop).values_list("phone", "source")) == {
        ("+380671112233", "reply"), ("+380671112244", "reply")}
    if bind_mode == "tx_rx":
        ids = send(shop, phones(3))
        with connector(route):
            assert wait_for(all_in(ids, Status.DELIVERED)), statuses(ids)


def test_r_cmp_05_long_inbound_sms_in_parts_is_stored_joined_once(route, sim, shop):
    """A reply longer than one SMS arrives as concatenated parts (out of order, one of them
    twice): one inbound message with the whole text; every part acknowledged once stored."""
    point(route, sim)
    text = "Дякую за нагадування! Я заберу замовлення завтра після обіду, якщо можна. Гарного дня!"
    halves = [text[:40], text[40:]]

    def part(seq):
        return bytes((5, 0x00, 3, 0x2A, 2, seq)) + halves[seq - 1].encode("utf-16-be")

    with connector(route):
        assert wait_for(lambda: sim.stats["bound"] == 1)
        sim.inject_mo(source="380671112233", destination="TestShop", short_message=part(2), data_coding=8,
                      esm_class=0x40)
        assert wait_for(lambda: sim.stats["mo_acked"] == 1)
        assert not InboundMessage.objects.exists()  # half a message is kept apart, not shown
        sim.inject_mo(source="380671112233", destination="TestShop", short_message=part(2), data_coding=8,
                      esm_class=0x40)  # redelivered
        sim.inject_mo(source="380671112233", destination="TestShop", short_message=part(1), data_coding=8,
                      esm_class=0x40)
        assert wait_for(lambda: InboundMessage.objects.count() == 1)
        assert wait_for(lambda: sim.stats["mo_acked"] == 3)
    message = InboundMessage.objects.get()
    assert message.text == text and message.client == shop and message.source == "+380671112233"


def test_receipts_are_stored_before_they_are_acknowledged(route, make_sim, shop):
    sim = make_sim(redeliver_unacked=True)
    point(route, sim)
    ids = send(shop, phones(10))
    with connector(route):
        assert wait_for(all_in(ids, Status.DELIVERED))
        assert wait_for(lambda: sim.stats["receipts_acked"] == 10)
    assert ReceiptInbox.objects.count() == 10


# --- the link -----------------------------------------------------------------------------------


def test_smsc_initiated_unbind_and_a_dropped_link_reconnect_and_sending_continues(route, sim, shop):
    point(route, sim, enquire_link_interval=1)
    first = send(shop, phones(5))
    with connector(route) as c:
        assert wait_for(all_in(first, Status.DELIVERED))
        assert sim.unbind_all() == 1
        assert wait_for(lambda: sim.stats["binds"] == 2, timeout=10)
        second = send(shop, phones(5, 2000001))
        assert wait_for(all_in(second, Status.DELIVERED)), statuses(second)
        assert sim.disconnect_all() == 1
        assert wait_for(lambda: sim.stats["binds"] == 3, timeout=10)
        third = send(shop, phones(5, 3000001))
        assert wait_for(all_in(third, Status.DELIVERED)), statuses(third)
        assert c.stats["binds"] == 3
    assert set(submits_per_part(sim).values()) == {1}


def test_watchdog_drops_a_hung_smsc_whose_link_stays_open_and_rebinds(route, sim, shop):
    """The SMSC stops answering but keeps the TCP session: no read error ever comes. The
    enquire_link watchdog (no answer within its timeout) drops the link and binds again."""
    point(route, sim, enquire_link_interval=1)
    first = send(shop, phones(3))
    with connector(route) as c:
        assert wait_for(all_in(first, Status.DELIVERED))
        assert sim.freeze_all() == 1
        assert wait_for(lambda: sim.stats["binds"] == 2, timeout=15), sim.stats
        assert sim.stats["frozen_bytes"] > 0  # it did ask (enquire_link) before giving up
        second = send(shop, phones(3, 2000001))
        assert wait_for(all_in(second, Status.DELIVERED)), statuses(second)
        assert c.stats["binds"] == 2


def test_already_bound_refusal_backs_off_and_the_free_bind_still_sends(route, make_sim, shop):
    sim = make_sim(max_binds=1)
    point(route, sim, binds=2)
    ids = send(shop, phones(5))
    with connector(route) as c:
        assert wait_for(all_in(ids, Status.DELIVERED)), statuses(ids)
        assert wait_for(lambda: c.stats["bind_refused"] >= 1)
    assert sim.stats["bind_failures"] >= 1


def test_enquire_link_keeps_a_quiet_link_and_is_answered(route, sim, shop):
    point(route, sim, enquire_link_interval=1)
    with connector(route):
        assert wait_for(lambda: sim.stats["enquire_link"] >= 2, timeout=6)
        assert sim.stats["binds"] == 1


# --- in doubt (the policy in messaging.smpp.connector) --------------------------------------------


def test_unanswered_submit_is_in_doubt_never_resent_and_settled_by_its_receipt(route, sim, shop):
    point(route, sim)
    sim.drop_submit_responses(destination="380671234567")
    (mid,) = send(shop, "+380671234567", "Ваш код: 4821")
    (other,) = send(shop, "+380501112233", "Hello")
    with connector(route, response_timeout=0.5) as c:
        assert wait_for(lambda: MessagePart.objects.filter(message_id=mid, error_code=IN_DOUBT).exists())
        assert wait_for(all_in([other], Status.DELIVERED))
        assert wait_for(lambda: ReceiptInbox.objects.count() == 2)
        assert c.stats["in_doubt"] == 1
    part = MessagePart.objects.get(message_id=mid)
    assert part.status == Status.SUBMITTING and part.smsc_message_id is None
    assert receipts_apply() == 0  # too early: its submit_sm_resp could still be on its way
    receipts_apply(now=timezone.now() + timedelta(minutes=2))
    part.refresh_from_db()
    record = [r for r in sim.messages.values() if r.destination == "380671234567"]
    assert len(record) == 1  # never resent
    assert part.status == Status.DELIVERED and part.smsc_message_id == record[0].message_id
    assert Message.objects.get(pk=mid).status == Status.DELIVERED


def test_in_doubt_parts_found_at_start_are_counted_and_expire_charged_after_seven_days(route, sim, shop):
    from messaging.services import messages_expire_stale, messages_transition

    point(route, sim)
    (mid,) = send(shop, "+380671234567")
    messages_transition(ids=[mid], new=Status.SUBMITTING)
    MessagePart.objects.create(message_id=mid, seq=1, route=route, status=Status.SUBMITTING,
                               submitted_at=timezone.now())  # written by a connector that died
    with connector(route) as c:
        assert c.in_doubt_at_start == 1
        assert wait_for(lambda: c.stats["claims"] >= 3)  # it looked for work a few times
    assert not sim.messages  # not resent
    part = MessagePart.objects.get(message_id=mid)
    assert part.error_code == IN_DOUBT and part.status == Status.SUBMITTING
    assert messages_expire_stale(now=timezone.now() + timedelta(days=7, minutes=1)) == 1
    part.refresh_from_db()
    m = Message.objects.get(pk=mid)
    assert part.status == Status.EXPIRED and m.status == Status.EXPIRED and m.error_code == IN_DOUBT
    assert balance(shop) == Decimal("2000") - Decimal("0.85")  # charged: it may have been delivered


def test_stopping_gives_back_what_was_claimed_but_not_written(route, make_sim, shop):
    sim = make_sim(tps=5)
    point(route, sim, tps_limit=5, window_size=5)
    ids = send(shop, phones(10))
    with connector(route):
        assert wait_for(lambda: sim.stats["submits"] >= 2)
    assert not MessagePart.objects.filter(message_id__in=ids, status=Status.SUBMITTING).exists()
    given_back = MessagePart.objects.filter(message_id__in=ids, status=Status.QUEUED).count()
    assert given_back > 0  # claimed, not written, given back: sent later, once
    with connector(route):
        assert wait_for(all_in(ids, Status.DELIVERED), timeout=20), statuses(ids)
    assert set(submits_per_part(sim).values()) == {1}


def test_route_tps_limit_holds_across_binds(route, make_sim, shop):
    sim = make_sim(tps=25)  # the SMSC would say "throttled" above 25 per second
    point(route, sim, binds=2, tps_limit=24, window_size=10)
    ids = []
    for k in range(6):
        ids += send(shop, phones(10, 1000001 + k * 100))
    start = time.monotonic()
    with connector(route):
        assert wait_for(all_in(ids, Status.DELIVERED), timeout=30), statuses(ids)
    elapsed = time.monotonic() - start
    assert sim.stats["throttled"] == 0
    assert elapsed >= 60 / 24 - 1.2  # the burst is one second's worth at most
