"""Every write of the billing app: the wallet ledger and prices.

Rules: the wallet row is locked (`select_for_update`) before any read-then-write of its balance;
each movement is one append-only `LedgerEntry` whose `idempotency_key` is unique per wallet, so
the same charge or refund can never be applied twice; the cached balance changes in the same
transaction as its entry.
"""
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from djmoney.money import Money

from accounts.models import Client
from accounts.services import audit_record

from .exceptions import InsufficientFunds, InvalidAmount, NoTariff
from .models import LedgerEntry, Tariff, Wallet

CURRENCY = "UAH"
PRICE_QUANT = Decimal("0.0001")


def wallet_open(*, client: Client) -> Wallet:
    wallet, _ = Wallet.objects.get_or_create(client=client)
    return wallet


def _post(*, wallet: Wallet, kind: str, amount: Decimal, key: str, description: str, actor=None) -> LedgerEntry:
    """Appends one entry to a wallet already locked by the caller and moves the cached balance."""
    new_balance = wallet.balance.amount + amount
    entry = LedgerEntry.objects.create(
        wallet=wallet, kind=kind, amount=Money(amount, CURRENCY), balance_after=Money(new_balance, CURRENCY),
        idempotency_key=key, description=description[:300], created_by=actor,
    )
    wallet.balance = Money(new_balance, CURRENCY)
    wallet.save(update_fields=["balance", "updated_at"])
    return entry


def _locked_wallet(client_id: int) -> Wallet:
    return Wallet.objects.select_for_update().get(client_id=client_id)


def _existing(wallet_id: int, key: str) -> LedgerEntry | None:
    return LedgerEntry.objects.filter(wallet_id=wallet_id, idempotency_key=key).first()


def wallet_topup(*, client: Client, amount: Decimal, key: str, actor=None, description: str = "") -> LedgerEntry:
    """Credits a payment. Top-ups are whole hryvnias (R-BILL-03). Idempotent by `key`."""
    amount = Decimal(amount)
    if amount <= 0 or amount != amount.to_integral_value():
        raise InvalidAmount("A top-up is a positive whole number of hryvnias, without kopecks.")
    with transaction.atomic():
        wallet = _locked_wallet(client.pk)
        if existing := _existing(wallet.pk, key):
            return existing
        entry = _post(wallet=wallet, kind=LedgerEntry.Kind.TOPUP, amount=amount, key=key,
                      description=description or "Top-up", actor=actor)
        audit_record(code="billing.wallet.topped_up", actor=actor, client=client, target=str(wallet.pk),
                     details={"amount": str(amount), "key": key})
    return entry


def wallet_charge(*, client: Client, amount: Decimal, key: str, description: str) -> LedgerEntry:
    """Debits `amount` or raises InsufficientFunds; the caller's transaction stores what was paid for.

    Must run inside the caller's `transaction.atomic()` so the charge and the messages it pays
    for commit together or not at all.
    """
    amount = Decimal(amount)
    if amount < 0:
        raise InvalidAmount("A charge cannot be negative.")
    wallet = _locked_wallet(client.pk)
    if existing := _existing(wallet.pk, key):
        return existing
    if wallet.balance.amount < amount:
        raise InsufficientFunds(
            f"The balance {wallet.balance.amount.quantize(Decimal('0.01'))} UAH cannot pay "
            f"{amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)} UAH for this send. Top up your wallet.",
            extra={"balance": {"amount": str(wallet.balance.amount.quantize(Decimal('0.01'))), "currency": CURRENCY},
                   "required": {"amount": str(amount), "currency": CURRENCY}},
        )
    return _post(wallet=wallet, kind=LedgerEntry.Kind.CHARGE, amount=-amount, key=key, description=description)


def wallet_refund(*, client_id: int, amount: Decimal, key: str, description: str) -> LedgerEntry | None:
    """Credits back what was charged for something not delivered to the operator. Idempotent."""
    amount = Decimal(amount)
    if amount <= 0:
        return None
    with transaction.atomic():
        wallet = _locked_wallet(client_id)
        if existing := _existing(wallet.pk, key):
            return existing
        try:
            with transaction.atomic():
                return _post(wallet=wallet, kind=LedgerEntry.Kind.REFUND, amount=amount, key=key,
                             description=description)
        except IntegrityError:
            return _existing(wallet.pk, key)


def tariff_current(at=None) -> Tariff:
    at = at or timezone.now()
    tariff = Tariff.objects.filter(valid_from__lte=at).order_by("-valid_from", "-id").first()
    if tariff is None:
        raise NoTariff()
    return tariff


def sms_price(*, client: Client, recipient: str, segments: int, tariff: Tariff | None = None) -> Money:
    """The price of one SMS: segments × the segment price in force, exact to 0.0001 UAH."""
    tariff = tariff or tariff_current()
    amount = (tariff.sms_segment_price.amount * segments).quantize(PRICE_QUANT, rounding=ROUND_HALF_UP)
    return Money(amount, CURRENCY)
