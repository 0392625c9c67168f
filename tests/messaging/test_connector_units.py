"""The connector's parts one by one: the TPS limiters, the PDU codec, receipt ids, the error table,
claiming under concurrency, retries and refunds, in-doubt matching, inbound messages."""
import threading
import time
import uuid
from collections import deque
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from compliance.models import OptOut
from compliance.services import opt_out_record
from messaging import segments
from messaging.models import InboundMessage, Message, MessagePart, ReceiptInbox
from messaging.services import (
    inbound_store,
    is_stop_reply,
    message_send,
    messages_expire_ttl,
    messages_transition,
    receipts_apply,
    receipts_store,
)
from messaging.services.dispatch import (
    GENERIC_NACK,
    IN_DOUBT,
    PERMANENT,
    QUERY_SCHEDULE,
    RECEIPT_WINDOW,
    TEMPORARY,
    THROTTLE,
    ClaimedPart,
    connector_flush,
    next_query_at,
    part_payloads,
    parts_claim,
    parts_flag_in_doubt,
    retry_delay,
    smpp_error_kind,
)
from messaging.smpp.connector import parse_sm, smpp_time
from messaging.smpp.receipts import (
    canonical_id,
    raw_source,
    raw_with_source,
    receipt_from_fields,
    receipt_snippet,
    receipt_submit_date,
    snippet_matches,
)
from messaging.smpp.simulator import decode_submit_sm, encode_deliver_sm
from messaging.smpp.throttle import AdaptiveRate, LocalLimiter, RedisLimiter, bucket_shape
from messaging.status import Status
from smsportal.db import wal_flush
from tests.factories import SenderNameFactory


class FakeClock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def max_in_any_second(stamps):
    stamps, window, best = sorted(stamps), deque(), 0
    for t in stamps:
        window.append(t)
        while window[0] <= t - 1.0:
            window.popleft()
        best = max(best, len(window))
    return best


# --- TPS limiters ---------------------------------------------------------------------------------


@pytest.mark.parametrize("tps", [1, 3, 10, 24, 100, 1000])
def test_local_limiter_never_exceeds_tps_in_any_sliding_second_and_uses_most_of_it(tps):
    clock = FakeClock()
    limiter = LocalLimiter(tps, clock=clock)
    stamps = []
    for _ in range(20_000):  # greedy callers asking every millisecond for up to 7 tokens
        granted, wait = limiter.acquire(7)
        stamps += [clock.t] * granted
        assert granted == 7 or wait > 0
        clock.t += 0.001
    assert max_in_any_second(stamps) <= tps
    assert len(stamps) >= 0.85 * tps * 20


def test_local_limiter_says_how_long_to_wait():
    clock = FakeClock()
    limiter = LocalLimiter(10, clock=clock)
    burst, rate = bucket_shape(10)
    assert limiter.acquire(100) == (int(burst), pytest.approx(1 / rate))
    clock.t += 1 / rate
    assert limiter.acquire(1)[0] == 1


