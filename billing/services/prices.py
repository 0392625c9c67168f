"""Prices (R-BILL-07, R-BILL-08, R-BILL-13, R-BILL-04).

A price list (`Tariff`) is dated: the newest whose `valid_from` has come applies to new
messages; a message keeps the price it was charged (its price and ledger entry never change).
Each line is for a top-up step (1 = regular); blank fields of a line match anything and the most
specific matching line of a step wins. A client's price is the lowest among the steps of its
active grace periods and the regular step (a grace period never makes a price higher).

Rounding, once, where a message is priced: SMS = segments × the per-segment price (prices have at
most 4 decimals, so this is exact); Viber = EUR price × the EUR/UAH rate used, rounded half-up to
0.0001 UAH.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

import phonenumbers
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from djmoney.money import Money
from phonenumbers import carrier, geocoder

from accounts.models import Client
from smsportal.cache import VersionedCache, Versions
from smsportal.periods import kyiv_shift

from ..exceptions import NoPrice, NoTariff
from ..models import Channel, GracePeriod, MessageType, SenderClass, Tariff, TariffPrice, UaOperator
from .rates import Conversion, eur_to_uah

PRICE_QUANT = Decimal("0.0001")
UA_OPERATORS = {o.value for o in UaOperator}


def tariff_current(at=None) -> Tariff:
    """The price list in force at `at` (default now): the newest announced one that started (an unannounced
    draft never applies, R-BILL-13); raises NoTariff."""
    at = at or timezone.now()
    tariff = Tariff.objects.filter(valid_from__lte=at, announced_at__isnull=False).order_by("-valid_from", "-id").first()
    if tariff is None:
        raise NoTariff()
    return tariff


def tariff_upcoming(at=None) -> Tariff | None:
    """The next announced price list (R-BILL-13: announced 7 days ahead), if any."""
    at = at or timezone.now()
    return Tariff.objects.filter(valid_from__gt=at, announced_at__isnull=False).order_by("valid_from", "id").first()


def destination_of(recipient: str) -> tuple[str, str]:
    """(ISO country, operator) of an E.164 phone, from phonenumbers' offline data. Callers that
    parsed the number already pass `country=` and `operator=` instead."""
    try:
        number = phonenumbers.parse(recipient, "UA")
    except phonenumbers.NumberParseException:
        return "", ""
    country = phonenumbers.region_code_for_number(number) or ""
    return country, carrier.name_for_number(number, "en").strip().lower()


def price_operator(country: str, operator: str) -> str:
    """The operator as priced: a named Ukrainian operator, or '' (every other operator)."""
    operator = (operator or "").strip().lower()
    return operator if country == "UA" and operator in UA_OPERATORS else ""


def _best_lines(*, tariff: Tariff, channel: str, steps, country: str, operator: str, message_type: str,
                sender_class: str, lines: list[TariffPrice] | None = None) -> dict[int, TariffPrice]:
    """The most specific matching line of each step (one query; none with `lines`, every line of
    `tariff` in the model's order, which the query's result keeps, so ties resolve alike)."""
    if lines is None:
        lines = TariffPrice.objects.filter(
            Q(country=country) | Q(country=""), Q(operator=operator) | Q(operator=""),
            Q(message_type=message_type) | Q(message_type=""), Q(sender_class=sender_class) | Q(sender_class=""),
            tariff=tariff, channel=channel, step__in=set(steps))
    else:
        steps = set(steps)
        lines = [line for line in lines if line.channel == channel and line.step in steps
                 and line.country in (country, "") and line.operator in (operator, "")
                 and line.message_type in (message_type, "") and line.sender_class in (sender_class, "")]
    best: dict[int, TariffPrice] = {}
    for line in lines:
        if line.step not in best or line.specificity > best[line.step].specificity:
            best[line.step] = line
    return best


@dataclass
class UnitPrice:
    """The price of one unit (an SMS segment in UAH, a Viber message in EUR) for a client."""

    amount: Decimal
    currency: str
    regular: Decimal
    step: int = 1
    grace: GracePeriod | None = None


def grace_periods_active(*, client: Client, at=None) -> list[GracePeriod]:
    at = at or timezone.now()
    return list(GracePeriod.objects.filter(wallet__client=client, starts_at__lte=at, ends_at__gt=at)
                .order_by("ends_at", "id"))


def unit_price(*, client: Client | None, channel: str, tariff: Tariff, country: str = "", operator: str = "",
               message_type: str = MessageType.SERVICE, sender_class: str = "", at=None,
               grace: list[GracePeriod] | None = None, lines: list[TariffPrice] | None = None) -> UnitPrice:
    """The lowest of the regular price and the prices of the client's active grace periods.
    `grace` and `lines` (every line of `tariff`) may come from a `PriceContext`."""
    if grace is None:
        grace = grace_periods_active(client=client, at=at) if client is not None else []
    steps = {1} | {g.step for g in grace}
    best = _best_lines(tariff=tariff, channel=channel, steps=steps, country=country,
                       operator=price_operator(country, operator) if channel == Channel.SMS else "",
                       message_type=message_type, sender_class=sender_class if channel == Channel.SMS else "",
                       lines=lines)
    if 1 in best:
        regular = best[1].price.amount
    elif channel == Channel.SMS:
        regular = tariff.sms_segment_price.amount
    else:
        raise NoPrice(gettext("The price list '%(name)s' has no Viber price for %(message_type)s messages.") % {
            "name": tariff.name, "message_type": message_type})
    result = UnitPrice(amount=regular, currency="UAH" if channel == Channel.SMS else "EUR", regular=regular)
    for period in grace:
        line = best.get(period.step)
        if line is not None and line.price.amount < result.amount:
            result.amount, result.step, result.grace = line.price.amount, period.step, period
    return result


def sms_price(*, client: Client, recipient: str, segments: int, tariff: Tariff | None = None,
              country: str | None = None, operator: str | None = None,
              message_type: str = MessageType.SERVICE, sender_class: str = SenderClass.INTERNATIONAL,
              at=None, context: "PriceContext | None" = None) -> Money:
    """The price of one SMS: segments × the client's per-segment price for its destination
    (Ukrainian operator or country), message type and sender-name class; exact to 0.0001 UAH.
    `country`/`operator` (from the parsed recipient) skip re-parsing the phone. `context`
    (`price_context`, for now) prices without queries."""
    if context is not None:
        tariff, at = context.tariff, context.at
    tariff = tariff or tariff_current(at)
    if country is None:
        country, parsed_operator = destination_of(recipient)
        operator = parsed_operator if operator is None else operator
    unit = unit_price(client=client, channel=Channel.SMS, tariff=tariff, country=country, operator=operator or "",
                      message_type=message_type, sender_class=sender_class, at=at,
                      grace=context.grace if context is not None else None,
                      lines=context.lines if context is not None else None)
    amount = (unit.amount * segments).quantize(PRICE_QUANT, rounding=ROUND_HALF_UP)
    return Money(amount, "UAH")


# --- what prices a send, from the per-process caches ---------------------------------------------
# Price lists and their lines change only with a bumped "prices" counter, a client's grace periods
# only with its "grace" counter (smsportal.cache: triggers of billing migration 0008), so what was
# loaded under the counters read for this send is what the database holds now. Which list is in
# force and which periods are active depend on the time: that is decided per send, from the rows.
_TARIFFS = VersionedCache(maxsize=8)
_LINES = VersionedCache(maxsize=32)
_GRACE = VersionedCache(maxsize=4096)


@dataclass
class PriceContext:
    """The price list in force at `at`, all its lines, and the client's grace periods active at `at`."""

    at: datetime
    tariff: Tariff
    lines: list[TariffPrice]
    grace: list[GracePeriod]


