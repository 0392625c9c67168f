"""The single send's fast path: its queries, the caches it reads (and that every change of what
they hold is seen by the next send), and the short wallet lock."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from billing.exceptions import InsufficientFunds
from billing.models import LedgerEntry, TariffPrice, Wallet
from billing.services import wallet_hold, wallet_overdraft_set, wallet_penalty, wallet_topup
from compliance.models import OptOut
from messaging.models import Message, OperatorPrefix, Route
from messaging.services import message_send
from messaging.status import Status
from senders.models import NationalRegistration, SenderName
from smsportal.db import commit_without_waiting_for_disk, wal_flush
from tests.billing.factories import make_tariff
from tests.factories import RouteFactory, SenderNameFactory, make_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/messages/"
KYIVSTAR = "+380671234567"


def _send(api, recipient=KYIVSTAR, sender="TestShop"):
    return api.post(URL, {"sender": sender, "recipients": [recipient], "text": "Hello"}, format="json")


def _price(api, recipient=KYIVSTAR, sender="TestShop") -> str:
    r = _send(api, recipient, sender)
    assert r.status_code == 201, r.content
    return r.json()["messages"][0]["price"]["amount"]


def test_a_warm_single_send_makes_ten_queries(api, django_assert_num_queries):
    """API key; cache counters; the recipients' messages today (R-CMP-03: the 10-a-day cap needs
    the client's earlier messages to them, which no cache can hold); (savepoint); commit without
    waiting for the disk; client FOR SHARE; INSERT message; NOTIFY; the hold (one statement);
    (release). Content screening, the stop list and the sending hours come from the process's
    caches under the same counters. Before the caches and the one-statement hold a send made 20:
    price list, lines, grace periods, routes, prefixes, sender name, national registrations,
    opt-outs, and the wallet lock, entry lookup, INSERT and UPDATE."""
    assert _send(api).status_code == 201
    with django_assert_num_queries(10):
        assert _send(api, "+380671234568").status_code == 201


def test_r_bill_07_a_new_price_line_is_used_by_the_next_send(api):
    assert _price(api) == "0.85"
    tariff = make_tariff(valid_from=timezone.now() - timedelta(seconds=1), default="0.85",
                         lines=[{"country": "UA", "operator": "kyivstar", "price": "0.70"}])
    assert _price(api, "+380671234568") == "0.70"
    # A queryset update sends no signal: the table's trigger still moves the counter.
    TariffPrice.objects.filter(tariff=tariff).update(price=Decimal("0.60"))
    assert _price(api, "+380671234569") == "0.60"
    TariffPrice.objects.filter(tariff=tariff).delete()
    assert _price(api, "+380671234570") == "0.85"


def test_r_bill_13_a_price_list_coming_into_force_is_used_from_its_date_without_a_change(api, time_machine):
    """The cached lists are chosen by the time of each send: the announced list applies from its
    date, though no row changed in between."""
    now = timezone.now()
    time_machine.move_to(now, tick=False)
    make_tariff(name="Next", valid_from=now + timedelta(days=7), default="0.95")
    assert _price(api) == "0.85"
    time_machine.move_to(now + timedelta(days=7, seconds=1), tick=False)
    assert _price(api, "+380671234568") == "0.95"


def test_a_price_change_rolled_back_leaves_no_trace_in_the_cache(api):
    """The counters come from a sequence: a transaction that changed a price, priced a send with
    it (caching under its own counter) and rolled back cannot hand that counter to the next change."""
    assert _price(api) == "0.85"

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        make_tariff(name="Undone", valid_from=timezone.now() - timedelta(seconds=1), default="0.10")
        assert _price(api, "+380671234568") == "0.10"
        raise Undo
    assert _price(api, "+380671234569") == "0.85"
    make_tariff(name="Real", valid_from=timezone.now() - timedelta(seconds=1), default="0.77")
    assert _price(api, "+380671234570") == "0.77"


def test_a_route_change_is_used_by_the_next_send(api, route):
    _send(api)
    special = RouteFactory(name="kyivstar-direct", prefixes="+38067")
    r = _send(api, "+380671234568")
    assert Message.objects.get(public_id=r.json()["messages"][0]["id"]).route_id == special.pk
    Route.objects.filter(pk=special.pk).update(is_active=False)
    r = _send(api, "+380671234569")
    assert Message.objects.get(public_id=r.json()["messages"][0]["id"]).route_id == route.pk


def test_r_bill_07_an_operator_prefix_change_reprices_the_next_send(api):
    make_tariff(valid_from=timezone.now() - timedelta(seconds=1), default="0.85",
                lines=[{"country": "UA", "operator": "vodafone", "price": "0.50"}])
    assert _price(api) == "0.85"  # Kyivstar by the numbering plan
    OperatorPrefix.objects.create(prefix="+38067123", operator="vodafone")  # ported numbers
    assert _price(api, "+380671234568") == "0.50"


def test_r_snd_a_revoked_sender_name_stops_the_next_send(api):
    assert _send(api).status_code == 201
    SenderName.objects.filter(client=api.account, name="TestShop").update(status=SenderName.Status.REJECTED)
    r = _send(api, "+380671234568")
    assert r.status_code == 400 and r.json()["code"] == "sender_not_approved", r.content


def test_r_bill_07_a_national_registration_reprices_the_next_send(api):
    make_tariff(valid_from=timezone.now() - timedelta(seconds=1), default="1.20", lines=[
        {"country": "UA", "operator": "kyivstar", "sender_class": "national", "price": "0.70"}])
    assert _price(api) == "1.20"
    name = SenderName.objects.get(client=api.account, name="TestShop")
    reg = NationalRegistration.objects.create(sender=name, operator="kyivstar", status="national",
                                              decided_at=timezone.now())
    assert _price(api, "+380671234568") == "0.70"
    reg.delete()
    assert _price(api, "+380671234569") == "1.20"


def test_r_cmp_05_an_opt_out_is_seen_by_the_next_send(api):
    assert _send(api).json()["messages"][0]["status"] == Status.QUEUED
    OptOut.objects.create(client=api.account, phone="+380671234568", source="client")
    r = _send(api, "+380671234568")
    assert r.json()["messages"][0]["status"] == Status.REFUSED, r.content


def test_r_bill_04_a_grace_period_opened_by_a_top_up_prices_the_next_send(api):
    make_tariff(valid_from=timezone.now() - timedelta(seconds=1), default="1.00", steps={1: "1", 2: "1000"},
                lines=[{"step": 1, "country": "UA", "price": "1.00"}, {"step": 2, "country": "UA", "price": "0.90"}])
    assert _price(api) == "1.00"
    wallet_topup(client=api.account, amount=Decimal("1000"), key="grace-topup")
    assert _price(api, "+380671234568") == "0.90"


def test_one_clients_change_keeps_another_clients_cache_right(api, route):
    """Per-client counters: a second client's opt-out does not refuse the first client's send."""
    other = make_client(name="Other", balance=10)
    SenderNameFactory(client=other, name="OtherShop", approved=True)
    assert message_send(client=other, sender="OtherShop", recipients=[KYIVSTAR], text="Hi").messages
    OptOut.objects.create(client=other, phone="+380671234568", source="client")
    assert _send(api, "+380671234568").json()["messages"][0]["status"] == Status.QUEUED
    sent = message_send(client=other, sender="OtherShop", recipients=["+380671234568"], text="Hi").messages
    assert sent[0].status == Status.REFUSED


# --- the hold in one statement ------------------------------------------------------------------

def test_r_bill_14_the_one_statement_hold_writes_what_the_general_path_writes(client_account):
    entry = wallet_hold(client=client_account, amount=Decimal("2.5"), key="k1", description="Send from X: 3 SMS")
    stored = LedgerEntry.objects.get(pk=entry.pk)
    for field in ("public_id", "wallet_id", "kind", "amount", "bonus_delta", "held_delta", "balance_after",
                  "available_after", "idempotency_key", "description", "details", "related_id", "created_by_id"):
        assert getattr(entry, field) == getattr(stored, field), field
    wallet = Wallet.objects.get(client=client_account)
    assert (wallet.balance.amount, wallet.held.amount) == (Decimal("100"), Decimal("2.5"))
    assert stored.available_after.amount == Decimal("97.5")


def test_r_bill_14_a_repeated_hold_key_holds_once(client_account):
    first = wallet_hold(client=client_account, amount=Decimal("1"), key="same", description="d")
    again = wallet_hold(client=client_account, amount=Decimal("1"), key="same", description="d")
    assert again.pk == first.pk
    assert Wallet.objects.get(client=client_account).held.amount == Decimal("1")


def test_r_bill_14_a_hold_beyond_the_available_amount_is_refused_as_before(client_account):
    with pytest.raises(InsufficientFunds) as exc:
        wallet_hold(client=client_account, amount=Decimal("100.01"), key="big", description="d")
    assert "cannot pay 100.01 UAH" in exc.value.detail
    assert Wallet.objects.get(client=client_account).held.amount == 0
    assert not LedgerEntry.objects.filter(idempotency_key="big").exists()


def test_r_bill_09_a_hold_on_a_negative_balance_takes_the_general_path(client_account):
    """A debt (a penalty beyond the balance) within the approved overdraft: the one-statement hold
    leaves it to the general path, which checks the repayment term and the overdraft."""
    wallet_overdraft_set(client=client_account, limit=Decimal("50"), reason="trusted")
    wallet_penalty(client=client_account, reason="spam", key="pen", amount=Decimal("110"))
    entry = wallet_hold(client=client_account, amount=Decimal("5"), key="neg", description="d")
    assert (entry.balance_after.amount, entry.available_after.amount) == (Decimal("-10"), Decimal("35"))
    with pytest.raises(InsufficientFunds):
        wallet_hold(client=client_account, amount=Decimal("35.01"), key="neg2", description="d")


def test_a_send_commits_without_waiting_for_the_disk_and_waits_after(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        commit_without_waiting_for_disk()
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "off"
    assert callbacks == [wal_flush]
    wal_flush()  # runs on its own


# --- the hold and the COMMIT in one round trip (only outside any other transaction) --------------

@pytest.fixture
def committed_account(transactional_db, tariff, route):
    client = make_client(name="Acme LLC", balance=100)
    SenderNameFactory(client=client, name="TestShop", approved=True)
    return client


def _statements(fn):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return result, [q["sql"] for q in ctx.captured_queries]


@pytest.mark.django_db(transaction=True)
def test_r_bill_14_a_send_holds_and_commits_in_one_round_trip(committed_account):
    result, sql = _statements(lambda: message_send(client=committed_account, sender="TestShop",
                                                   recipients=[KYIVSTAR], text="Hello"))
    [hold] = [q for q in sql if "INSERT INTO billing_ledgerentry" in q]
    assert hold.rstrip().endswith("; COMMIT")  # then Django's own COMMIT finds nothing left to do
    assert "pg_logical_emit_message" in sql[-1]  # and the request waits for the disk after it
    [m] = result.messages
    assert Message.objects.get(pk=m.pk).status == Status.QUEUED
    wallet = Wallet.objects.get(client=committed_account)
    assert wallet.held.amount == Decimal("0.85")
    assert LedgerEntry.objects.filter(wallet=wallet, kind="hold", idempotency_key=f"send:{m.batch_id}").count() == 1


@pytest.mark.django_db(transaction=True)
def test_r_bill_14_a_send_the_wallet_cannot_pay_is_refused_and_stores_nothing(committed_account):
    wallet_hold(client=committed_account, amount=Decimal("99.5"), key="most", description="d")
    with pytest.raises(InsufficientFunds):
        message_send(client=committed_account, sender="TestShop", recipients=[KYIVSTAR], text="Hello")
    assert not Message.objects.exists()
    assert Wallet.objects.get(client=committed_account).held.amount == Decimal("99.5")


@pytest.mark.django_db(transaction=True)
def test_r_bill_09_a_send_in_debt_goes_the_general_way_once(committed_account):
    """The one-round-trip hold does not apply to a negative balance: the send is rolled back and
    stored again through the general hold, once."""
    wallet_overdraft_set(client=committed_account, limit=Decimal("50"), reason="trusted")
    wallet_penalty(client=committed_account, reason="spam", key="pen", amount=Decimal("110"))
    result = message_send(client=committed_account, sender="TestShop", recipients=[KYIVSTAR], text="Hello")
    assert Message.objects.filter(client=committed_account).count() == 1
    assert result.messages[0].pk == Message.objects.get().pk
    wallet = Wallet.objects.get(client=committed_account)
    assert (wallet.balance.amount, wallet.held.amount) == (Decimal("-10"), Decimal("0.85"))


def test_r_bill_04_the_balance_reads_the_grace_period_from_the_caches(api, django_assert_max_num_queries):
    """GET /balance/ with two grace periods: the headline prices of each come from the cached
    price list (it made two queries per period and two more for the regular price)."""
    make_tariff(valid_from=timezone.now() - timedelta(seconds=1), default="1.00",
                steps={1: "1", 2: "1000", 3: "5000"},
                lines=[{"step": 1, "country": "UA", "price": "1.00"}, {"step": 2, "country": "UA", "price": "0.90"},
                       {"step": 3, "country": "UA", "price": "0.80"}])
    wallet_topup(client=api.account, amount=Decimal("1000"), key="g2")
    wallet_topup(client=api.account, amount=Decimal("5000"), key="g3")
    api.get("/api/v1/balance/")
    with django_assert_max_num_queries(3):  # API key, cache counters, wallet
        body = api.get("/api/v1/balance/").json()
    assert body["grace_period"]["step"] == 3, body
    assert body["grace_period"]["price_per_segment"]["amount"] == "0.80", body


@pytest.mark.django_db(transaction=True)
def test_r_bill_14_concurrent_sends_of_one_client_each_hold_once(committed_account):
    """Eight threads, five sends each, one wallet: every send is stored with its own hold, none
    is lost or doubled, and the wallet's held amount is their sum (the one-round-trip hold and
    commit under real row-lock contention)."""
    import threading

    from django.db import connections

    errors = []

    def sender(n):
        try:
            for i in range(5):
                message_send(client=committed_account, sender="TestShop", recipients=[f"+38067{n:03d}{i:04d}"],
                             text="Hello")
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    wallet = Wallet.objects.get(client=committed_account)
    assert Message.objects.filter(client=committed_account).count() == 40
    assert LedgerEntry.objects.filter(wallet=wallet, kind="hold").count() == 40
    assert wallet.held.amount == Decimal("0.85") * 40