def test_local_limiter_is_shared_by_threads():
    limiter = LocalLimiter(200)
    stamps, lock = [], threading.Lock()

    def bind():
        end = time.monotonic() + 1.2
        while time.monotonic() < end:
            granted, wait = limiter.acquire(5)
            with lock:
                stamps.extend([time.monotonic()] * granted)
            time.sleep(min(wait, 0.005) if not granted else 0)

    threads = [threading.Thread(target=bind) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert max_in_any_second(stamps) <= 200 + 1  # +1: stamps are taken just after the grant


def test_redis_limiter_is_one_bucket_for_every_process():
    key = f"smsportal:test:tps:{uuid.uuid4().hex}"
    a = RedisLimiter(20, key=key, url="redis://127.0.0.1:6379/14")
    b = RedisLimiter(20, key=key, url="redis://127.0.0.1:6379/14")
    try:
        granted, end = 0, time.monotonic() + 1.5
        stamps = []
        while time.monotonic() < end:
            for limiter in (a, b):
                g, _wait = limiter.acquire(3)
                granted += g
                stamps += [time.monotonic()] * g
            time.sleep(0.002)
        burst, rate = bucket_shape(20)
        assert granted <= burst + rate * 1.6  # what one bucket allows in 1.5 s, not two
        assert granted >= 0.8 * rate * 1.5
        assert max_in_any_second(stamps) <= 20 + 1
    finally:
        a.redis.delete(key)


def test_redis_limiter_falls_back_to_memory_when_redis_is_down():
    limiter = RedisLimiter(50, key="smsportal:test:down", url="redis://127.0.0.1:1/0")
    granted, _wait = limiter.acquire(3)
    assert granted == 2  # the in-memory bucket's burst for 50 tps
    assert limiter.down_until > time.monotonic()


def test_adaptive_rate_backs_off_on_throttling_and_recovers():
    clock = FakeClock()
    rate = AdaptiveRate(clock=clock)
    assert rate.acquire(50) == (50, 0.0)  # no cap of its own until throttled
    for _ in range(100):  # 100 accepted in the last second
        rate.accepted()
        clock.t += 0.01
    rate.accepted()
    rate.throttled()
    assert rate.rate is not None and rate.rate <= 100 * 0.7 + 1
    cut = rate.rate
    clock.t += 0.05
    rate.throttled()
    assert rate.rate == cut  # one cut per burst of throttle answers
    for _ in range(400):  # quiet seconds: it grows back, then lets go
        rate.accepted()
        clock.t += 0.05
    assert rate.rate is None or rate.rate > cut


# --- codec -------------------------------------------------------------------------------------------


def test_submit_body_round_trips_through_the_simulators_decoder(route):
    from messaging.smpp.connector import _Bind

    bind = _Bind.__new__(_Bind)
    bind.route = route
    bind.sources = {}
    until = datetime(2026, 11, 24, 12, 30, 5, tzinfo=dt_timezone.utc)
    payload = segments.submit_payloads("Привіт! " * 20, ref=7)[1]
    body = bind._submit_body(ClaimedPart(1, 2, 2, "TestShop", "+380671234567", payload, until))
    (src_ton, src_npi, src, dst_ton, dst_npi, dst, esm_class, _pid, registered, dc, sm, tlvs) = decode_submit_sm(body)
    assert (src_ton, src_npi, src) == (5, 0, b"TestShop") and (dst_ton, dst_npi, dst) == (1, 1, b"380671234567")
    assert esm_class == 0x40 and registered == 1 and dc == 8 and sm == payload.short_message and tlvs is None
    assert smpp_time(until) in body and smpp_time(until) == b"261124123005000+"
    numeric = bind._submit_body(ClaimedPart(1, 2, 1, "+380441234567", "+380671234567",
                                            segments.PartPayload(0, 0, b"hi"), None))
    assert decode_submit_sm(numeric)[:3] == (1, 1, b"380441234567")
    short = bind._submit_body(ClaimedPart(1, 2, 1, "7500", "+380671234567", segments.PartPayload(0, 0, b"hi"), None))
    assert decode_submit_sm(short)[:3] == (3, 0, b"7500")


@pytest.mark.parametrize("sender, expected", [
    ("TestShop", (5, 0, "TestShop")),  # alphanumeric → TON 5
    ("Shop 24", (5, 0, "Shop 24")),
    ("7500", (3, 0, "7500")),  # a short code
    ("12345678", (3, 0, "12345678")),
    ("380441234567", (1, 1, "380441234567")),  # a phone number
    ("+380441234567", (1, 1, "380441234567")),
    ("+7500", (1, 1, "7500")),  # '+' says it is international whatever its length
])
def test_source_ton_npi_rules_by_sender_kind(route, sender, expected):
    assert route.source_address(sender) == expected


def test_source_ton_npi_rules_are_the_routes(route):
    route.alnum_source_ton, route.alnum_source_npi = 5, 9
    route.short_code_source_ton, route.short_code_source_npi = 0, 1
    route.numeric_source_ton, route.numeric_source_npi = 2, 1
    assert route.source_address("TestShop") == (5, 9, "TestShop")
    assert route.source_address("7500") == (0, 1, "7500")
    assert route.source_address("0441234567") == (2, 1, "0441234567")


def test_deliver_sm_parser_reads_what_the_simulator_writes():
    body = encode_deliver_sm(9, 1, 1, b"380671234567", 5, 0, b"TestShop", 0x04, 0, b"id:1a stat:DELIVRD",
                             b"\x00\x1e\x00\x031a\x00\x04\x27\x00\x01\x02")[16:]
    src_ton, src, dst, esm_class, dc, sm, tlvs = parse_sm(body)
    assert (src_ton, src, dst, esm_class, dc, sm) == (1, b"380671234567", b"TestShop", 0x04, 0, b"id:1a stat:DELIVRD")
    assert tlvs == {0x001E: b"1a\x00", 0x0427: b"\x02"}
    with pytest.raises((ValueError, IndexError)):
        parse_sm(body[:20])


@hsettings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("abcXYZ 019{}[]€£Щїє№😀"), min_size=1, max_size=400),
       ref=st.integers(0, 255))