def price_context(*, client: Client, versions: Versions | None = None) -> PriceContext:
    """What `sms_price(context=...)` needs to price a client's SMS now, as `tariff_current`,
    `_best_lines` and `grace_periods_active` would read it. Raises NoTariff."""
    versions = versions or Versions(client.pk)
    at = timezone.now()
    key = versions.key("prices")
    tariffs = _TARIFFS.get(key, lambda: list(Tariff.objects.filter(announced_at__isnull=False).order_by("-valid_from", "-id")))
    tariff = next((t for t in tariffs if t.valid_from <= at), None)  # tariff_current(at)
    if tariff is None:
        raise NoTariff()
    lines = _LINES.get(key and (key, tariff.pk), lambda: list(TariffPrice.objects.filter(tariff=tariff)))
    # Every period that can be active from now on (with a day's margin for the clock), in the
    # order grace_periods_active gives; the ones active at `at` are picked below.
    periods = _GRACE.get(versions.key("grace", per_client=True), lambda: list(
        GracePeriod.objects.filter(wallet__client=client, ends_at__gt=at - timedelta(days=1)).order_by("ends_at", "id")))
    return PriceContext(at=at, tariff=tariff, lines=lines,
                        grace=[g for g in periods if g.starts_at <= at < g.ends_at])


