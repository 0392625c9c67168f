"""Settling holds in batches: what the SMPP connector captures at submit, what the status machine
releases (refused, failed, expired before submit, cancelled) and refunds (pay-for-delivered).

`wallet_capture` / `wallet_release` settle one hold per call; the connector settles hundreds of
messages of several sends in one flush, and receipts settle thousands at once. `holds_settle`
does that in one transaction with a fixed number of queries: every wallet concerned is locked
once, in primary-key order (so two flushes never wait on each other in a cycle), each hold gets
one entry per batch, and each entry has an idempotency key chosen by the caller (from the
messages it settles), so a retried batch never captures, releases or refunds twice.

A send accepted before holds existed was charged outright: its "source" is a charge. Capturing
it is a no-op (it is paid), releasing or refunding it credits it back, as `wallet_refund` did.
"""
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import LedgerEntry, Wallet
from .ledger import ZERO, _uah

log = logging.getLogger("smsportal.billing")
Kind = LedgerEntry.Kind
_MONEY = DecimalField(max_digits=19, decimal_places=4)


@dataclass(frozen=True, slots=True)
class HoldMove:
    """Capture, release or refund `amount` against the hold (or old-style charge) whose
    idempotency key is `source_key`, as one entry with idempotency key `key`."""

    client_id: int
    kind: str
    source_key: str
    amount: Decimal
    key: str
    description: str = ""
    details: dict = field(default_factory=dict)


def _followup_sum(column: str, kinds):
    sub = (LedgerEntry.objects.filter(related=OuterRef("pk"), kind__in=list(kinds)).order_by()
           .values("related").annotate(s=Sum(column)).values("s"))
    return Coalesce(Subquery(sub, output_field=_MONEY), Value(ZERO, output_field=_MONEY))


@dataclass(slots=True)
class _Source:
    entry: LedgerEntry
    held: Decimal  # what a hold still reserves
    paid: Decimal  # what was paid through it (captures of a hold, or the charge itself) ...
    refunded: Decimal  # ... and credited back by refunds
    bonus_paid: Decimal  # the bonus part of `paid` ...
    bonus_returned: Decimal  # ... and of `refunded`


def _lookup(wallet_ids, keys, source_keys, *, refunds: bool) -> tuple[set, dict[tuple[int, str], _Source]]:
    """One query: which move keys were applied already, and the holds and charges named by
    `source_keys` with what their follow-ups settled (what refunds need only when `refunds`)."""
    sums = {"settled": _followup_sum("held_delta", [Kind.CAPTURE, Kind.RELEASE])}
    if refunds:
        sums |= {"captured": _followup_sum("amount", [Kind.CAPTURE]),
                 "bonus_captured": _followup_sum("bonus_delta", [Kind.CAPTURE]),
                 "refunded": _followup_sum("amount", [Kind.REFUND]),
                 "bonus_refunded": _followup_sum("bonus_delta", [Kind.REFUND])}
    rows = LedgerEntry.objects.filter(wallet_id__in=wallet_ids, idempotency_key__in=set(keys) | set(source_keys))
    done, sources = set(), {}
    for e in rows.annotate(**sums):
        if e.idempotency_key in keys:
            done.add((e.wallet_id, e.idempotency_key))
        if e.idempotency_key not in source_keys or e.kind not in (Kind.HOLD, Kind.CHARGE):
            continue
        captured, bonus_captured = getattr(e, "captured", ZERO), getattr(e, "bonus_captured", ZERO)
        refunded, bonus_refunded = getattr(e, "refunded", ZERO), getattr(e, "bonus_refunded", ZERO)
        if e.kind == Kind.HOLD:
            src = _Source(e, e.held_delta.amount + e.settled, -captured, refunded, -bonus_captured, bonus_refunded)
        else:
            src = _Source(e, ZERO, -e.amount.amount, refunded, -e.bonus_delta.amount, bonus_refunded)
        sources[(e.wallet_id, e.idempotency_key)] = src
    return done, sources


