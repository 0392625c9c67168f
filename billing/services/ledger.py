"""The wallet ledger: every movement of money is one append-only `LedgerEntry`.

Rules:
- The wallet row is locked (`select_for_update`) before any read-then-write of its cached
  amounts; the cached `balance`, `bonus` and `held` change only in `_post`, in the same
  transaction as the entry that explains them.
- Each entry has an `idempotency_key` unique per wallet: the same payment, charge or refund is
  never applied twice (a repeat returns the first entry).
- `available = balance − held + approved overdraft`; a charge or hold never goes beyond it
  (also a database constraint on the entry). Staff debits (penalties, re-pricing) are owed
  unconditionally and may take the balance below zero: that is debt (R-BILL-09).
- The registration bonus is the provider's money: every debit spends it first, a refund of a
  charge returns it first, a payout never touches it (R-BILL-05, R-BILL-12).
"""
import json
import uuid
from decimal import ROUND_HALF_UP, Decimal

from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext
from djmoney.money import Money

from accounts.models import Client
from accounts.services import audit_record
from smsportal.kyiv import kyiv_date
from smsportal.periods import kyiv_last_day
from smsportal.money import money_text

from ..exceptions import HoldError, InsufficientFunds, InvalidAmount, OverdraftOverdue
from ..holdrefs import HoldRef
from ..models import LedgerEntry, Wallet
from .config import billing_config_get
from .holds import HoldMove, _Entry, _Wallet, entries_write, holds_settle

CURRENCY = "UAH"
ZERO = Decimal("0")
CENT = Decimal("0.01")
Kind = LedgerEntry.Kind


def _uah(amount: Decimal) -> Money:
    return Money(amount, CURRENCY)


def _text(amount: Decimal) -> str:
    return str(amount.quantize(CENT, rounding=ROUND_HALF_UP))


def _locked_wallet(client_id: int) -> Wallet:
    return Wallet.objects.select_for_update().get(client_id=client_id)


def _existing(wallet_id: int, key: str) -> LedgerEntry | None:
    return LedgerEntry.objects.filter(wallet_id=wallet_id, idempotency_key=key).first()


def _bonus_part(wallet: Wallet, debit: Decimal) -> Decimal:
    """How much of a debit the unspent bonus pays (it is spent first)."""
    return min(max(wallet.bonus.amount, ZERO), max(debit, ZERO))


def _post(*, wallet: Wallet, kind: str, key: str, description: str, amount: Decimal = ZERO,
          bonus_delta: Decimal = ZERO, held_delta: Decimal = ZERO, actor=None, related=None,
          details: dict | None = None) -> LedgerEntry:
    """Appends one entry to a wallet already locked by the caller and moves its cached amounts,
    through the ledger's one posting engine (`holds.entries_write`, which batches of hold
    settlements use too). The only place here that writes `balance`, `bonus`, `held` and
    `negative_since`."""
    balance = wallet.balance.amount + amount
    bonus = wallet.bonus.amount + bonus_delta
    held = wallet.held.amount + held_delta
    available = balance - held + wallet.overdraft_limit.amount
    now = timezone.now()
    negative_since = wallet.negative_since
    if balance < 0 and negative_since is None:
        negative_since = now
    elif balance >= 0:
        negative_since = None
    description, details = description[:300], details or {}
    [(entry_id, public_id)] = entries_write(
        [_Entry(wallet.pk, kind, amount, bonus_delta, held_delta, balance, available,
                related.pk if related is not None else None, key, description, details,
                actor.pk if actor is not None else None)],
        [_Wallet(wallet.pk, wallet.client_id, balance, bonus, held, wallet.overdraft_limit.amount, negative_since)],
        now)
    wallet.balance, wallet.bonus, wallet.held = _uah(balance), _uah(bonus), _uah(held)
    wallet.negative_since, wallet.updated_at = negative_since, now
    entry = LedgerEntry(id=entry_id, public_id=public_id, wallet=wallet, kind=kind, amount=_uah(amount),
                        bonus_delta=_uah(bonus_delta), held_delta=_uah(held_delta), balance_after=_uah(balance),
                        available_after=_uah(available), related=related, idempotency_key=key,
                        description=description, details=details, created_by=actor, created_at=now)
    entry._state.adding, entry._state.db = False, "default"
    return entry


