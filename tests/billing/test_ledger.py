"""The wallet ledger: append-only entries, idempotent movements, cached balance/bonus/held, holds,
no overdraw under concurrency, and the reconcile check (R-BILL-01, R-BILL-03, R-BILL-14)."""
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from djmoney.money import Money

from accounts.models import AuditEvent
from billing.exceptions import HoldError, InsufficientFunds, InvalidAmount
from billing.models import LedgerEntry, Wallet
from billing.selectors import wallet_ledger_sum, wallets_out_of_balance
from billing.services import (hold_remaining, wallet_capture, wallet_charge, wallet_hold, wallet_overdraft_set,
                              wallet_refund, wallet_release, wallet_topup, wallets_reconcile)
from billing.tasks import wallets_reconcile_task
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def _wallet(client) -> Wallet:
    return Wallet.objects.get(client=client)


def test_r_bill_01_every_movement_is_an_entry_and_balance_is_their_sum():
    client = make_client()
    wallet_topup(client=client, amount=Decimal("200"), key="pay-1")
    with transaction.atomic():
        wallet_charge(client=client, amount=Decimal("12.7500"), key="send-1", description="send")
    wallet_refund(client_id=client.pk, amount=Decimal("0.8500"), key="refund-1", description="refund")
    wallet = _wallet(client)
    assert wallet.balance.amount == Decimal("188.1000")
    assert wallet_ledger_sum(wallet=wallet) == wallet.balance.amount
    kinds = list(wallet.entries.order_by("id").values_list("kind", "amount", "balance_after"))
    assert kinds == [("topup", Decimal("200"), Decimal("200")), ("charge", Decimal("-12.75"), Decimal("187.25")),
                     ("refund", Decimal("0.85"), Decimal("188.10"))]
    assert len({e.public_id for e in wallet.entries.all()}) == 3


def test_r_bill_01_entry_kinds_cover_every_movement():
    assert set(LedgerEntry.Kind.values) == {"topup", "bonus", "charge", "refund", "penalty", "adjustment", "reprice",
                                            "payout", "hold", "capture", "release"}


def test_r_bill_03_topups_are_whole_hryvnias():
    client = make_client()
    for bad in ["10.50", "0", "-5", "0.01"]:
        with pytest.raises(InvalidAmount):
            wallet_topup(client=client, amount=Decimal(bad), key=f"k{bad}")
    assert LedgerEntry.objects.count() == 0


def test_r_bill_14_same_key_moves_money_once():
    client = make_client()
    wallet_topup(client=client, amount=Decimal("50"), key="bank-7781")
    wallet_topup(client=client, amount=Decimal("50"), key="bank-7781")
    with transaction.atomic():
        wallet_charge(client=client, amount=Decimal("5"), key="send-x", description="")
        wallet_charge(client=client, amount=Decimal("5"), key="send-x", description="")
    wallet_refund(client_id=client.pk, amount=Decimal("1"), key="r", description="")
    wallet_refund(client_id=client.pk, amount=Decimal("1"), key="r", description="")
    assert _wallet(client).balance.amount == Decimal("46")
    assert LedgerEntry.objects.count() == 3


def test_r_bill_14_charge_beyond_balance_refused_and_nothing_moves():
    client = make_client(balance=3)
    with pytest.raises(InsufficientFunds) as exc, transaction.atomic():
        wallet_charge(client=client, amount=Decimal("3.0001"), key="big", description="")
    assert exc.value.status == 402 and exc.value.code == "insufficient_funds"
    assert "cannot pay" in exc.value.detail
    assert _wallet(client).balance.amount == Decimal("3")


def test_r_bill_14_database_refuses_a_charge_beyond_available():
    client = make_client(balance=1)
    wallet = _wallet(client)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(wallet=wallet, kind="charge", amount=Money(-2, "UAH"),
                                   balance_after=Money(-1, "UAH"), available_after=Money(-1, "UAH"),
                                   idempotency_key="forged")


def test_database_keeps_the_wallet_cache_consistent():
    client = make_client(balance=1)
    for bad in [{"held": Decimal("-1")}, {"bonus": Decimal("-1")}, {"bonus": Decimal("5")},
                {"balance": Decimal("-1")}, {"overdraft_limit": Decimal("-1")}]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Wallet.objects.filter(client=client).update(**bad)


def test_r_bill_01_holds_move_available_to_held_then_captured_or_released():
    client = make_client(balance=100)
    hold = wallet_hold(client=client, amount=Decimal("30"), key="hold:c1", description="campaign c1")
    wallet = _wallet(client)
    assert (wallet.balance.amount, wallet.held.amount, wallet.available.amount) == (100, 30, 70)
    assert hold.amount.amount == 0 and hold.held_delta.amount == 30
    # Available money only: 70 can be held or charged, not 71.
    with pytest.raises(InsufficientFunds), transaction.atomic():
        wallet_charge(client=client, amount=Decimal("71"), key="big", description="")
    wallet_capture(client=client, hold_key="hold:c1", amount=Decimal("20"), key="capture:c1:1")
    wallet_capture(client=client, hold_key="hold:c1", amount=Decimal("20"), key="capture:c1:1")  # repeat: once
    assert hold_remaining(hold) == 10
    with pytest.raises(HoldError):
        wallet_capture(client=client, hold_key="hold:c1", amount=Decimal("10.01"), key="capture:c1:2")
    release = wallet_release(client=client, hold_key="hold:c1", key="release:c1")
    assert release.held_delta.amount == -10 and release.related_id == hold.pk
    assert wallet_release(client=client, hold_key="hold:c1", key="release:c1:again") is None
    wallet = _wallet(client)
    assert (wallet.balance.amount, wallet.held.amount, wallet.available.amount) == (80, 0, 80)
    with pytest.raises(HoldError):
        wallet_release(client=client, hold_key="hold:nope", key="x")


