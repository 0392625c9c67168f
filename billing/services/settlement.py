"""Staff money actions: overdraft limits, adjustments, penalties and withholding, payouts on
termination, and Viber re-pricing. Each takes a reason and an actor and is audited.

- R-BILL-09 overdraft: a staff-approved limit; debt older than the repayment term stops sending
  (`ledger.wallet_assert_can_spend`).
- R-BILL-11 penalties: a fixed amount per violating message (T 6.14: 100 UAH) and, on a confirmed
  serious violation, withholding what is left on the balance (T 6.12). Owed unconditionally: they
  may take the balance below zero.
- R-BILL-12 payout: refundable = balance − unspent bonus − held; the bonus is never paid out.
- R-BILL-10 re-pricing: a transactional Viber message found not to match its template is
  re-charged as advertising; the difference is debited once per message.
"""
import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from djmoney.money import Money

from accounts.models import Client
from accounts.services import audit_record
from smsportal.money import money_text

from ..exceptions import BillingError, InvalidAmount, ReasonRequired
from ..models import LedgerEntry, MessageType, RepricedMessage, Wallet
from .config import billing_config_get
from .ledger import _bonus_part, _existing, _locked_wallet, _post
from .prices import viber_price
from .rates import PRICE_QUANT

Kind = LedgerEntry.Kind
ZERO = Decimal("0")


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    return reason


def wallet_overdraft_set(*, client: Client, limit, reason: str, actor=None) -> Wallet:
    """Staff approve (or change, or withdraw with 0) the client's overdraft limit (R-BILL-09)."""
    reason = _reason(reason)
    limit = Decimal(limit)
    if limit < 0:
        raise InvalidAmount(gettext("An overdraft limit cannot be negative."))
    with transaction.atomic():
        wallet = _locked_wallet(client.pk)
        old = wallet.overdraft_limit.amount
        wallet.overdraft_limit = Money(limit, "UAH")
        wallet.overdraft_approved_at = timezone.now() if limit > 0 else None
        wallet.overdraft_approved_by = actor if limit > 0 and getattr(actor, "pk", None) else None
        wallet.save(update_fields=["overdraft_limit", "overdraft_approved_at", "overdraft_approved_by", "updated_at"])
        audit_record(code="billing.overdraft.set", actor=actor, client=client, target=str(wallet.pk),
                     details={"from": str(old), "to": str(limit), "reason": reason})
    return wallet


def wallet_adjust(*, client: Client, amount, reason: str, key: str, actor=None) -> LedgerEntry:
    """A staff correction, credit (positive) or debit (negative). A debit spends the bonus first."""
    reason = _reason(reason)
    amount = Decimal(amount)
    if amount == 0:
        raise InvalidAmount(gettext("An adjustment is a non-zero amount."))
    with transaction.atomic():
        wallet = _locked_wallet(client.pk)
        if existing := _existing(wallet.pk, key):
            return existing
        bonus = -_bonus_part(wallet, -amount) if amount < 0 else ZERO
        entry = _post(wallet=wallet, kind=Kind.ADJUSTMENT, amount=amount, bonus_delta=bonus, key=key,
                      description=f"Adjustment: {reason}", actor=actor, details={"reason": reason})
        audit_record(code="billing.wallet.adjusted", actor=actor, client=client, target=str(wallet.pk),
                     details={"amount": str(amount), "reason": reason, "entry": str(entry.public_id)})
    return entry


def wallet_penalty(*, client: Client, reason: str, key: str, actor=None, messages: int = 1,
                   amount=None) -> LedgerEntry:
    """A penalty for violating messages (R-BILL-11): `messages` × the configured amount per message
    (100 UAH, T 6.14) unless `amount` is given. Debited even beyond the balance (debt)."""
    reason = _reason(reason)
    if amount is None:
        if messages < 1:
            raise InvalidAmount(gettext("A penalty is for at least one message."))
        amount = billing_config_get().penalty_per_message.amount * messages
    amount = Decimal(amount)
    if amount <= 0:
        raise InvalidAmount(gettext("A penalty is a positive amount."))
    with transaction.atomic():
        wallet = _locked_wallet(client.pk)
        if existing := _existing(wallet.pk, key):
            return existing
        entry = _post(wallet=wallet, kind=Kind.PENALTY, amount=-amount, bonus_delta=-_bonus_part(wallet, amount),
                      key=key, description=f"Penalty: {reason}", actor=actor,
                      details={"reason": reason, "messages": messages})
        audit_record(code="billing.penalty.charged", actor=actor, client=client, target=str(wallet.pk),
                     details={"amount": str(amount), "messages": messages, "reason": reason})
    return entry


def wallet_withhold(*, client: Client, reason: str, key: str, actor=None) -> LedgerEntry | None:
    """On a confirmed serious violation (T 6.12): a penalty equal to what is left on the balance
    (beyond what is held for messages already accepted). Nothing left → None."""
    reason = _reason(reason)
    with transaction.atomic():
        wallet = _locked_wallet(client.pk)
        if existing := _existing(wallet.pk, key):
            return existing
        amount = wallet.balance.amount - wallet.held.amount
        if amount <= 0:
            return None
        entry = _post(wallet=wallet, kind=Kind.PENALTY, amount=-amount, bonus_delta=-_bonus_part(wallet, amount),
                      key=key, description=f"Balance withheld: {reason}", actor=actor,
                      details={"reason": reason, "withheld": True})
        audit_record(code="billing.balance.withheld", actor=actor, client=client, target=str(wallet.pk),
                     details={"amount": str(amount), "reason": reason})
    return entry


