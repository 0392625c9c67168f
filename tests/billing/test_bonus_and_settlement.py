"""Registration bonus (R-BILL-05), overdraft (R-BILL-09), re-pricing (R-BILL-10), penalties and
withholding (R-BILL-11), refund on termination (R-BILL-12)."""
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from djmoney.money import Money

from accounts.models import AuditEvent
from billing.exceptions import InsufficientFunds, InvalidAmount, OverdraftOverdue, ReasonRequired
from billing.models import ExchangeRate, LedgerEntry, RepricedMessage, Wallet
from billing.services import (RepriceItem, billing_config_get, overdraft_due_date, reprice_viber_messages,
                              wallet_adjust, wallet_assert_can_spend, wallet_charge, wallet_overdraft_set,
                              wallet_payout, wallet_penalty, wallet_refund, wallet_refundable, wallet_topup,
                              wallet_withhold)
from tests.billing.factories import kyiv, make_tariff
from tests.factories import make_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def bonus_50(db):
    config = billing_config_get()
    config.registration_bonus = Money(Decimal("50"), "UAH")
    config.save()
    return config


def _w(client) -> Wallet:
    return Wallet.objects.get(client=client)


def _charge(client, amount, key):
    with transaction.atomic():
        return wallet_charge(client=client, amount=Decimal(amount), key=key, description="send")


# --- R-BILL-05 -----------------------------------------------------------------------------------

def test_r_bill_05_bonus_credited_once_at_sign_up_and_tracked_apart(bonus_50):
    client = make_client()
    wallet = _w(client)
    assert (wallet.balance.amount, wallet.bonus.amount) == (50, 50)
    entry = LedgerEntry.objects.get(wallet=wallet)
    assert (entry.kind, entry.bonus_delta.amount, entry.idempotency_key) == ("bonus", 50, "registration-bonus")
    from billing.services import wallet_open

    wallet_open(client=client)  # called again (e.g. by another path): no second bonus
    assert LedgerEntry.objects.filter(kind="bonus").count() == 1
    assert AuditEvent.objects.filter(code="billing.bonus.credited", client=client).exists()


def test_r_bill_05_no_bonus_when_configured_zero_or_for_the_system_account():
    from messaging.services import system_client

    client = make_client()
    assert _w(client).bonus.amount == 0 and not LedgerEntry.objects.exists()
    billing_config_get().__class__.objects.update(registration_bonus=Decimal("50"))
    assert _w(system_client()).balance.amount == 0


def test_r_bill_05_bonus_is_spent_first(bonus_50):
    client = make_client()
    wallet_topup(client=client, amount=Decimal("100"), key="pay")
    entry = _charge(client, "30", "c1")
    assert entry.bonus_delta.amount == -30
    _charge(client, "30", "c2")
    wallet = _w(client)
    assert (wallet.balance.amount, wallet.bonus.amount) == (90, 0)


def test_r_bill_05_refund_of_a_charge_returns_its_bonus_part_not_real_money(bonus_50):
    client = make_client()
    wallet_topup(client=client, amount=Decimal("100"), key="pay")
    _charge(client, "60", "c1")  # 50 bonus + 10 own money: balance 90, bonus 0
    wallet_refund(client_id=client.pk, amount=Decimal("55"), key="r1", description="failed", charge_key="c1")
    wallet = _w(client)
    assert (wallet.balance.amount, wallet.bonus.amount) == (145, 50)
    assert wallet_refundable(wallet) == 95  # failed sends never turn the bonus into refundable money
    # Without the charge's key the wallet as a whole decides, the same way (bonus first).
    _charge(client, "60", "c2")  # 50 bonus + 10 own: balance 85, bonus 0
    wallet_refund(client_id=client.pk, amount=Decimal("20"), key="r2", description="failed")
    wallet = _w(client)
    assert (wallet.balance.amount, wallet.bonus.amount) == (105, 20)