# --- opening, money in ------------------------------------------------------------------------

def wallet_open(*, client: Client) -> Wallet:
    """The client's wallet; a new one gets the registration bonus once (R-BILL-05)."""
    wallet, created = Wallet.objects.get_or_create(client=client)
    if created and not client.is_system:
        bonus = billing_config_get().registration_bonus.amount
        if bonus > 0:
            bonus_credit(client=client, amount=bonus)
            wallet.refresh_from_db()
    return wallet


def bonus_credit(*, client: Client, amount: Decimal, key: str = "registration-bonus",
                 description: str = "Registration bonus", actor=None) -> LedgerEntry:
    """Credits provider's money, tracked as bonus: spent first, never refunded. Idempotent."""
    amount = Decimal(amount)
    if amount <= 0:
        raise InvalidAmount(gettext("A bonus is a positive amount."))
    with transaction.atomic():
        wallet = _locked_wallet(client.pk)
        if existing := _existing(wallet.pk, key):
            return existing
        entry = _post(wallet=wallet, kind=Kind.BONUS, amount=amount, bonus_delta=amount, key=key,
                      description=description, actor=actor)
        audit_record(code="billing.bonus.credited", actor=actor, client=client, target=str(wallet.pk),
                     details={"amount": str(amount), "key": key})
    return entry


def wallet_topup(*, client: Client, amount: Decimal, key: str, actor=None, description: str = "") -> LedgerEntry:
    """Credits a payment. Top-ups are whole hryvnias (R-BILL-03). Idempotent by `key`. A top-up
    reaching step 2 or higher of the price list in force opens a grace period (R-BILL-04)."""
    from .grace import grace_period_open  # noqa: PLC0415 (grace prices need the ledger, not the reverse)

    amount = Decimal(amount)
    if amount <= 0 or amount != amount.to_integral_value():
        raise InvalidAmount(gettext("A top-up is a positive whole number of hryvnias, without kopecks."))
    with transaction.atomic():
        wallet = _locked_wallet(client.pk)
        if existing := _existing(wallet.pk, key):
            return existing
        entry = _post(wallet=wallet, kind=Kind.TOPUP, amount=amount, key=key,
                      description=description or "Top-up", actor=actor)
        grace = grace_period_open(wallet=wallet, entry=entry)
        audit_record(code="billing.wallet.topped_up", actor=actor, client=client, target=str(wallet.pk),
                     details={"amount": str(amount), "key": key, "grace_step": grace.step if grace else None})
    return entry


# --- spending ----------------------------------------------------------------------------------

def overdraft_due_date(wallet: Wallet):
    """The last Kyiv day to repay the debt (R-BILL-09: 10 calendar days from the service), or None."""
    if wallet.balance.amount >= 0 or wallet.negative_since is None:
        return None
    return kyiv_last_day(wallet.negative_since, days=billing_config_get().overdraft_repay_days)


def wallet_is_overdue(wallet: Wallet, at=None) -> bool:
    due = overdraft_due_date(wallet)
    return due is not None and kyiv_date(at) > due


def _assert_not_overdue(wallet: Wallet) -> None:
    if wallet_is_overdue(wallet):
        raise OverdraftOverdue(
            gettext("The debt of %(money_text)s UAH was due by %(overdraft_due_date)s; sending is stopped until it "
                    "is paid. Top up your wallet.") % {
                "money_text": money_text(-wallet.balance.amount), "overdraft_due_date": f"{overdraft_due_date(wallet):%d.%m.%Y}"},
            extra={"balance": {"amount": _text(wallet.balance.amount), "currency": CURRENCY},
                   "due": overdraft_due_date(wallet).isoformat()})


def wallet_assert_can_spend(client: Client) -> None:
    """Raises OverdraftOverdue (402, code `overdraft_overdue`) when the client's debt is older than
    the repayment term (R-BILL-09). Messaging may call it before preparing a send; every charge
    and hold checks it again under the wallet lock."""
    wallet = Wallet.objects.filter(client=client).first()
    if wallet is not None:
        _assert_not_overdue(wallet)