def test_r_msg_02_cached_part_layout_is_byte_identical_to_submit_payloads(text, ref):
    assert part_payloads(text, ref) == segments.submit_payloads(text, ref)


# --- receipts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value,fmt,from_text,expected", [
    ("1A2F", "hex", False, "1a2f"),
    ("00001a2f", "hex", False, "1a2f"),
    ("6703", "hex", True, "1a2f"),  # decimal in the receipt text
    ("0000006703", "hex", True, "1a2f"),
    ("00001A2F", "hex", True, "1a2f"),  # letters: hex even in the text
    ("abc-123", "hex", False, "abc-123"),  # not a number: as given
    (" 0042 ", "as_is", True, "0042"),
    (b"AbC\x00", "as_is", False, "abc"),
])
def test_r_msg_04_message_ids_have_one_spelling_per_route(value, fmt, from_text, expected):
    assert canonical_id(value, fmt, from_text=from_text) == expected


def test_receipt_fields_prefer_tlvs_and_keep_the_source_address():
    text = b"id:6703 sub:001 dlvrd:001 submit date:2611241200 done date:2611241201 stat:UNDELIV err:001 text:Hi there"
    assert receipt_from_fields(text, b"1A2F", 2, id_format="hex", source_addr="380671234567")[:3] == (
        "1a2f", "DELIVRD", "001")
    sid, stat, err, raw = receipt_from_fields(text, None, None, id_format="hex", source_addr="380671234567")
    assert (sid, stat, err) == ("1a2f", "UNDELIV", "001")
    assert raw_source(raw) == ("380671234567", text.decode())
    assert receipt_snippet(raw_source(raw)[1]) == "Hi there"
    assert receipt_submit_date(text.decode()) == datetime(2026, 11, 24, 12, 0)
    assert receipt_from_fields(b"garbage") is None
    assert raw_source(raw_with_source("x", "")) == ("", "x")


def test_receipt_snippet_matching_allows_question_marks_for_lost_characters():
    assert snippet_matches("??? ???: 4821", "Ваш код: 4821")
    assert snippet_matches("Hello world", "Hello world, and more")
    assert not snippet_matches("Hello there", "Hello world")
    assert not snippet_matches("", "anything")
    assert not snippet_matches("Longer than the text", "Longer")


# --- errors, retries, polling ------------------------------------------------------------------------


def test_smpp_errors_have_one_classification():
    assert smpp_error_kind(0x58) == smpp_error_kind(0x14) == THROTTLE
    assert {smpp_error_kind(s) for s in (0x08, 0x45, 0x64, 0xFE, GENERIC_NACK, 0x400)} == {TEMPORARY}
    assert {smpp_error_kind(s) for s in (0x0A, 0x0B, 0x48, 0x51, 0x62, 0x66)} == {PERMANENT}


def test_retry_delay_is_exponential_jittered_and_capped(settings):
    settings.SMSPORTAL_RETRY_BASE_SECONDS = 10
    settings.SMSPORTAL_RETRY_MAX_SECONDS = 900
    assert 8 <= retry_delay(1) <= 12 and 16 <= retry_delay(2) <= 24 and 32 <= retry_delay(3) <= 48
    assert retry_delay(30) <= 900 * 1.2
    assert len({retry_delay(1) for _ in range(20)}) > 1


