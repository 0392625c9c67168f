"""Settling holds in batches: what the SMPP connector captures at submit, what the status machine
releases (refused, failed, expired before submit, cancelled) and refunds (pay-for-delivered).

`wallet_capture` / `wallet_release` settle one hold per call; the connector settles hundreds of
messages of several sends in one flush, and receipts settle thousands at once. `holds_settle`
does that in one transaction with a fixed number of queries: every wallet concerned is locked
once, in primary-key order (so two flushes never wait on each other in a cycle), each hold gets
one entry per batch, and each entry has an idempotency key chosen by the caller (from the
messages it settles), so a retried batch never captures, releases or refunds twice.

The connector's flush is a hot path: the four statements (lock the wallets, look up the holds
and the keys already applied, insert the entries, update the wallets) travel in two pipelined
round trips of plain SQL. The rules are one piece of Python (`_move`).

A send accepted before holds existed was charged outright: its "source" is a charge. Capturing
it is a no-op (it is paid), releasing or refunding it credits it back, as `wallet_refund` did.
"""
import hashlib
import json
import logging
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

import psycopg
from django.db import connection, transaction
from django.utils import timezone

from ..exceptions import HoldShort
from ..holdrefs import HoldRef, OpenHold, Outcome, SettleItem
from ..models import LedgerEntry, Wallet