def _assert_available(wallet: Wallet, amount: Decimal) -> None:
    available = wallet.available.amount
    if available >= amount:
        return
    required = money_text(amount)
    if wallet.held.amount == 0 and wallet.overdraft_limit.amount == 0:
        detail = (f"The balance {money_text(wallet.balance.amount)} UAH cannot pay {required} UAH for this send. "
                  "Top up your wallet.")
    else:
        detail = (f"The available amount {money_text(available)} UAH (balance {money_text(wallet.balance.amount)}, held "
                  f"{money_text(wallet.held.amount)}, overdraft {money_text(wallet.overdraft_limit.amount)}) cannot pay "
                  f"{required} UAH for this send. Top up your wallet.")
    raise InsufficientFunds(detail, extra={
        "balance": {"amount": _text(wallet.balance.amount), "currency": CURRENCY},
        "available": {"amount": _text(available), "currency": CURRENCY},
        "required": {"amount": str(amount), "currency": CURRENCY}})


def wallet_assert_can_pay(*, client: Client, amount: Decimal) -> None:
    """Raises InsufficientFunds (or OverdraftOverdue) when the wallet cannot pay `amount` now.
    An unlocked read: a cheap early check before a long preparation; the hold decides."""
    wallet = Wallet.objects.filter(client=client).first()
    if wallet is not None:
        _assert_not_overdue(wallet)
        _assert_available(wallet, Decimal(amount))


def wallet_charge(*, client: Client, amount: Decimal, key: str, description: str,
                  details: dict | None = None) -> LedgerEntry:
    """Debits `amount` or raises InsufficientFunds (OverdraftOverdue when the debt is overdue);
    the caller's transaction stores what was paid for. The bonus pays first. May use the approved
    overdraft down to −limit (R-BILL-09, R-BILL-14).

    Must run inside the caller's `transaction.atomic()` so the charge and the messages it pays
    for commit together or not at all.
    """
    amount = Decimal(amount)
    if amount < 0:
        raise InvalidAmount(gettext("A charge cannot be negative."))
    wallet = _locked_wallet(client.pk)
    if existing := _existing(wallet.pk, key):
        return existing
    _assert_not_overdue(wallet)
    _assert_available(wallet, amount)
    return _post(wallet=wallet, kind=Kind.CHARGE, amount=-amount, bonus_delta=-_bonus_part(wallet, amount),
                 key=key, description=description, details=details)


def _bonus_to_restore(wallet: Wallet, amount: Decimal, charge: LedgerEntry | None) -> Decimal:
    """The part of a refund that goes back to the bonus: what the refunded charge took from the
    bonus and no refund returned yet (without the charge: the same over the whole wallet, so
    failed sends never turn bonus into refundable money)."""
    if charge is not None:
        spent = -charge.bonus_delta.amount
        returned = LedgerEntry.objects.filter(related=charge, kind=Kind.REFUND).aggregate(
            s=Sum("bonus_delta"))["s"] or ZERO
    else:
        sums = LedgerEntry.objects.filter(wallet=wallet).aggregate(
            spent=Sum("bonus_delta", filter=Q(kind__in=[Kind.CHARGE, Kind.CAPTURE])),
            returned=Sum("bonus_delta", filter=Q(kind=Kind.REFUND)))
        spent, returned = -(sums["spent"] or ZERO), sums["returned"] or ZERO
    restore = min(amount, max(spent - returned, ZERO))
    # The bonus is part of the balance: it can come back only as far as the balance is positive.
    return max(min(restore, wallet.balance.amount + amount - wallet.bonus.amount), ZERO)


