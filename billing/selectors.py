from decimal import Decimal

from django.db.models import Sum

from accounts.models import Client

from .models import LedgerEntry, Wallet


def wallet_get(*, client: Client) -> Wallet:
    return Wallet.objects.get(client=client)


def ledger_for_client(*, client: Client, limit: int = 100):
    return LedgerEntry.objects.filter(wallet__client=client).order_by("-created_at", "-id")[:limit]


def wallet_ledger_sum(*, wallet: Wallet) -> Decimal:
    return wallet.entries.aggregate(s=Sum("amount"))["s"] or Decimal("0")


def wallets_out_of_balance():
    """Wallets whose cached balance differs from the sum of their entries (should be none)."""
    bad = []
    for wallet in Wallet.objects.all().iterator():
        total = wallet_ledger_sum(wallet=wallet)
        if total != wallet.balance.amount:
            bad.append((wallet, total))
    return bad