def test_r_msg_04_query_schedule():
    t0 = datetime(2026, 1, 1, tzinfo=dt_timezone.utc)
    assert next_query_at(t0, t0) == t0 + QUERY_SCHEDULE[0]
    assert next_query_at(t0, t0 + timedelta(minutes=11)) == t0 + timedelta(hours=1)
    assert next_query_at(t0, t0 + timedelta(hours=7)) == t0 + timedelta(hours=24)
    assert next_query_at(t0, t0 + timedelta(hours=25)) == t0 + timedelta(days=2)
    assert next_query_at(t0, t0 + timedelta(days=6, hours=1)) == t0 + RECEIPT_WINDOW
    assert next_query_at(t0, t0 + timedelta(days=7, minutes=1)) is None


# --- the database side -------------------------------------------------------------------------------


def _queued(client, n, text="Hello", start=1000001):
    ids = []
    while n > 0:
        k = min(n, 10)
        ids += [m.pk for m in message_send(client=client, sender="TestShop", text=text,
                                           recipients=[f"+38067{start + len(ids) + i:07d}" for i in range(k)]).messages]
        n -= k
    return ids


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_never_take_the_same_part(client_account, route):
    from billing.services import wallet_topup

    wallet_topup(client=client_account, amount=Decimal(500), key="more")
    ids = _queued(client_account, 200, text="Two parts: " + "x" * 150)
    claimed, lock = [], threading.Lock()
    barrier = threading.Barrier(4)

    def bind():
        from django.db import connection

        barrier.wait()
        try:
            while got := parts_claim(route_id=route.pk, limit=17):
                with lock:
                    claimed.extend(p.part_id for p in got)
        finally:
            connection.close()

    threads = [threading.Thread(target=bind) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claimed) == len(set(claimed)) == 400
    assert set(Message.objects.filter(pk__in=ids).values_list("status", flat=True)) == {Status.SUBMITTING}
    assert MessagePart.objects.filter(status=Status.SUBMITTING, submitted_at__isnull=False).count() == 400