def wallet_refund(*, client_id: int, amount: Decimal, key: str, description: str,
                  charge_key: str | None = None) -> LedgerEntry | None:
    """Credits back what was charged for something not delivered to the operator. Idempotent.
    `charge_key` (the key of the refunded charge) returns its bonus part exactly."""
    amount = Decimal(amount)
    if amount <= 0:
        return None
    with transaction.atomic():
        wallet = _locked_wallet(client_id)
        if existing := _existing(wallet.pk, key):
            return existing
        charge = None
        if charge_key:
            charge = LedgerEntry.objects.filter(wallet=wallet, idempotency_key=charge_key,
                                                kind__in=[Kind.CHARGE, Kind.CAPTURE]).first()
        try:
            with transaction.atomic():
                return _post(wallet=wallet, kind=Kind.REFUND, amount=amount, key=key, description=description,
                             bonus_delta=_bonus_to_restore(wallet, amount, charge), related=charge)
        except IntegrityError:
            wallet.refresh_from_db()
            return _existing(wallet.pk, key)


# --- holds: available → held → captured or released ------------------------------------------

class HoldNotCommitted(Exception):
    """`wallet_hold(then_commit=True)` could not hold and commit in one go: the caller's
    transaction was rolled back, and the caller runs it again without `then_commit`."""


def wallet_hold(*, client: Client, amount: Decimal, key: str, description: str,
                details: dict | None = None, then_commit: bool = False) -> LedgerEntry:
    """Reserves `amount` of the available money for an accepted send (nothing is spent yet).
    Raises InsufficientFunds like a charge. Idempotent by `key`.

    `then_commit`: the hold is the last thing the caller's transaction does. When that
    transaction is the outermost atomic block, the hold and its COMMIT travel in one round trip:
    the wallet row is locked only while the server runs the two back to back, not until this
    thread gets the CPU again to send the COMMIT (under load, milliseconds in which every other
    send of the client waits). If the one-statement hold does not apply, nothing is committed:
    HoldNotCommitted is raised and the caller's transaction rolls back."""
    amount = Decimal(amount)
    if amount <= 0:
        raise InvalidAmount(gettext("A hold is a positive amount."))
    commit = then_commit and len(connection.atomic_blocks) == 1 and not connection.savepoint_ids
    if entry := _hold_pg(client.pk, amount, key, description, details, commit=commit):
        return entry
    with transaction.atomic():
        wallet = _locked_wallet(client.pk)
        if existing := _existing(wallet.pk, key):
            return existing
        _assert_not_overdue(wallet)
        _assert_available(wallet, amount)
        return _post(wallet=wallet, kind=Kind.HOLD, held_delta=amount, key=key, description=description,
                     details=details)


def hold_open(*, client: Client, reference: HoldRef, amount: Decimal, description: str,
              details: dict | None = None, then_commit: bool = False) -> LedgerEntry:
    """Reserves `amount` for the send or campaign `reference` (`wallet_hold`, same errors and
    `then_commit`); what its items' outcomes do with it is `hold_settle`'s decision."""
    return wallet_hold(client=client, amount=amount, key=reference.key, description=description, details=details,
                       then_commit=then_commit)


# The usual hold in one statement (PostgreSQL): the wallet row is locked by this UPDATE, so a send
# keeps it from here to its commit only (one round trip, then COMMIT) instead of from a SELECT …
# FOR UPDATE through five statements. It applies only when nothing can refuse or complicate the
# hold: the balance is not negative (so no debt can be overdue and `negative_since` is unset), the
# available amount pays it, and the key is new; every other case (0 rows) takes `wallet_hold`'s
# general path, which raises the right error or returns the existing entry. The entry's amounts
# are those `_post` computes: balance unchanged, held + amount, available = balance − held + overdraft.
_SQL_HOLD_CTE = (
    f"WITH w AS ("
    f"  UPDATE {Wallet._meta.db_table} AS w SET held = w.held + %(a)s, negative_since = NULL, updated_at = %(now)s"
    f"  WHERE w.client_id = %(c)s AND w.balance >= 0 AND w.balance - w.held - %(a)s + w.overdraft_limit >= 0"
    f"    AND NOT EXISTS (SELECT 1 FROM {LedgerEntry._meta.db_table} AS x WHERE x.wallet_id = w.id"
    f"                    AND x.idempotency_key = %(k)s)"
    f"  RETURNING w.id, w.balance, w.held, w.overdraft_limit"
    f"), e AS ("
    f"  INSERT INTO {LedgerEntry._meta.db_table} (public_id, wallet_id, kind, amount, amount_currency, bonus_delta, "
    f"    bonus_delta_currency, held_delta, held_delta_currency, balance_after, balance_after_currency, "
    f"    available_after, available_after_currency, related_id, idempotency_key, description, details, "
    f"    created_by_id, created_at)"
    f"  SELECT %(u)s, w.id, 'hold', 0, 'UAH', 0, 'UAH', %(a)s, 'UAH', w.balance, 'UAH', "
    f"    w.balance - w.held + w.overdraft_limit, 'UAH', NULL, %(k)s, %(d)s, %(j)s, NULL, %(now)s FROM w"
    f"  ON CONFLICT (wallet_id, idempotency_key) DO NOTHING RETURNING id"
    f") ")