def test_r_bill_05_r_bill_12_bonus_is_never_refunded_on_termination(bonus_50):
    client = make_client()
    wallet_topup(client=client, amount=Decimal("100"), key="pay")
    _charge(client, "20", "c1")  # from the bonus
    wallet = _w(client)
    assert (wallet.balance.amount, wallet.bonus.amount, wallet_refundable(wallet)) == (130, 30, 100)
    with pytest.raises(InvalidAmount, match="At most 100.00"):
        wallet_payout(client=client, reference="PP-1", reason="termination", key="p0", amount=Decimal("100.01"))
    entry = wallet_payout(client=client, reference="PP-1", reason="termination request 01.12", key="p1")
    assert entry.kind == "payout" and entry.amount.amount == -100 and entry.bonus_delta.amount == 0
    wallet = _w(client)
    assert (wallet.balance.amount, wallet.bonus.amount) == (0, 0)  # the unspent 30 written off, never paid
    written_off = LedgerEntry.objects.get(wallet=wallet, kind="bonus", amount__lt=0)
    assert written_off.amount.amount == -30 and written_off.related_id == entry.pk
    assert AuditEvent.objects.filter(code="billing.payout.recorded", details__bonus_forfeited="30.0000").exists()


def test_r_bill_12_refundable_excludes_held_money_and_needs_a_reference():
    client = make_client(balance=100)
    from billing.services import wallet_hold

    wallet_hold(client=client, amount=Decimal("40"), key="h", description="campaign")
    assert wallet_refundable(_w(client)) == 60
    with pytest.raises(Exception, match="reference"):
        wallet_payout(client=client, reference="", reason="x", key="p")
    with pytest.raises(ReasonRequired):
        wallet_payout(client=client, reference="PP-2", reason="", key="p")
    wallet_payout(client=client, reference="PP-2", reason="request", key="p", amount=Decimal("10"),
                  forfeit_bonus=False)
    assert _w(client).balance.amount == 90


# --- R-BILL-09 ------------------------------------------------------------------------------------

def test_r_bill_09_overdraft_needs_staff_approval_and_allows_down_to_minus_limit():
    client = make_client(balance=10)
    with pytest.raises(InsufficientFunds):
        _charge(client, "10.01", "c0")
    with pytest.raises(ReasonRequired):
        wallet_overdraft_set(client=client, limit=Decimal("50"), reason="")
    wallet_overdraft_set(client=client, limit=Decimal("50"), reason="signed contract 7/2026")
    _charge(client, "60", "c1")
    wallet = _w(client)
    assert wallet.balance.amount == -50 and wallet.available.amount == 0 and wallet.debt.amount == 50
    with pytest.raises(InsufficientFunds) as exc:
        _charge(client, "0.01", "c2")
    assert "overdraft 50.00" in exc.value.detail
    assert AuditEvent.objects.filter(code="billing.overdraft.set", client=client).exists()


def test_r_bill_09_debt_older_than_ten_days_stops_sending_until_paid():
    client = make_client(balance=10)
    wallet_overdraft_set(client=client, limit=Decimal("100"), reason="approved")
    with time_machine.travel(kyiv("2026-03-01 18:00"), tick=False):
        _charge(client, "30", "debt")  # −20 on March 1: to be repaid by March 11 inclusive
    wallet = _w(client)
    assert overdraft_due_date(wallet).isoformat() == "2026-03-11"
    with time_machine.travel(kyiv("2026-03-11 23:59"), tick=False):
        wallet_assert_can_spend(client)
        _charge(client, "1", "on-day-10")
    with time_machine.travel(kyiv("2026-03-12 00:00"), tick=False):
        with pytest.raises(OverdraftOverdue) as exc:
            wallet_assert_can_spend(client)
        assert (exc.value.code, exc.value.status) == ("overdraft_overdue", 402)
        with pytest.raises(InsufficientFunds):  # the same refusal inside every charge
            _charge(client, "1", "day-11")
        wallet_topup(client=client, amount=Decimal("10"), key="part")  # −11: still the March 1 debt
        with pytest.raises(OverdraftOverdue):
            wallet_assert_can_spend(client)
        wallet_topup(client=client, amount=Decimal("11"), key="rest")  # paid: sending resumes
        wallet_assert_can_spend(client)
        _charge(client, "1", "after")
    assert _w(client).negative_since is not None  # −1 again: a new debt, due in 10 days


