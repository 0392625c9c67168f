"""Top-up steps and grace periods (R-BILL-04, T 2.31, 2.32, 5.4).

A single top-up whose amount reaches step 2 or higher of the price list in force opens a grace
period at that step's prices, from the moment of the top-up to the end of the 30th day after the
top-up day, Kyiv time (a top-up on March 1 is valid through March 31 inclusive). Periods never
stack and are never extended: every qualifying top-up opens its own. While several are active the
lowest price wins per message (`prices.unit_price`); when the cheapest one ends, the next still
valid one applies, then regular prices.
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone

from accounts.models import Client
from smsportal.kyiv import kyiv_date
from smsportal.periods import kyiv_period_end

from ..exceptions import NoTariff
from ..models import Channel, GracePeriod, LedgerEntry, MessageType, SenderClass, Tariff, TopupStep, UaOperator, Wallet
from .prices import grace_periods_active, headline_sms_price, price_context, tariff_current, unit_price

GRACE_DAYS = 30


def topup_step_for(*, tariff: Tariff, amount: Decimal) -> TopupStep | None:
    """The step a single top-up of `amount` reaches (the highest step whose minimum it meets)."""
    return tariff.steps.filter(min_amount__lte=amount).order_by("-min_amount").first()


def grace_period_open(*, wallet: Wallet, entry: LedgerEntry) -> GracePeriod | None:
    """Called by `wallet_topup` in its transaction: opens the period a qualifying top-up earns."""
    try:
        tariff = tariff_current(entry.created_at)
    except NoTariff:
        return None
    step = topup_step_for(tariff=tariff, amount=entry.amount.amount)
    if step is None or step.number < 2:
        return None
    return GracePeriod.objects.create(
        wallet=wallet, topup=entry, tariff=tariff, step=step.number, starts_at=entry.created_at,
        ends_at=kyiv_period_end(kyiv_date(entry.created_at), days=GRACE_DAYS))


@dataclass
class GraceSummary:
    """The grace period that sets the client's price now, for "your price is X until DATE"."""

    period: GracePeriod
    price: Decimal | None  # per SMS segment (service SMS to Kyivstar), UAH
    regular: Decimal | None
    others: list[GracePeriod]

    @property
    def step(self) -> int:
        return self.period.step

    @property
    def valid_through(self) -> date:
        return self.period.valid_through


def grace_period_current(*, client: Client, at=None) -> GraceSummary | None:
    """The active grace period with the lowest headline price (ties: the one lasting longest).
    Now (no `at`): from the cached price lists and grace periods (prices.price_context), without
    a query per period."""
    if at is None:
        try:
            context = price_context(client=client)
        except NoTariff:
            context = None
        if context is not None:
            active = context.grace
            if not active:
                return None

            def headline(grace):
                return unit_price(client=client, channel=Channel.SMS, tariff=context.tariff, country="UA",
                                  operator=UaOperator.KYIVSTAR, message_type=MessageType.SERVICE,
                                  sender_class=SenderClass.INTERNATIONAL, at=context.at, grace=grace,
                                  lines=context.lines).amount

            return _summary(active, headline(grace=[]), [(headline([g]), g) for g in active])
    at = at or timezone.now()
    active = grace_periods_active(client=client, at=at)
    if not active:
        return None
    regular = headline_sms_price(client=client, grace=[], at=at)
    return _summary(active, regular, [(headline_sms_price(client=client, grace=[g], at=at), g) for g in active])


def _summary(active, regular, priced) -> GraceSummary:
    priced.sort(key=lambda pg: (pg[0] if pg[0] is not None else Decimal("Infinity"), -pg[1].ends_at.timestamp(),
                                -pg[1].step))
    price, period = priced[0]
    return GraceSummary(period=period, price=price, regular=regular, others=[g for _, g in priced[1:]])