log = logging.getLogger("smsportal.billing")
Kind = LedgerEntry.Kind
ZERO = Decimal("0")
_ENTRY = LedgerEntry._meta.db_table
_WALLET = Wallet._meta.db_table


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


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A capture refused because its hold reserves less than it asks (`HoldShort`)."""

    move: HoldMove
    reserved: Decimal  # what the hold still reserved when the capture was refused


@dataclass(slots=True)
class _Wallet:
    """The cached amounts of a locked wallet row, moved in memory as entries are made."""

    id: int
    client_id: int
    balance: Decimal
    bonus: Decimal
    held: Decimal
    overdraft: Decimal
    negative_since: object = None
    changed: bool = False


@dataclass(slots=True)
class _Source:
    """A hold (or an old-style charge) and what its follow-ups settled so far."""

    id: int
    kind: str
    description: str
    held: Decimal  # what a hold still reserves
    paid: Decimal  # what was paid through it (captures of a hold, or the charge itself) ...
    refunded: Decimal  # ... and credited back by refunds
    bonus_paid: Decimal  # the bonus part of `paid` ...
    bonus_returned: Decimal  # ... and of `refunded`


@dataclass(slots=True)
class _Entry:
    wallet_id: int
    kind: str
    amount: Decimal
    bonus_delta: Decimal
    held_delta: Decimal
    balance_after: Decimal
    available_after: Decimal
    related_id: int
    key: str
    description: str
    details: dict
    created_by_id: int | None = None


def holds_settle(*, moves) -> int:
    """Applies `moves` (HoldMove) in one transaction; returns how many entries it wrote.

    - capture: the balance and the held amount go down; the bonus pays first. Never more than
      the hold still reserves: a capture that asks more raises `HoldShort` (after this function's
      transaction block ends cleanly, with nothing of the batch written), never a silent cap. It
      cannot happen while the messages' prices add up to their hold; the caller stops the hold
      (`hold_stop`) and settles the rest of the batch again.
    - release: the held amount goes down by at most what the hold still reserves.
    - refund: credits back at most what was paid through the hold and not refunded yet; the
      part of it the bonus paid goes back to the bonus (R-BILL-05: never refundable cash).
    Moves whose key was applied before, or whose amount is zero, do nothing. A move whose source
    is missing is logged and skipped (nothing was reserved or charged for it)."""
    moves = [m for m in moves if m.amount > 0]
    if not moves:
        return 0
    client_ids = sorted({m.client_id for m in moves})
    keys = {m.key for m in moves}
    source_keys = {m.source_key for m in moves}
    refunds = any(m.kind != Kind.CAPTURE for m in moves)
    # savepoint=False: inside the connector's flush a savepoint costs two round trips and buys
    # nothing: an error here aborts the whole flush anyway.
    with transaction.atomic(savepoint=False):
        wallets, done, sources = _load_pg(client_ids, keys, source_keys, refunds=refunds)
        entries, shorts = [], []
        for m in sorted(moves, key=lambda m: (wallets[m.client_id].id if m.client_id in wallets else 0, m.key)):
            wallet = wallets.get(m.client_id)
            if wallet is None or (wallet.id, m.key) in done:
                continue
            done.add((wallet.id, m.key))
            src = sources.get((wallet.id, m.source_key))
            if src is None:
                log.warning("%s of %s UAH for client %s: no hold or charge '%s'; skipped", m.kind, m.amount,
                            m.client_id, m.source_key)
                continue
            if m.kind == Kind.CAPTURE and src.kind == Kind.HOLD and m.amount > src.held:
                shorts.append(Shortfall(m, src.held))
                continue
            entry = _move(wallet, src, m)
            if entry is not None:
                entries.append(entry)
        if entries and not shorts:
            now = timezone.now()
            changed = [w for w in wallets.values() if w.changed]
            for w in changed:
                if w.balance < 0 and w.negative_since is None:
                    w.negative_since = now
                elif w.balance >= 0:
                    w.negative_since = None
            _write_pg(entries, changed, now)
    if shorts:
        # Raised outside the block above: it ends without an error, so the caller's transaction
        # (the connector's flush) stays usable; nothing was written, the wallets stay locked.
        raise HoldShort(shorts)
    return len(entries)


# --- what an outcome means for the money (R-BILL-06, R-BILL-14) ----------------------------------

def _decide(item: SettleItem, unpaid: bool) -> str | None:
    """The move an item's outcome makes, or None. Its money is held until its first outcome;
    `unpaid`: its client pays only for delivered SMS and this domestic one was not (R-BILL-06)."""
    if item.earlier in Outcome.FINAL:
        return None  # settled once already: a late receipt moves no money
    captured = item.earlier == Outcome.REACHED_OPERATOR
    if item.outcome == Outcome.NOT_SENT or (item.outcome == Outcome.NOT_DELIVERED and unpaid):
        return Kind.REFUND if captured else Kind.RELEASE
    return None if captured else Kind.CAPTURE  # reached the operator: paid


def _digest(ids) -> str:
    return hashlib.blake2b(",".join(map(str, sorted(ids))).encode(), digest_size=10).hexdigest()


def _moves_for(items) -> list[HoldMove]:
    """One move per hold and kind of move for `items`, its key made from the items it settles (so
    a retried batch never moves money twice)."""
    items = [i for i in items if i.amount]
    unpaid_clients: set[int] = set()
    if any(i.outcome == Outcome.NOT_DELIVERED and i.domestic for i in items):
        from accounts.models import Client  # noqa: PLC0415 (accounts sits below billing)

        unpaid_clients = set(Client.objects.filter(pk__in={i.client_id for i in items}, pay_for_delivered=True)
                             .values_list("pk", flat=True))
    groups: dict[tuple, list] = {}
    # A connector's flush settles hundreds of items of a few holds: each label and hold key is
    # made once per batch, not once per item.
    labels: dict[tuple, str] = {}
    hold_keys: dict[HoldRef, str] = {}
    for item in items:
        unpaid = item.outcome == Outcome.NOT_DELIVERED and item.domestic and item.client_id in unpaid_clients
        kind = _decide(item, unpaid)
        if kind is None:
            continue
        label = labels.get((kind, item.outcome, item.label))
        if label is None:
            why = " (pays for delivered only)" if item.outcome == Outcome.NOT_DELIVERED else ""
            label = labels[kind, item.outcome, item.label] = (
                "sent" if kind == Kind.CAPTURE else
                f"{item.label or item.outcome}, {'not charged' if kind == Kind.RELEASE else 'refunded'}{why}")
        key = hold_keys.get(item.reference)
        if key is None:
            key = hold_keys[item.reference] = item.reference.key
        group = groups.get((kind, item.client_id, key, label))
        if group is None:
            group = groups[kind, item.client_id, key, label] = [[], ZERO]
        group[0].append(item.item_id)
        group[1] += Decimal(item.amount)
    return [HoldMove(client_id=client_id, kind=kind, source_key=key, amount=total,
                     key=f"{kind}:{key}:{_digest(ids)}", description=f"{len(ids)} SMS {label}",
                     details={"messages": sorted(ids)})
            for (kind, client_id, key, label), (ids, total) in sorted(groups.items(), key=_order)]


def _order(group):
    (kind, client_id, key, label), _ = group
    return (_KIND_ORDER[kind], client_id, key, label)


_KIND_ORDER = {Kind.CAPTURE: 0, Kind.RELEASE: 1, Kind.REFUND: 2}


def hold_settle(*, items) -> int:
    """Settles the money of `items` (SettleItem: each one's outcome) in one transaction, with a
    fixed number of queries however many holds they touch; returns how many entries it wrote.
    Billing alone decides what an outcome costs:

    - reached the operator (or a final outcome straight from held): its share is captured;
    - never sent: released while held, refunded if it was captured;
    - not delivered, for a client who pays only for delivered SMS (R-BILL-06), to a Ukrainian
      number: released while held, refunded if captured; otherwise paid as reached;
    - an item whose earlier outcome was final moves nothing (a late receipt after expiry).

    A capture its hold cannot cover (a bug, never a normal case) is refused (`HoldShort`); the
    outcome stands (the operator did take those items: a connector's flush must neither fail nor
    lose its results over money): the hold is stopped, loudly (`hold_stop`), and the rest of the
    batch settles as usual."""
    moves = _moves_for(items)
    try:
        return holds_settle(moves=moves)
    except HoldShort as exc:
        refused = {s.move.key for s in exc.shorts}
        for shortfall in exc.shorts:
            hold_stop(shortfall=shortfall)
        return holds_settle(moves=[m for m in moves if m.key not in refused])


def hold_stop(*, shortfall: Shortfall) -> Decimal:
    """A hold found short (`HoldShort`): no more is charged on it. What it still reserves is
    released (once per hold), and the shortfall is made loud: a CRITICAL log line and an audit
    event `billing.hold.short` staff see in the admin, with the capture refused, what it asked, what
    the hold reserved and the messages it was for (they reached the operator uncharged: staff
    decide what to bill). Every later capture on the hold asks more than its 0 and comes back
    here, recorded the same way. Returns what was released."""
    from accounts.models import Client  # noqa: PLC0415 (accounts sits below billing)
    from accounts.services import audit_record  # noqa: PLC0415

    m = shortfall.move
    log.critical("hold '%s' of client %s is short: capture %s asks %s UAH, the hold reserves %s; the capture is "
                 "refused and the hold stopped", m.source_key, m.client_id, m.key, m.amount, shortfall.reserved)
    released = ZERO
    with transaction.atomic():
        if shortfall.reserved > 0:
            stop = HoldMove(client_id=m.client_id, kind=Kind.RELEASE, source_key=m.source_key,
                            amount=shortfall.reserved, key=f"hold-stop:{m.source_key}",
                            description="Hold stopped: its captures asked more than it reserved")
            if holds_settle(moves=[stop]):
                released = -LedgerEntry.objects.get(wallet__client_id=m.client_id,
                                                    idempotency_key=stop.key).held_delta.amount
        audit_record(code="billing.hold.short", client=Client.objects.filter(pk=m.client_id).first(),
                     target=m.source_key,
                     details={"capture": m.key, "asked": str(m.amount), "reserved": str(shortfall.reserved),
                              "released": str(released), "uncharged": str(m.amount), **m.details})
    return released


def holds_release_rest(*, holds, reason: str, code: str = "billing.hold.released_stale") -> Decimal:
    """Releases what each hold of `holds` (`OpenHold`, or client id, hold reference or key, amount
    it still reserves) has left,
    audited with `code` and `reason`; returns the total released. For holds nothing will settle
    any more: the caller (who knows what the hold paid for) decides which. Idempotent: one
    release per hold (its key), never more than the hold still reserves when its wallet is locked."""
    from accounts.services import audit_record  # noqa: PLC0415 (accounts sits below billing)

    total = ZERO
    for hold in holds:
        client_id, source_key, rest = (hold.client_id, hold.reference, hold.rest) if isinstance(hold, OpenHold) else hold
        if isinstance(source_key, HoldRef):
            source_key = source_key.key
        key = f"release-rest:{source_key}"
        move = HoldMove(client_id=client_id, kind=Kind.RELEASE, source_key=source_key, amount=Decimal(rest), key=key,
                        description=reason[:200], details={"reason": reason})
        with transaction.atomic():
            if not holds_settle(moves=[move]):
                continue
            entry = LedgerEntry.objects.select_related("wallet__client").get(wallet__client_id=client_id,
                                                                             idempotency_key=key)
            released = -entry.held_delta.amount
            total += released
            audit_record(code=code, client=entry.wallet.client, target=source_key,
                         details={"amount": str(released), "reason": reason, "entry": str(entry.public_id)})
    if total:
        log.warning("released %s UAH left on holds nothing would settle (%s)", total, reason)
    return total


def _move(wallet: _Wallet, src: _Source, m: HoldMove) -> _Entry | None:
    """The entry for one move, with the wallet's cached amounts (and `src`) moved in memory."""
    is_hold = src.kind == Kind.HOLD
    amount = bonus = held = ZERO
    kind = m.kind
    if kind == Kind.CAPTURE:
        if not is_hold:
            return None  # charged outright at accept: already paid
        take = m.amount  # holds_settle refused it beforehand if the hold reserves less
        amount, held = -take, -take
        bonus = -min(max(wallet.bonus, ZERO), take)
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
        bonus = max(min(restore, wallet.balance + take - wallet.bonus), ZERO)
        src.refunded += take
        src.bonus_returned += bonus
    if take <= 0:
        return None
    wallet.balance += amount
    wallet.bonus += bonus
    wallet.held += held
    wallet.changed = True
    return _Entry(wallet.id, kind, amount, bonus, held, wallet.balance,
                  wallet.balance - wallet.held + wallet.overdraft, src.id, m.key, _description(m, src)[:300],
                  m.details)


def _description(m: HoldMove, source: _Source) -> str:
    """What the statement says: the move and the send it belongs to ("3 SMS sent — Campaign …: 3 SMS")."""
    if m.description and source.description and source.description not in m.description:
        return f"{m.description} — {source.description}"
    return m.description or source.description


def _source(kind, description, reserved, amount, bonus_delta, settled, captured, bonus_captured, refunded,
            bonus_refunded, pk) -> _Source:
    if kind == Kind.HOLD:
        return _Source(pk, kind, description, reserved + settled, -captured, refunded, -bonus_captured,
                       bonus_refunded)
    return _Source(pk, kind, description, ZERO, -amount, refunded, -bonus_delta, bonus_refunded)


# --- plain SQL in two pipelined round trips ------------------------------------------------------

_SQL_LOCK = (f"SELECT id, client_id, balance, bonus, held, overdraft_limit, negative_since FROM {_WALLET} "
             f"WHERE client_id = ANY(%s) ORDER BY id FOR UPDATE")
# Runs after the lock (a statement of its own: it sees every settlement committed before it).
_SQL_LOOKUP = (
    f"SELECT e.id, e.wallet_id, e.idempotency_key, e.kind, e.description, e.held_delta, e.amount, e.bonus_delta, "
    f"coalesce(s.settled, 0), coalesce(s.captured, 0), coalesce(s.bonus_captured, 0), coalesce(s.refunded, 0), "
    f"coalesce(s.bonus_refunded, 0) "
    f"FROM {_ENTRY} AS e LEFT JOIN LATERAL ("
    f"  SELECT sum(f.held_delta) FILTER (WHERE f.kind IN ('capture', 'release')) AS settled, "
    f"         sum(f.amount) FILTER (WHERE f.kind = 'capture') AS captured, "
    f"         sum(f.bonus_delta) FILTER (WHERE f.kind = 'capture') AS bonus_captured, "
    f"         sum(f.amount) FILTER (WHERE f.kind = 'refund') AS refunded, "
    f"         sum(f.bonus_delta) FILTER (WHERE f.kind = 'refund') AS bonus_refunded "
    f"  FROM {_ENTRY} AS f WHERE f.related_id = e.id AND e.kind IN ('hold', 'charge')) AS s ON true "
    f"WHERE e.wallet_id IN (SELECT id FROM {_WALLET} WHERE client_id = ANY(%s)) AND e.idempotency_key = ANY(%s)")
_SQL_INSERT = (
    f"INSERT INTO {_ENTRY} (public_id, wallet_id, kind, amount, amount_currency, bonus_delta, bonus_delta_currency, "
    f"held_delta, held_delta_currency, balance_after, balance_after_currency, available_after, "
    f"available_after_currency, related_id, idempotency_key, description, details, created_by_id, created_at) "
    f"SELECT v.u, v.w, v.k, v.a, 'UAH', v.b, 'UAH', v.h, 'UAH', v.ba, 'UAH', v.av, 'UAH', v.r, v.key, v.d, v.j, "
    f"v.c, %s FROM unnest(%s::uuid[], %s::bigint[], %s::text[], %s::numeric[], %s::numeric[], %s::numeric[], "
    f"%s::numeric[], %s::numeric[], %s::bigint[], %s::text[], %s::text[], %s::jsonb[], %s::bigint[]) "
    f"AS v(u, w, k, a, b, h, ba, av, r, key, d, j, c) RETURNING id")
_SQL_WALLETS = (
    f"UPDATE {_WALLET} AS w SET balance = v.b, bonus = v.bo, held = v.h, negative_since = v.n, updated_at = %s "
    f"FROM unnest(%s::bigint[], %s::numeric[], %s::numeric[], %s::numeric[], %s::timestamptz[]) AS v(id, b, bo, h, n) "
    f"WHERE w.id = v.id")


def _load_pg(client_ids, keys, source_keys, *, refunds: bool):
    """(wallets by client, move keys already applied, sources by (wallet, key)): one round trip.
    One pass over each source's follow-ups gives every sum, so `refunds` changes nothing here."""
    connection.ensure_connection()
    conn = connection.connection
    with conn.pipeline():
        lock = psycopg.Cursor(conn)
        lock.execute(_SQL_LOCK, [client_ids])
        lookup = psycopg.Cursor(conn)
        lookup.execute(_SQL_LOOKUP, [client_ids, list(keys | source_keys)])
    wallets = {client_id: _Wallet(pk, client_id, balance, bonus, held, overdraft, negative_since)
               for pk, client_id, balance, bonus, held, overdraft, negative_since in lock.fetchall()}
    done, sources = set(), {}
    for pk, wallet_id, key, kind, description, reserved, amount, bonus_delta, *sums in lookup.fetchall():
        if key in keys:
            done.add((wallet_id, key))
        if key in source_keys and kind in (Kind.HOLD, Kind.CHARGE):
            sources[(wallet_id, key)] = _source(kind, description, reserved, amount, bonus_delta, *sums, pk)
    return wallets, done, sources


def _write_params(entries: list[_Entry], wallets: list[_Wallet], now):
    ids = [uuid.uuid4() for _ in entries]
    insert = [now, ids, [e.wallet_id for e in entries], [e.kind for e in entries], [e.amount for e in entries],
              [e.bonus_delta for e in entries], [e.held_delta for e in entries], [e.balance_after for e in entries],
              [e.available_after for e in entries], [e.related_id for e in entries], [e.key for e in entries],
              [e.description for e in entries], [json.dumps(e.details) for e in entries],
              [e.created_by_id for e in entries]]
    update = [now, [w.id for w in wallets], [w.balance for w in wallets], [w.bonus for w in wallets],
              [w.held for w in wallets], [w.negative_since for w in wallets]]
    return ids, insert, update


def _write_pg(entries: list[_Entry], wallets: list[_Wallet], now) -> None:
    """The batch's entries and wallets in one pipelined round trip (the connector's flush)."""
    conn = connection.connection
    _ids, insert, update = _write_params(entries, wallets, now)
    with conn.pipeline():
        psycopg.Cursor(conn).execute(_SQL_INSERT, insert)
        psycopg.Cursor(conn).execute(_SQL_WALLETS, update)


def entries_write(entries: list[_Entry], wallets: list[_Wallet], now) -> list[tuple[int, uuid.UUID]]:
    """The ledger's one way to append entries and move the cached amounts of their wallets (locked
    by the caller), for one entry or many: (id, public id) of each entry, in order. Through
    Django's cursor, so a broken constraint raises Django's IntegrityError (a repeated key)."""
    ids, insert, update = _write_params(entries, wallets, now)
    with connection.cursor() as cursor:
        cursor.execute(_SQL_INSERT, insert)
        entry_ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(_SQL_WALLETS, update)
    return list(zip(entry_ids, ids, strict=True))