# --- R-BILL-11 ------------------------------------------------------------------------------------

def test_r_bill_11_penalty_per_message_with_reason_audited_even_beyond_the_balance():
    client = make_client(balance=150)
    entry = wallet_penalty(client=client, reason="T 3.2.5: prohibited content, 2 messages", key="pen-1", messages=2)
    assert entry.kind == "penalty" and entry.amount.amount == -200  # 100 UAH each (T 6.14)
    wallet = _w(client)
    assert wallet.balance.amount == -50 and wallet.negative_since is not None
    assert "prohibited content" in entry.description
    assert AuditEvent.objects.filter(code="billing.penalty.charged", details__messages=2).exists()
    with pytest.raises(ReasonRequired):
        wallet_penalty(client=client, reason="  ", key="pen-2")
    custom = wallet_penalty(client=client, reason="S 5.5 case", key="pen-3", amount=Decimal("1000"))
    assert custom.amount.amount == -1000


def test_r_bill_11_withholding_takes_what_is_left_once():
    client = make_client(balance=80)
    entry = wallet_withhold(client=client, reason="confirmed phishing (T 6.12)", key="wh-1")
    assert entry.kind == "penalty" and entry.amount.amount == -80 and entry.details["withheld"] is True
    assert _w(client).balance.amount == 0
    assert wallet_withhold(client=client, reason="again", key="wh-2") is None
    assert AuditEvent.objects.filter(code="billing.balance.withheld").count() == 1


def test_staff_adjustment_credit_or_debit_with_reason():
    client = make_client(balance=10)
    wallet_adjust(client=client, amount=Decimal("5.50"), reason="goodwill for outage 12.11", key="adj-1")
    wallet_adjust(client=client, amount=Decimal("-2"), reason="double credit reversed", key="adj-2")
    assert _w(client).balance.amount == Decimal("13.50")
    with pytest.raises(InvalidAmount):
        wallet_adjust(client=client, amount=0, reason="x", key="adj-3")
    assert AuditEvent.objects.filter(code="billing.wallet.adjusted").count() == 2


# --- R-BILL-10 ------------------------------------------------------------------------------------

def test_r_bill_10_transactional_viber_repriced_as_advertising_debits_the_difference_once():
    make_tariff(valid_from=timezone.now() - timedelta(days=10), lines=[
        {"channel": "viber", "message_type": "service", "price": "0.0150"},
        {"channel": "viber", "message_type": "advertising", "price": "0.0190"}])
    ExchangeRate.objects.create(date=timezone.localdate() - timedelta(days=5), rate=Decimal("45.00"))
    client = make_client(balance=1)
    sent = timezone.now() - timedelta(days=2)
    items = [RepriceItem("vb-1", Decimal("0.6750"), sent, rate=Decimal("45.00")),  # 0.015 × 45
             RepriceItem("vb-2", Decimal("0.6750"), sent)]
    entry = reprice_viber_messages(client=client, items=items, reason="Viber report 11/2026: no template match")
    assert entry.kind == "reprice" and entry.amount.amount == Decimal("-0.3600")  # 2 × (0.855 − 0.675)
    assert RepricedMessage.objects.get(message_id="vb-1").repriced.amount == Decimal("0.8550")
    # Again, with one more message: only the new one is debited.
    again = reprice_viber_messages(client=client, items=items + [RepriceItem("vb-3", Decimal("0.6750"), sent)],
                                   reason="same report, resent")
    assert again.amount.amount == Decimal("-0.1800")
    assert reprice_viber_messages(client=client, items=items, reason="third time") is None
    assert _w(client).balance.amount == Decimal("0.4600")
    assert AuditEvent.objects.filter(code="billing.viber.repriced").count() == 2
