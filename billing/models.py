from decimal import Decimal

from django.db import models
from djmoney.models.fields import MoneyField

from accounts.models import Client

MONEY = {"max_digits": 19, "decimal_places": 4, "default_currency": "UAH"}


class Wallet(models.Model):
    """A client's prepaid account in UAH. `balance` caches the sum of its ledger entries and
    changes only in the same transaction as a new entry, under the row lock."""

    client = models.OneToOneField(Client, on_delete=models.PROTECT, related_name="wallet")
    balance = MoneyField(default=Decimal("0"), **MONEY)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["client_id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(balance__gte=0), name="wallet_balance_not_negative"),
        ]

    def __str__(self):
        return f"Wallet of {self.client}"


class LedgerEntry(models.Model):
    """One movement of money. Append-only: never updated, never deleted."""

    class Kind(models.TextChoices):
        TOPUP = "topup", "Top-up"
        CHARGE = "charge", "Charge"
        REFUND = "refund", "Refund"
        ADJUSTMENT = "adjustment", "Adjustment"

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount = MoneyField(**MONEY)  # signed: credits positive, debits negative
    balance_after = MoneyField(**MONEY)
    idempotency_key = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.UniqueConstraint(fields=["wallet", "idempotency_key"], name="ledger_entry_idempotent"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"


class Tariff(models.Model):
    """A dated price list. The newest one whose `valid_from` has come applies to new messages;
    a message keeps the price it was charged."""

    name = models.CharField(max_length=100)
    valid_from = models.DateTimeField()
    sms_segment_price = MoneyField("price of one SMS segment", **MONEY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-valid_from", "-id"]

    def __str__(self):
        return f"{self.name} (from {self.valid_from:%Y-%m-%d})"