_SQL_HOLD = _SQL_HOLD_CTE + "SELECT w.id, w.balance, w.held, w.overdraft_limit, (SELECT id FROM e) FROM w"
# With the COMMIT in the same round trip: a hold that does not apply must stop the COMMIT, so the
# statement fails (a cast error naming the reason), and the server skips the rest of the query.
_HOLD_NOT_APPLIED = "smsportal: the hold takes the general path"
_SQL_HOLD_COMMIT = (
    _SQL_HOLD_CTE + f"SELECT w.id, w.balance, w.held, w.overdraft_limit, e.id, "
    f"(CASE WHEN e.id IS NULL THEN '{_HOLD_NOT_APPLIED}' END)::int "
    f"FROM (SELECT 1) AS one LEFT JOIN w ON true LEFT JOIN e ON true; COMMIT")


def _hold_pg(client_id: int, amount: Decimal, key: str, description: str, details, *,
             commit: bool = False) -> LedgerEntry | None:
    """The hold as one statement, or None when the general path must decide (see `_SQL_HOLD`).
    `commit`: with the COMMIT of the caller's (outermost) transaction in the same round trip."""
    now, public_id, description = timezone.now(), uuid.uuid4(), description[:300]
    params = {"a": amount, "now": now, "c": client_id, "k": key, "u": public_id, "d": description,
              "j": json.dumps(details or {})}
    if commit:
        with connection.cursor() as cursor:
            try:
                # Two statements in one simple query (Django's client-side binding cursor).
                cursor.execute(_SQL_HOLD_COMMIT, params)
            except DataError as exc:
                if _HOLD_NOT_APPLIED in str(exc):
                    raise HoldNotCommitted() from None
                raise
            wallet_id, balance, held, overdraft, entry_id, _ = cursor.fetchone()
        return _hold_entry(entry_id, public_id, wallet_id, amount, balance, held, overdraft, key, description,
                           details, now)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(_SQL_HOLD, params)
        row = cursor.fetchone()
        if row is None:
            return None
        wallet_id, balance, held, overdraft, entry_id = row
        if entry_id is None:
            # The same key was inserted by a transaction that committed after this statement's
            # snapshot: take the amount back (the row is still locked by us) and let the general
            # path return that entry.
            cursor.execute(f"UPDATE {Wallet._meta.db_table} SET held = held - %s WHERE id = %s", [amount, wallet_id])
            return None
    return _hold_entry(entry_id, public_id, wallet_id, amount, balance, held, overdraft, key, description, details,
                       now)


def _hold_entry(entry_id, public_id, wallet_id, amount, balance, held, overdraft, key, description, details,
                now) -> LedgerEntry:
    entry = LedgerEntry(id=entry_id, public_id=public_id, wallet_id=wallet_id, kind=Kind.HOLD, amount=_uah(ZERO),
                        bonus_delta=_uah(ZERO), held_delta=_uah(amount), balance_after=_uah(balance),
                        available_after=_uah(balance - held + overdraft), related=None, idempotency_key=key,
                        description=description, details=details or {}, created_by=None, created_at=now)
    entry._state.adding, entry._state.db = False, "default"
    return entry