@pytest.mark.django_db
def test_connector_flush_commits_without_waiting_for_the_disk_in_its_pipelines(client_account, route,
                                                                                 django_capture_on_commit_callbacks):
    """The flush's commit does not keep the wallet rows locked while it reaches the disk, and waits
    for the disk after it (before the bind writes what it claimed); the setting travels with the
    flush's pipelined statements, in no round trip of its own."""
    a, b = _queued(client_account, 2)
    (first,) = parts_claim(route_id=route.pk, limit=1)
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            claimed = connector_flush(route_id=route.pk, submitted=[(first.part_id, a, "abc")], complete=[a],
                                      receipts=[("abc", "DELIVRD", "000", "id:abc stat:DELIVRD")], claim=5,
                                      retries=False)
        assert [p.message_id for p in claimed] == [b]
        # accepted parts, money, receipt, claim and the commit's setting: all pipelined (what is
        # left are reads of rarely changing rows, cached per process)
        assert [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SELECT")] == []
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "off"
    assert callbacks == [wal_flush]
    assert Message.objects.get(pk=a).status == Status.SUBMITTED


@pytest.mark.django_db
def test_claim_expires_messages_whose_lifetime_ended_and_refunds_them(client_account, route):
    (mid,) = _queued(client_account, 1)
    Message.objects.filter(pk=mid).update(valid_until=timezone.now() - timedelta(seconds=1))
    assert parts_claim(route_id=route.pk, limit=10) == []
    m = Message.objects.get(pk=mid)
    assert m.status == Status.EXPIRED and m.error_code == "ttl"
    client_account.wallet.refresh_from_db()
    assert client_account.wallet.balance.amount == Decimal("100")


@pytest.mark.django_db
def test_r_msg_01_expiry_refunds_only_what_never_reached_the_smsc(client_account, route):
    a, b, c = _queued(client_account, 3, text="Two parts: " + "x" * 150)
    parts = {p.message_id: p for p in parts_claim(route_id=route.pk, limit=10) if p.seq == 1}
    connector_flush(route_id=route.pk, submitted=[(parts[b].part_id, b, "abc")],
                    errors=[(parts[a].part_id, a, 0x08)], in_doubt=[parts[c].part_id])
    MessagePart.objects.filter(message_id__in=[a, b, c], seq=2).update(status=Status.QUEUED)
    messages_expire_ttl(ids=[a, b, c])
    statuses = dict(Message.objects.filter(pk__in=[a, b, c]).values_list("pk", "status"))
    assert statuses == {a: Status.EXPIRED, b: Status.EXPIRED, c: Status.EXPIRED}
    entries = client_account.wallet.entries
    released = [m for e in entries.filter(kind="release") for m in e.details["messages"]]
    captured = [m for e in entries.filter(kind="capture") for m in e.details["messages"]]
    assert released == [a] and sorted(captured) == [b, c]  # b was accepted, c may have been
    assert not entries.filter(kind="refund").exists()
    client_account.wallet.refresh_from_db()
    assert client_account.wallet.held.amount == 0


@pytest.mark.django_db
def test_temporary_refusal_queues_a_retry_and_permanent_fails_with_its_siblings(client_account, route, settings):
    settings.SMSPORTAL_RETRY_BASE_SECONDS = 60
    a, b = _queued(client_account, 2, text="Two parts: " + "x" * 150)
    claimed = parts_claim(route_id=route.pk, limit=10)
    first = {p.message_id: p for p in claimed if p.seq == 1}
    connector_flush(route_id=route.pk, errors=[(first[a].part_id, a, 0x08), (first[b].part_id, b, 0x0B)])
    retry = MessagePart.objects.get(pk=first[a].part_id)
    assert retry.status == Status.QUEUED and retry.attempts == 2 and retry.error_code == "smpp_0x08"
    assert timedelta(seconds=45) < retry.next_attempt_at - timezone.now() < timedelta(seconds=75)
    assert Message.objects.get(pk=a).status == Status.SUBMITTING
    assert parts_claim(route_id=route.pk, limit=10) == []  # not due yet
    failed = Message.objects.get(pk=b)
    assert failed.status == Status.FAILED and failed.error_code == "smpp_0x0b"
    MessagePart.objects.filter(pk=first[a].part_id).update(next_attempt_at=timezone.now())
    (again,) = parts_claim(route_id=route.pk, limit=10)
    assert again.part_id == first[a].part_id and again.payload == first[a].payload  # the same bytes


@pytest.mark.django_db
def test_in_doubt_receipt_needs_recipient_text_and_time_to_match(client_account, route):
    a, b = _queued(client_account, 2, text="Your code is 4821")
    pa, pb = sorted(parts_claim(route_id=route.pk, limit=10), key=lambda p: p.message_id)
    parts_flag_in_doubt(part_ids=[pa.part_id, pb.part_id])
    stamp = timezone.now().astimezone(dt_timezone.utc).strftime("%y%m%d%H%M")
    old = (timezone.now() - timedelta(hours=5)).astimezone(dt_timezone.utc).strftime("%y%m%d%H%M")

    def receipt(sid, to, text, date=stamp):
        return (sid, "DELIVRD", "000", raw_with_source(
            f"id:{sid} sub:001 dlvrd:001 submit date:{date} done date:{date} stat:DELIVRD err:000 text:{text}", to))

    receipts_store(route_id=route.pk, receipts=[
        receipt("x1", "380670000099", "Your code is 4821"),  # someone else
        receipt("x2", pa.recipient.lstrip("+"), "Your order shipped"),  # another text
        receipt("x3", pa.recipient.lstrip("+"), "Your code is 4821", date=old),  # another time
        receipt("x4", pb.recipient.lstrip("+"), "Your code is 4821"),  # b's
    ])
    assert receipts_apply() == 0  # too fresh to settle anything in doubt
    assert receipts_apply(now=timezone.now() + timedelta(minutes=2)) == 1
    assert MessagePart.objects.get(pk=pa.part_id).status == Status.SUBMITTING
    settled = MessagePart.objects.get(pk=pb.part_id)
    assert settled.status == Status.DELIVERED and settled.smsc_message_id == "x4" and settled.error_code == ""
    assert Message.objects.get(pk=b).status == Status.DELIVERED
    assert ReceiptInbox.objects.filter(processed_at__isnull=True).count() == 3


@pytest.mark.django_db
def test_r_msg_04_final_status_never_moves_back_and_late_submit_resp_clears_in_doubt(client_account, route):
    (mid,) = _queued(client_account, 1)
    (part,) = parts_claim(route_id=route.pk, limit=10)
    parts_flag_in_doubt(part_ids=[part.part_id])
    connector_flush(route_id=route.pk, submitted=[(part.part_id, mid, "late1")], complete=[mid])
    p = MessagePart.objects.get(pk=part.part_id)
    assert p.status == Status.SUBMITTED and p.error_code == "" and p.smsc_message_id == "late1"
    receipts_store(route_id=route.pk, receipts=[("late1", "DELIVRD", "000", ""), ("late1", "UNDELIV", "001", "")])
    receipts_apply()
    assert Message.objects.get(pk=mid).status == Status.DELIVERED


@pytest.mark.django_db
def test_submitted_twice_with_one_smsc_id_keeps_the_route_unique(client_account, route):
    a, b = _queued(client_account, 2)
    pa, pb = parts_claim(route_id=route.pk, limit=10)
    connector_flush(route_id=route.pk, complete=[a, b],
                    submitted=[(pa.part_id, pa.message_id, "dup"), (pb.part_id, pb.message_id, "dup")])
    ids = set(MessagePart.objects.filter(message_id__in=[a, b]).values_list("smsc_message_id", flat=True))
    assert ids == {"dup", f"dup#{pb.part_id}"}
    assert set(Message.objects.filter(pk__in=[a, b]).values_list("status", flat=True)) == {Status.SUBMITTED}


@pytest.mark.django_db
def test_flagging_in_doubt_by_age_spares_parts_still_in_flight(client_account, route):
    from messaging.services.dispatch import IN_DOUBT_AFTER

    a, b = _queued(client_account, 2)
    pa, pb = parts_claim(route_id=route.pk, limit=10)
    MessagePart.objects.filter(pk=pa.part_id).update(submitted_at=timezone.now() - IN_DOUBT_AFTER - timedelta(1))
    assert parts_flag_in_doubt(older_than=IN_DOUBT_AFTER) == 1
    assert MessagePart.objects.get(pk=pa.part_id).error_code == IN_DOUBT
    assert MessagePart.objects.get(pk=pb.part_id).error_code == ""


# --- inbound -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["STOP", "stop", " Stop. ", "СТОП", "стоп!", "Стоп", "«СТОП»", "stop\n"])
def test_r_cmp_05_stop_replies(text):
    assert is_stop_reply(text)


@pytest.mark.parametrize("text", ["stop please", "don't stop", "STOPS", "", "стопка", "S T O P"])
def test_r_cmp_05_not_stop_replies(text):
    assert not is_stop_reply(text)


@pytest.mark.django_db
def test_r_cmp_05_inbound_store_finds_the_owner_and_records_the_opt_out_once(client_account, route):
    inbound_store(route_id=route.pk, messages=[("+380671112233", "TESTSHOP", "стоп"),
                                              ("380671112233", "testshop", "STOP!"),
                                              ("+380671112244", "nobody", "STOP")])
    assert list(InboundMessage.objects.order_by("id").values_list("client_id", flat=True)) == [
        client_account.pk, client_account.pk, None]
    assert list(OptOut.objects.values_list("client_id", "phone", "source")) == [
        (client_account.pk, "+380671112233", "reply")]
    again = opt_out_record(client=client_account, phone="380671112233", source="client")
    assert again.source == "reply" and OptOut.objects.count() == 1


@pytest.mark.django_db
def test_r_cmp_05_inbound_to_a_number_sender_finds_its_owner_with_or_without_plus(client_account, route):
    SenderNameFactory(client=client_account, name="+380441234567", approved=True)
    SenderNameFactory(client=client_account, name="7500", approved=True)
    inbound_store(route_id=route.pk, messages=[("+380671112233", "380441234567", "hello"),
                                              ("+380671112234", "+380441234567", "hi"),
                                              ("+380671112235", "7500", "СТОП"),
                                              ("+380671112236", "380449999999", "who?")])
    assert list(InboundMessage.objects.order_by("id").values_list("client_id", flat=True)) == [
        client_account.pk, client_account.pk, client_account.pk, None]
    assert list(OptOut.objects.values_list("phone", flat=True)) == ["+380671112235"]


@pytest.mark.django_db
def test_inbound_and_receipts_in_one_flush(client_account, route):
    connector_flush(route_id=route.pk, receipts=[("zz", "DELIVRD", "000", "")],
                    inbound=[("+380671112233", "TestShop", "hi")])
    assert ReceiptInbox.objects.count() == 1 and InboundMessage.objects.count() == 1
    assert messages_transition(ids=[], new=Status.SUBMITTED) == []


@pytest.mark.django_db
def test_flush_stores_accepted_parts_receipts_and_claims_in_one_go(client_account, route, caplog):
    ids = _queued(client_account, 4)
    first = parts_claim(route_id=route.pk, limit=2)
    more = connector_flush(route_id=route.pk, claim=10, receipts=[("r1", "DELIVRD", "000", "")],
                           submitted=[(p.part_id, p.message_id, f"id{p.part_id}") for p in first],
                           complete=[p.message_id for p in first])
    assert sorted(p.message_id for p in more) == ids[2:]
    assert [m.status for m in Message.objects.filter(pk__in=ids).order_by("id")] == [
        Status.SUBMITTED, Status.SUBMITTED, Status.SUBMITTING, Status.SUBMITTING]
    assert {p.smsc_message_id for p in MessagePart.objects.filter(pk__in=[p.part_id for p in first])} == {
        f"id{p.part_id}" for p in first}
    assert ReceiptInbox.objects.count() == 1
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


@pytest.mark.django_db
@pytest.mark.parametrize("stored_segments", [1, 3])
def test_r_msg_02_claim_writes_as_many_parts_as_the_text_needs_even_if_segments_disagrees(client_account, route,
                                                                                         stored_segments):
    (mid,) = _queued(client_account, 1, text="Two parts: " + "x" * 150)
    Message.objects.filter(pk=mid).update(segments=stored_segments)
    claimed = parts_claim(route_id=route.pk, limit=10)
    assert [(p.message_id, p.seq) for p in claimed] == [(mid, 1), (mid, 2)]
    assert sorted(MessagePart.objects.filter(message_id=mid).values_list("seq", "id")) == sorted(
        (p.seq, p.part_id) for p in claimed)


@pytest.mark.django_db
def test_r_cmp_05_long_inbound_parts_join_across_flushes_and_stale_ones_are_kept(client_account, route):
    from messaging.models import InboundPart
    from messaging.services import inbound_parts_flush_stale

    inbound_store(route_id=route.pk, messages=[("+380671112233", "TestShop", "world", (7, 2, 2))])
    assert not InboundMessage.objects.exists() and InboundPart.objects.count() == 1
    inbound_store(route_id=route.pk, messages=[("+380671112233", "TestShop", "hello ", (7, 2, 1)),
                                              ("+380671112244", "TestShop", "a", (7, 3, 1)),
                                              ("+380671112244", "TestShop", "c", (7, 3, 3)),
                                              ("+380671112255", "TestShop", "STOP", None)])
    assert list(InboundMessage.objects.order_by("id").values_list("source", "text")) == [
        ("+380671112255", "STOP"), ("+380671112233", "hello world")]
    assert InboundPart.objects.count() == 2  # the 3-part one still misses its middle
    assert inbound_parts_flush_stale() == 0
    assert inbound_parts_flush_stale(now=timezone.now() + timedelta(hours=25)) == 1
    assert InboundMessage.objects.get(source="+380671112244").text == "a[…]c"
    assert not InboundPart.objects.exists()


def test_sar_tlvs_give_the_concatenation_of_a_long_inbound_sms():
    from messaging.smpp.connector import _sar

    assert _sar({0x020C: b"\x01\x02", 0x020E: b"\x03", 0x020F: b"\x02"}) == (258, 3, 2)
    assert _sar({0x020C: b"\x01"}) is None and _sar({}) is None