@dataclass
class ViberPrice:
    """A Viber message's price in UAH and how it was reached: record `rate` with the charge."""

    amount: Money
    eur: Money
    rate: Decimal
    rate_date: date
    rate_source: str
    step: int = 1

    def details(self) -> dict:
        return {"eur": str(self.eur.amount), "rate": str(self.rate), "rate_date": self.rate_date.isoformat(),
                "rate_source": self.rate_source, "step": self.step}


def viber_price(*, client: Client, message_type: str, at: datetime | None = None,
                tariff: Tariff | None = None) -> ViberPrice:
    """The price of one Viber message of `message_type` in UAH at the rate of the day (R-BILL-08)."""
    at = at or timezone.now()
    tariff = tariff or tariff_current(at)
    unit = unit_price(client=client, channel=Channel.VIBER, tariff=tariff, message_type=message_type, at=at)
    conversion: Conversion = eur_to_uah(unit.amount, on=timezone.localdate(at))
    return ViberPrice(amount=conversion.amount, eur=Money(unit.amount, "EUR"), rate=conversion.rate,
                      rate_date=conversion.rate_date, rate_source=conversion.source, step=unit.step)


# --- the price list a client sees ---------------------------------------------------------------

@dataclass
class PriceRow:
    channel: str
    country: str
    operator: str
    message_type: str
    sender_class: str
    regular: Decimal
    yours: Decimal
    currency: str
    step: int = 1

    @property
    def destination(self) -> str:
        if self.channel == Channel.VIBER:
            return "Viber"
        if self.country == "UA":
            return (gettext("Ukraine, %(operator)s") % {"operator": UaOperator(self.operator).label} if self.operator
                    else gettext("Ukraine, other operators"))
        return country_name(self.country) if self.country else gettext("Other countries")

    @property
    def discounted(self) -> bool:
        return self.yours < self.regular


@dataclass
class PriceTable:
    tariff: Tariff
    rows: list[PriceRow] = field(default_factory=list)
    grace: list[GracePeriod] = field(default_factory=list)
    default_sms: Decimal = Decimal("0")


_TYPE_ORDER = {MessageType.SERVICE: 0, MessageType.ADVERTISING: 1, MessageType.SESSION: 2, "": 3}
_CLASS_ORDER = {SenderClass.INTERNATIONAL: 0, SenderClass.NATIONAL: 1, "": 2}


@lru_cache(maxsize=512)
def country_name(code: str) -> str:
    """'PL' → 'Poland' (phonenumbers' offline data), else the code itself."""
    number = phonenumbers.example_number(code)
    return (geocoder.country_name_for_number(number, "en") if number else "") or code


def _row_order(key):
    channel, country, operator, message_type, sender_class = key
    return (channel != Channel.SMS, country != "UA", country == "", country_name(country) if country else "",
            operator == "", operator, _TYPE_ORDER.get(message_type, 9), _CLASS_ORDER.get(sender_class, 9))