def test_r_bill_14_hold_beyond_available_refused():
    client = make_client(balance=5)
    with pytest.raises(InsufficientFunds):
        wallet_hold(client=client, amount=Decimal("5.01"), key="h", description="")
    assert _wallet(client).held.amount == 0 and not LedgerEntry.objects.filter(kind="hold").exists()


def test_r_bill_01_reconcile_finds_a_tampered_cache_and_the_nightly_task_audits_it():
    good = make_client(name="Good", balance=10)
    bad = make_client(name="Bad", balance=10)
    assert wallets_out_of_balance() == [] and wallets_reconcile() == 0
    Wallet.objects.filter(client=bad).update(balance=Decimal("11"))  # as a bug or a hand edit would
    mismatches = wallets_out_of_balance()
    assert {(m.wallet.client_id, m.field) for m in mismatches} == {(bad.pk, "balance"), (bad.pk, "balance_after")}
    assert wallets_reconcile_task.apply().get() == 2  # run here: .delay() in the test's transaction waits for its commit
    assert AuditEvent.objects.filter(code="billing.wallet.out_of_balance", client=bad).count() == 2
    assert not AuditEvent.objects.filter(code="billing.wallet.out_of_balance", client=good).exists()
    Wallet.objects.filter(client=bad).update(balance=Decimal("10"))  # repair, so the autouse check passes


def test_r_bill_01_reconcile_job_is_declared_for_beat():
    from django.apps import apps as global_apps
    from django_celery_beat.models import PeriodicTask
    import importlib

    migration = importlib.import_module("billing.migrations.0006_reconcile_job")
    migration.create_jobs(global_apps, None)  # idempotent; a transactional test may have flushed the row
    job = PeriodicTask.objects.get(task="billing.reconcile_wallets")
    assert job.enabled and job.crontab.hour == "2" and str(job.crontab.timezone) == "Europe/Kyiv"


def _race(client, n, amount=Decimal("1")):
    results = []
    barrier = threading.Barrier(n)

    def attempt(i):
        try:
            barrier.wait()
            with transaction.atomic():
                wallet_charge(client=client, amount=amount, key=f"race-{i}", description="race")
            results.append("ok")
        except InsufficientFunds:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_r_bill_14_fifty_concurrent_charges_exactly_ten_succeed():
    """50 threads, each on its own PostgreSQL connection, race to pay 1 UAH from a wallet of 10."""
    client = make_client(balance=10)
    results = _race(client, 50)
    assert results.count("ok") == 10 and results.count("refused") == 40
    wallet = _wallet(client)
    assert wallet.balance.amount == 0 and wallet_ledger_sum(wallet=wallet) == 0
    assert LedgerEntry.objects.filter(wallet=wallet, kind="charge").count() == 10


@pytest.mark.django_db(transaction=True)
def test_r_bill_09_concurrent_charges_never_pass_the_overdraft_limit():
    """6 UAH of balance + 4 UAH of approved overdraft: 10 of 20 racing 1-UAH charges win, the
    balance ends at exactly −4."""
    client = make_client(balance=6)
    wallet_overdraft_set(client=client, limit=Decimal("4"), reason="contract 12/2026")
    results = _race(client, 20)
    assert results.count("ok") == 10
    wallet = _wallet(client)
    assert wallet.balance.amount == -4 and wallet.negative_since is not None
    assert min(LedgerEntry.objects.filter(wallet=wallet).values_list("available_after", flat=True)) == 0


def test_r_bill_01_holds_overdrawn_check_catches_a_release_beyond_the_hold():
    from billing.selectors import holds_overdrawn

    client = make_client(balance=10)
    hold = wallet_hold(client=client, amount=Decimal("5"), key="h", description="")
    wallet_release(client=client, hold_key="h", key="r1", amount=Decimal("2"))
    assert holds_overdrawn() == []
    forged = LedgerEntry.objects.create(wallet=hold.wallet, kind="release", amount=Money(0, "UAH"),
                                        held_delta=Money(-4, "UAH"), balance_after=Money(10, "UAH"), related=hold,
                                        idempotency_key="forged")
    assert holds_overdrawn() == [hold]
    assert wallets_reconcile() >= 1  # the nightly job reports it too
    assert AuditEvent.objects.filter(code="billing.hold.overdrawn", target="h").exists()
    forged.delete()  # tests may; the application never deletes an entry