def wallet_refundable(wallet: Wallet) -> Decimal:
    """What can be paid back (R-BILL-12): balance − unspent bonus − held, never below zero."""
    return max(wallet.balance.amount - wallet.bonus.amount - wallet.held.amount, ZERO)


def wallet_payout(*, client: Client, reference: str, reason: str, key: str, actor=None, amount=None,
                  forfeit_bonus: bool = True) -> LedgerEntry:
    """Records the bank transfer of the unused balance on termination (R-BILL-12, T 6.7): at most
    the refundable amount (default all of it). The unspent bonus is never paid out; with
    `forfeit_bonus` it is written off in the same transaction (the account is closing)."""
    reason = _reason(reason)
    reference = (reference or "").strip()
    if not reference:
        raise BillingError(gettext("Give the payment reference of the transfer."), code="reference_required")
    with transaction.atomic():
        wallet = _locked_wallet(client.pk)
        if existing := _existing(wallet.pk, key):
            return existing
        refundable = wallet_refundable(wallet)
        amount = refundable if amount is None else Decimal(amount)
        if amount <= 0:
            raise InvalidAmount(gettext("Nothing is refundable: the balance is only the unspent bonus or held "
                                        "money."))
        if amount > refundable:
            raise InvalidAmount(gettext("At most %(money_text)s UAH is refundable (balance minus the unspent bonus "
                                        "and held money).") % {
                "money_text": money_text(refundable)})
        entry = _post(wallet=wallet, kind=Kind.PAYOUT, amount=-amount, key=key, actor=actor,
                      description=f"Refund paid out ({reference}): {reason}",
                      details={"reason": reason, "reference": reference})
        forfeited = wallet.bonus.amount if forfeit_bonus else ZERO
        if forfeited > 0:
            _post(wallet=wallet, kind=Kind.BONUS, amount=-forfeited, bonus_delta=-forfeited, key=f"{key}:bonus",
                  actor=actor, description="Unspent bonus written off (not refundable)", related=entry)
        audit_record(code="billing.payout.recorded", actor=actor, client=client, target=str(wallet.pk),
                     details={"amount": str(amount), "reference": reference, "reason": reason,
                              "bonus_forfeited": str(forfeited)})
    return entry


# --- R-BILL-10: Viber re-pricing --------------------------------------------------------------

@dataclass(frozen=True)
class RepriceItem:
    """A transactional Viber message to re-charge as advertising: what it was charged (UAH), when
    it was sent, and the EUR/UAH rate its charge used (else the rate of its day)."""

    message_id: str
    charged: Decimal
    sent_at: datetime
    rate: Decimal | None = None


def reprice_viber_messages(*, client: Client, items: list[RepriceItem], reason: str, actor=None) -> LedgerEntry | None:
    """Debits, once per message, the difference between the advertising price (at the message's
    time, the client's grace prices included, at the rate its charge used) and what it was
    charged. Messages already re-priced are skipped; no difference → None. Owed unconditionally."""
    reason = _reason(reason)
    ids = [str(i.message_id) for i in items]
    if len(set(ids)) != len(ids):
        raise BillingError(gettext("Each message is re-priced once: the list has duplicates."), code="duplicate_messages")
    with transaction.atomic():
        wallet = _locked_wallet(client.pk)
        done = set(RepricedMessage.objects.filter(message_id__in=ids).values_list("message_id", flat=True))
        rows = []
        for item in items:
            if str(item.message_id) in done:
                continue
            price = viber_price(client=client, message_type=MessageType.ADVERTISING, at=item.sent_at)
            rate = Decimal(item.rate) if item.rate is not None else price.rate
            repriced = (price.eur.amount * rate).quantize(PRICE_QUANT, rounding=ROUND_HALF_UP)
            difference = max(repriced - Decimal(item.charged), ZERO)
            rows.append((item, repriced, difference, rate))
        total = sum((d for _, _, d, _ in rows), ZERO)
        if not rows or total <= 0:
            return None
        digest = hashlib.sha256(",".join(sorted(str(i.message_id) for i, *_ in rows)).encode()).hexdigest()[:32]
        entry = _post(wallet=wallet, kind=Kind.REPRICE, amount=-total, bonus_delta=-_bonus_part(wallet, total),
                      key=f"reprice:{digest}", actor=actor,
                      description=f"Viber re-priced as advertising: {len(rows)} message(s). {reason}"[:300],
                      details={"reason": reason, "messages": len(rows)})
        RepricedMessage.objects.bulk_create([
            RepricedMessage(wallet=wallet, message_id=str(item.message_id), entry=entry,
                            charged=Money(Decimal(item.charged), "UAH"), repriced=Money(repriced, "UAH"),
                            difference=Money(difference, "UAH"), rate=rate)
            for item, repriced, difference, rate in rows])
        audit_record(code="billing.viber.repriced", actor=actor, client=client, target=str(wallet.pk),
                     details={"messages": len(rows), "amount": str(total), "reason": reason})
    return entry