def holds_settle(*, moves) -> list[LedgerEntry]:
    """Applies `moves` (HoldMove) in one transaction and returns the entries written.

    - capture: the balance and the held amount go down; the bonus pays first. Never more than
      the hold still reserves (a larger amount is capped and logged: it cannot happen when the
      messages' prices add up to their hold).
    - release: the held amount goes down by at most what the hold still reserves.
    - refund: credits back at most what was paid through the hold and not refunded yet; the
      part of it the bonus paid goes back to the bonus (R-BILL-05: never refundable cash).
    Moves whose key was applied before, or whose amount is zero, do nothing. A move whose source
    is missing is logged and skipped (nothing was reserved or charged for it)."""
    moves = [m for m in moves if m.amount > 0]
    if not moves:
        return []
    # savepoint=False: inside the connector's flush (a hot path) a savepoint costs two round trips
    # and buys nothing: an error here aborts the whole flush anyway.
    with transaction.atomic(savepoint=False):
        wallets = {w.client_id: w for w in Wallet.objects.select_for_update()
                   .filter(client_id__in={m.client_id for m in moves}).order_by("pk")}
        done, sources = _lookup([w.pk for w in wallets.values()], {m.key for m in moves},
                                {m.source_key for m in moves},
                                refunds=any(m.kind != Kind.CAPTURE for m in moves))
        now = timezone.now()
        entries, changed = [], {}
        for m in sorted(moves, key=lambda m: (wallets[m.client_id].pk if m.client_id in wallets else 0, m.key)):
            wallet = wallets.get(m.client_id)
            if wallet is None or (wallet.pk, m.key) in done:
                continue
            done.add((wallet.pk, m.key))
            src = sources.get((wallet.pk, m.source_key))
            if src is None:
                log.warning("%s of %s UAH for client %s: no hold or charge '%s'; skipped", m.kind, m.amount,
                            m.client_id, m.source_key)
                continue
            entry = _move(wallet, src, m)
            if entry is not None:
                entries.append(entry)
                changed[wallet.pk] = wallet
        if entries:
            LedgerEntry.objects.bulk_create(entries)
            for wallet in changed.values():
                if wallet.balance.amount < 0 and wallet.negative_since is None:
                    wallet.negative_since = now
                elif wallet.balance.amount >= 0:
                    wallet.negative_since = None
                wallet.save(update_fields=["balance", "bonus", "held", "negative_since", "updated_at"])
    return entries


def _move(wallet: Wallet, src: _Source, m: HoldMove) -> LedgerEntry | None:
    """The entry for one move, with the wallet's cached amounts (and `src`) moved in memory."""
    is_hold = src.entry.kind == Kind.HOLD
    amount = bonus = held = ZERO
    kind = m.kind
    if kind == Kind.CAPTURE:
        if not is_hold:
            return None  # charged outright at accept: already paid
        take = min(m.amount, src.held)
        if take < m.amount:
            log.error("capture %s: %s UAH asked, hold '%s' reserves only %s", m.key, m.amount, m.source_key, src.held)
        amount, held = -take, -take
        bonus = -min(max(wallet.bonus.amount, ZERO), take)
        src.held -= take
        src.paid += take
        src.bonus_paid -= bonus
    elif kind == Kind.RELEASE and is_hold:
        take = min(m.amount, src.held)
        held = -take
        src.held -= take
    else:  # a refund, or the release of an old-style charge: credit back what was paid
        kind = Kind.REFUND
        take = min(m.amount, src.paid - src.refunded)
        amount = take
        restore = min(take, max(src.bonus_paid - src.bonus_returned, ZERO))
        # The bonus is part of the balance: it can come back only as far as the balance is positive.
        bonus = max(min(restore, wallet.balance.amount + take - wallet.bonus.amount), ZERO)
        src.refunded += take
        src.bonus_returned += bonus
    if take <= 0:
        return None
    balance = wallet.balance.amount + amount
    wallet.balance = _uah(balance)
    wallet.bonus = _uah(wallet.bonus.amount + bonus)
    wallet.held = _uah(wallet.held.amount + held)
    return LedgerEntry(
        wallet=wallet, kind=kind, amount=_uah(amount), bonus_delta=_uah(bonus), held_delta=_uah(held),
        balance_after=_uah(balance), available_after=wallet.available, related=src.entry, idempotency_key=m.key,
        description=_description(m, src.entry)[:300], details=m.details)


def _description(m: HoldMove, source: LedgerEntry) -> str:
    """What the statement says: the move and the send it belongs to ("3 SMS sent: Campaign …")."""
    if m.description and source.description and not m.description.startswith(source.description):
        return f"{m.description}: {source.description}"
    return m.description or source.description

