"""Reads of the billing app: wallets, statements, invoices, the reconcile check."""
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import DecimalField, Exists, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import Client
from smsportal.kyiv import kyiv_midnight

from .holdrefs import HoldRef, OpenHold
from .models import Invoice, LedgerEntry, RefundRequest, ServiceAct, Wallet

ZERO = Decimal("0")


def wallet_get(*, client: Client) -> Wallet:
    return Wallet.objects.get(client=client)


def ledger_for_client(*, client: Client, limit: int = 100):
    return LedgerEntry.objects.filter(wallet__client=client).order_by("-created_at", "-id")[:limit]


def ledger_entries_for_client(*, client: Client, kinds=None, date_from: date | None = None,
                              date_to: date | None = None) -> QuerySet[LedgerEntry]:
    """The client's statement, newest first; dates are Kyiv days, both inclusive."""
    qs = LedgerEntry.objects.filter(wallet__client=client)
    if kinds:
        qs = qs.filter(kind__in=list(kinds))
    if date_from:
        qs = qs.filter(created_at__gte=kyiv_midnight(date_from))
    if date_to:
        qs = qs.filter(created_at__lt=kyiv_midnight(date_to + timedelta(days=1)))
    return qs.order_by("-created_at", "-id")


def invoices_for_client(*, client: Client) -> QuerySet[Invoice]:
    return Invoice.objects.filter(client=client).order_by("-created_at", "-id")


def invoice_get(*, client: Client, public_id=None, number: str | None = None) -> Invoice | None:
    qs = Invoice.objects.filter(client=client)
    if public_id is not None:
        qs = qs.filter(public_id=public_id)
    if number is not None:
        qs = qs.filter(number=number)
    return qs.first()


def service_acts_for_client(*, client: Client) -> QuerySet[ServiceAct]:
    return ServiceAct.objects.filter(client=client).order_by("-period", "-id")


def service_act_get(*, client: Client, public_id) -> ServiceAct | None:
    return ServiceAct.objects.filter(client=client, public_id=public_id).select_related("client").first()


def wallet_ledger_sum(*, wallet: Wallet) -> Decimal:
    return wallet.entries.aggregate(s=Sum("amount"))["s"] or ZERO


@dataclass
class Mismatch:
    wallet: Wallet
    field: str
    cached: Decimal
    computed: Decimal

    def __repr__(self):
        return f"<wallet {self.wallet.pk} {self.field}: cached {self.cached} != entries {self.computed}>"


def _entries_sum(field: str):
    sub = (LedgerEntry.objects.filter(wallet=OuterRef("pk")).order_by().values("wallet")
           .annotate(s=Sum(field)).values("s"))
    return Coalesce(Subquery(sub, output_field=DecimalField(max_digits=19, decimal_places=4)),
                    Value(ZERO, output_field=DecimalField(max_digits=19, decimal_places=4)))


def wallets_out_of_balance(wallets: QuerySet[Wallet] | None = None) -> list[Mismatch]:
    """Wallets whose cached amounts differ from their entries (should be none): balance = Σ amount,
    bonus = Σ bonus_delta, held = Σ held_delta, and the last entry's balance_after = balance.
    One query for all wallets."""
    last_after = (LedgerEntry.objects.filter(wallet=OuterRef("pk")).order_by("-id")
                  .values("balance_after")[:1])
    qs = (wallets if wallets is not None else Wallet.objects.all()).annotate(
        sum_amount=_entries_sum("amount"), sum_bonus=_entries_sum("bonus_delta"), sum_held=_entries_sum("held_delta"),
        last_after=Subquery(last_after, output_field=DecimalField(max_digits=19, decimal_places=4)))
    bad = []
    for w in qs.iterator():
        checks = [("balance", w.balance.amount, w.sum_amount), ("bonus", w.bonus.amount, w.sum_bonus),
                  ("held", w.held.amount, w.sum_held)]
        if w.last_after is not None:
            checks.append(("balance_after", w.balance.amount, w.last_after))
        bad.extend(Mismatch(w, name, cached, computed) for name, cached, computed in checks if cached != computed)
    return bad


def holds_overdrawn() -> list[LedgerEntry]:
    """Holds whose captures and releases took more than they reserved (should be none)."""
    settled = (LedgerEntry.objects.filter(related=OuterRef("pk")).order_by().values("related")
               .annotate(s=Sum("held_delta")).values("s"))
    money = DecimalField(max_digits=19, decimal_places=4)
    return list(LedgerEntry.objects.filter(kind=LedgerEntry.Kind.HOLD)
                .annotate(settled=Coalesce(Subquery(settled, output_field=money), Value(ZERO, output_field=money)))
                .filter(held_delta__lt=-F("settled")))


def holds_open(*, created_before) -> list[tuple[int, str, Decimal]]:
    """(client id, hold key, what it still reserves) of the holds made before `created_before`
    that still reserve money. Only wallets with something held are looked at."""
    settled = (LedgerEntry.objects.filter(related=OuterRef("pk")).order_by().values("related")
               .annotate(s=Sum("held_delta")).values("s"))
    money = DecimalField(max_digits=19, decimal_places=4)
    rows = (LedgerEntry.objects.filter(kind=LedgerEntry.Kind.HOLD, wallet__held__gt=0, created_at__lt=created_before)
            .annotate(settled=Coalesce(Subquery(settled, output_field=money), Value(ZERO, output_field=money)))
            .filter(held_delta__gt=-F("settled")).order_by("pk")
            .values_list("wallet__client_id", "idempotency_key", "held_delta", "settled"))
    return [(client_id, key, held + settled) for client_id, key, held, settled in rows]


def clients_without_spend_since_topup(*, before) -> QuerySet[Client]:
    """Active, non-system clients whose last top-up (or, with none, sign-up) is older than `before`
    and who used no funds since (no charge or captured hold): the dormant accounts of T 3.3.2."""
    spend = [LedgerEntry.Kind.CHARGE, getattr(LedgerEntry.Kind, "CAPTURE", LedgerEntry.Kind.CHARGE)]
    last_topup = (LedgerEntry.objects.filter(wallet__client=OuterRef("pk"), kind=LedgerEntry.Kind.TOPUP)
                  .order_by("-created_at").values("created_at")[:1])
    # An account that was never topped up counts from its sign-up (3 years unused, S 2.3.5).
    candidates = (Client.objects.filter(status=Client.Status.ACTIVE, is_system=False)
                  .annotate(last_topup=Coalesce(Subquery(last_topup), "created_at")).filter(last_topup__lt=before))
    spent_since = LedgerEntry.objects.filter(wallet__client=OuterRef("pk"), kind__in=spend,
                                             created_at__gte=OuterRef("last_topup"))
    return candidates.annotate(spent=Exists(spent_since)).filter(spent=False)


def holds_open_for_sends(*, created_before) -> list[OpenHold]:
    """The holds of sends and campaigns made before `created_before` that still reserve money
    (holds paying for anything else are left out)."""
    return [OpenHold(client_id, ref, rest) for client_id, key, rest in holds_open(created_before=created_before)
            if (ref := HoldRef.from_key(key)) is not None]


def refund_requests_for_client(*, client: Client):
    return RefundRequest.objects.filter(client=client).order_by("-requested_at")
