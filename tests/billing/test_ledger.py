"""The wallet ledger: append-only entries, idempotent movements, cached balance, no overdraw."""
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from billing.exceptions import InsufficientFunds, InvalidAmount
from billing.models import LedgerEntry, Wallet
from billing.selectors import wallet_ledger_sum
from billing.services import wallet_charge, wallet_refund, wallet_topup
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def test_r_bill_01_every_movement_is_an_entry_and_balance_is_their_sum():
    client = make_client()
    wallet_topup(client=client, amount=Decimal("200"), key="pay-1")
    with transaction.atomic():
        wallet_charge(client=client, amount=Decimal("12.7500"), key="send-1", description="send")
    wallet_refund(client_id=client.pk, amount=Decimal("0.8500"), key="refund-1", description="refund")
    wallet = Wallet.objects.get(client=client)
    assert wallet.balance.amount == Decimal("188.1000")
    assert wallet_ledger_sum(wallet=wallet) == wallet.balance.amount
    kinds = list(wallet.entries.order_by("id").values_list("kind", "amount", "balance_after"))
    assert kinds == [("topup", Decimal("200"), Decimal("200")), ("charge", Decimal("-12.75"), Decimal("187.25")),
                     ("refund", Decimal("0.85"), Decimal("188.10"))]


def test_r_bill_03_topups_are_whole_hryvnias():
    client = make_client()
    for bad in ["10.50", "0", "-5", "0.01"]:
        with pytest.raises(InvalidAmount):
            wallet_topup(client=client, amount=Decimal(bad), key=f"k{bad}")
    assert LedgerEntry.objects.count() == 0


def test_same_key_moves_money_once():
    client = make_client()
    wallet_topup(client=client, amount=Decimal("50"), key="bank-7781")
    wallet_topup(client=client, amount=Decimal("50"), key="bank-7781")
    with transaction.atomic():
        wallet_charge(client=client, amount=Decimal("5"), key="send-x", description="")
        wallet_charge(client=client, amount=Decimal("5"), key="send-x", description="")
    wallet_refund(client_id=client.pk, amount=Decimal("1"), key="r", description="")
    wallet_refund(client_id=client.pk, amount=Decimal("1"), key="r", description="")
    assert Wallet.objects.get(client=client).balance.amount == Decimal("46")
    assert LedgerEntry.objects.count() == 3


def test_r_bill_14_charge_beyond_balance_refused_and_nothing_moves():
    client = make_client(balance=3)
    with pytest.raises(InsufficientFunds) as exc, transaction.atomic():
        wallet_charge(client=client, amount=Decimal("3.0001"), key="big", description="")
    assert exc.value.status == 402 and exc.value.code == "insufficient_funds"
    assert Wallet.objects.get(client=client).balance.amount == Decimal("3")


def test_database_refuses_negative_balance():
    client = make_client(balance=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Wallet.objects.filter(client=client).update(balance=Decimal("-1"))


@pytest.mark.django_db(transaction=True)
def test_r_bill_14_concurrent_charges_never_overdraw(tariff):
    """20 threads race to pay 1 UAH each from a wallet of 7: exactly 7 win."""
    client = make_client(balance=7)
    results = []
    barrier = threading.Barrier(20)

    def attempt(i):
        try:
            barrier.wait()
            with transaction.atomic():
                wallet_charge(client=client, amount=Decimal("1"), key=f"race-{i}", description="race")
            results.append("ok")
        except InsufficientFunds:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 7 and results.count("refused") == 13
    assert Wallet.objects.get(client=client).balance.amount == Decimal("0")