def price_table_for_client(*, client: Client, at=None) -> PriceTable:
    """Every line of the price list in force with the regular price and this client's price now."""
    at = at or timezone.now()
    tariff = tariff_current(at)
    grace = grace_periods_active(client=client, at=at)
    keys = set(tariff.prices.values_list("channel", "country", "operator", "message_type", "sender_class"))
    table = PriceTable(tariff=tariff, grace=grace, default_sms=tariff.sms_segment_price.amount)
    for key in sorted(keys, key=_row_order):
        channel, country, operator, message_type, sender_class = key
        try:
            unit = unit_price(client=client, channel=channel, tariff=tariff, country=country, operator=operator,
                              message_type=message_type or MessageType.SERVICE, sender_class=sender_class,
                              at=at, grace=grace)
        except NoPrice:
            continue
        table.rows.append(PriceRow(channel, country, operator, message_type, sender_class, unit.regular,
                                   unit.amount, unit.currency, unit.step))
    return table


def headline_sms_price(*, client: Client, grace: list[GracePeriod] | None = None, at=None) -> Decimal | None:
    """The client's price of one service SMS segment to a Kyivstar number now (the figure shown in
    "your price is X until DATE"), or None without a price list."""
    try:
        tariff = tariff_current(at)
    except NoTariff:
        return None
    return unit_price(client=client, channel=Channel.SMS, tariff=tariff, country="UA", operator=UaOperator.KYIVSTAR,
                      message_type=MessageType.SERVICE, sender_class=SenderClass.INTERNATIONAL, at=at,
                      grace=grace).amount


def sms_flat_prices(*, client: Client, at=None) -> dict[str, Decimal]:
    """The client's price of one SMS segment of each message type (service, advertising) to a
    Kyivstar number from an international name now, as `headline_sms_price`: the first estimate
    of the send forms before each recipient's operator is priced. Raises NoTariff."""
    tariff = tariff_current(at)
    grace = grace_periods_active(client=client, at=at)
    return {t: unit_price(client=client, channel=Channel.SMS, tariff=tariff, country="UA", operator=UaOperator.KYIVSTAR,
                          message_type=t, sender_class=SenderClass.INTERNATIONAL, at=at, grace=grace).amount
            for t in (MessageType.SERVICE, MessageType.ADVERTISING)}


# --- staff: a new dated list from an existing one -------------------------------------------------

def tariff_copy(*, tariff: Tariff, actor=None, valid_from=None, name: str | None = None) -> Tariff:
    """A copy of `tariff` (steps and lines) starting `valid_from` (default: 7 days from now, the
    announcement period, R-BILL-13) for staff to edit. Lists in force are never edited in place:
    messages already charged keep their price, and clients see what changes and when."""
    from django.db import transaction  # noqa: PLC0415

    from accounts.services import audit_record  # noqa: PLC0415

    from ..models import ANNOUNCE_DAYS, TopupStep  # noqa: PLC0415

    valid_from = valid_from or kyiv_shift(timezone.now(), days=ANNOUNCE_DAYS).replace(second=0, microsecond=0)
    with transaction.atomic():
        copy = Tariff.objects.create(name=(name or f"{tariff.name} (new)")[:100], valid_from=valid_from,
                                     sms_segment_price=tariff.sms_segment_price, notes="",
                                     viber_sender_fee=tariff.viber_sender_fee)
        TopupStep.objects.bulk_create([TopupStep(tariff=copy, number=s.number, min_amount=s.min_amount)
                                       for s in tariff.steps.all()])
        TariffPrice.objects.bulk_create([
            TariffPrice(tariff=copy, step=p.step, channel=p.channel, country=p.country, operator=p.operator,
                        message_type=p.message_type, sender_class=p.sender_class, price=p.price)
            for p in tariff.prices.all()])
        audit_record(code="billing.tariff.copied", actor=actor, target=str(copy),
                     details={"from": tariff.pk, "valid_from": valid_from.isoformat()})
    return copy