def hold_remaining(hold: LedgerEntry) -> Decimal:
    """What a hold still reserves: its amount minus what was captured or released from it."""
    settled = LedgerEntry.objects.filter(related=hold).aggregate(s=Sum("held_delta"))["s"] or ZERO
    return hold.held_delta.amount + settled


def _hold_get(wallet: Wallet, hold_key: str) -> LedgerEntry:
    hold = LedgerEntry.objects.filter(wallet=wallet, idempotency_key=hold_key, kind=Kind.HOLD).first()
    if hold is None:
        raise HoldError(gettext("No hold '%(hold_key)s' on this wallet.") % {"hold_key": hold_key}, code="hold_not_found")
    return hold


def wallet_capture(*, client: Client, hold_key: str, amount: Decimal, key: str,
                   description: str = "") -> LedgerEntry | None:
    """Spends `amount` of a hold (at submit): the balance and the held amount both go down; the
    bonus pays first. Never more than the hold still reserves. Idempotent by `key`. One hold's
    `holds_settle`: the same rules and posting as a batch."""
    amount = Decimal(amount)
    if amount < 0:
        raise InvalidAmount(gettext("A capture cannot be negative."))
    return _hold_move(client, hold_key, Kind.CAPTURE, amount, key, description)


def wallet_release(*, client: Client, hold_key: str, key: str, amount: Decimal | None = None,
                   description: str = "") -> LedgerEntry | None:
    """Gives back (all or `amount` of) what a hold still reserves: refused, failed, expired before
    submit, or cancelled. Idempotent by `key`; nothing left → None."""
    return _hold_move(client, hold_key, Kind.RELEASE, amount, key, description)


def _hold_move(client: Client, hold_key: str, kind: str, amount: Decimal | None, key: str,
               description: str) -> LedgerEntry | None:
    with transaction.atomic():
        wallet = _locked_wallet(client.pk)
        if existing := _existing(wallet.pk, key):
            return existing
        hold = _hold_get(wallet, hold_key)
        remaining = hold_remaining(hold)
        amount = remaining if amount is None else Decimal(amount)
        if amount < 0 or amount > remaining:
            text = (gettext("The hold '%(hold_key)s' reserves %(reserved)s UAH, less than %(amount)s UAH.")
                    if kind == Kind.CAPTURE else
                    gettext("The hold '%(hold_key)s' reserves %(reserved)s UAH; cannot release %(amount)s UAH."))
            raise HoldError(text % {"hold_key": hold_key, "reserved": money_text(remaining), "amount": money_text(amount)},
                            code="hold_exceeded")
        if amount == 0:
            return None
        if not description:
            description = hold.description if kind == Kind.CAPTURE else f"Released: {hold.description}"
        holds_settle(moves=[HoldMove(client_id=client.pk, kind=kind, source_key=hold_key, amount=amount, key=key,
                                     description=description)])
        return _existing(wallet.pk, key)


# --- the nightly proof that the cache equals the entries -----------------------------------------

def wallets_reconcile() -> int:
    """Recomputes every wallet from its entries, and every hold from its captures and releases;
    each mismatch is logged and audited (staff see `billing.wallet.out_of_balance` and
    `billing.hold.overdrawn` in the audit log). Returns the number of mismatches."""
    import logging  # noqa: PLC0415

    from ..selectors import holds_overdrawn, wallets_out_of_balance  # noqa: PLC0415

    log = logging.getLogger("smsportal.billing")
    bad = wallets_out_of_balance()
    for m in bad:
        log.error("wallet %s out of balance: %s cached %s, entries %s", m.wallet.pk, m.field, m.cached, m.computed)
        audit_record(code="billing.wallet.out_of_balance", client=m.wallet.client, target=str(m.wallet.pk),
                     details={"field": m.field, "cached": str(m.cached), "computed": str(m.computed)})
    overdrawn = holds_overdrawn()
    for hold in overdrawn:
        log.error("hold %s (%s) settled beyond what it reserved", hold.pk, hold.idempotency_key)
        audit_record(code="billing.hold.overdrawn", client=hold.wallet.client, target=hold.idempotency_key,
                     details={"reserved": str(hold.held_delta.amount), "settled": str(-hold.settled)})
    return len(bad) + len(overdrawn)
