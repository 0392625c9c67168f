"""EUR/UAH for Viber prices (R-BILL-08, T 4.10).

Viber prices are set in EUR and charged in UAH at a base rate staff set (`BaseRate`). The
official NBU rate of each day is loaded (admin, or `manage.py load_nbu_rates FILE.json`). The base
applies until staff decide to re-price; it never switches by itself. Staff may re-price only once
the official rate has moved 2 % or more from the base, and only before 12:00 Kyiv time of the day
the new base takes effect (T 4.10, R-VIB-10). With no base at all the NBU rate of the day applies.
The conversion returns the rate it used, which every Viber charge records.
"""
import json
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from djmoney.money import Money

from accounts.services import audit_record
from smsportal.kyiv import KYIV

from ..exceptions import BillingError, NoExchangeRate, ReasonRequired
from ..models import BaseRate, ExchangeRate

PRICE_QUANT = Decimal("0.0001")
REPRICE_THRESHOLD = Decimal("0.02")
REPRICE_DEADLINE = time(12, 0)  # Kyiv (T 4.10, R-VIB-10)


@dataclass(frozen=True)
class Conversion:
    amount: Money  # UAH, rounded half-up to 0.0001
    rate: Decimal  # UAH per 1 EUR used
    rate_date: date  # the day of the NBU rate, or the base's effective day
    source: str  # "base" or "nbu"


def _nbu_rate(currency: str, on: date) -> ExchangeRate | None:
    return ExchangeRate.objects.filter(currency=currency, date__lte=on).order_by("-date").first()


def deviation(rate: Decimal, base: Decimal) -> Decimal:
    return abs(rate - base) / base


def rate_for(on: date | None = None, currency: str = "EUR") -> tuple[Decimal, date, str]:
    """(rate, its date, "base" | "nbu") that applies to charges on `on` (default today, Kyiv)."""
    on = on or timezone.localdate()
    base = BaseRate.objects.filter(currency=currency, effective_from__lte=on).order_by("-effective_from", "-id").first()
    official = _nbu_rate(currency, on)
    if base is None:
        if official is None:
            raise NoExchangeRate()
        return official.rate, official.date, "nbu"
    return base.rate, base.effective_from, "base"


def eur_to_uah(amount, *, on: date | None = None) -> Conversion:
    """A EUR amount in UAH for `on`, with the rate used (R-BILL-08)."""
    eur = amount.amount if isinstance(amount, Money) else Decimal(amount)
    rate, rate_date, source = rate_for(on)
    uah = (eur * rate).quantize(PRICE_QUANT, rounding=ROUND_HALF_UP)
    return Conversion(amount=Money(uah, "UAH"), rate=rate, rate_date=rate_date, source=source)


# --- loading NBU rates, re-pricing ---------------------------------------------------------------

class RatesFileInvalid(BillingError):
    code = "rates_file_invalid"


def nbu_rates_parse(text: str | bytes, currencies=("EUR",)) -> list[tuple[str, date, Decimal]]:
    """NBU's JSON (`[{"r030":978,"txt":"Євро","rate":45.1234,"cc":"EUR","exchangedate":"24.11.2026"}]`)
    as (currency, date, rate), only for `currencies`. Rates are read as decimals, never floats."""
    try:
        data = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    except (ValueError, TypeError) as exc:
        raise RatesFileInvalid(gettext("Not NBU JSON: %(exc)s") % {"exc": exc}) from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise RatesFileInvalid(gettext("NBU JSON is a list of rates."))
    out = []
    for n, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise RatesFileInvalid(gettext("Item %(n)s is not an object.") % {"n": n})
        currency = str(item.get("cc", "")).upper()
        if currency not in currencies:
            continue
        try:
            day = datetime.strptime(str(item["exchangedate"]), "%d.%m.%Y").date()
            rate = Decimal(str(item["rate"]))
        except (KeyError, ValueError, InvalidOperation):
            raise RatesFileInvalid(gettext("Item %(n)s: needs 'exchangedate' (dd.mm.yyyy) and a numeric 'rate'.") % {
                "n": n}) from None
        if rate <= 0:
            raise RatesFileInvalid(gettext("Item %(n)s: the rate must be positive.") % {"n": n})
        out.append((currency, day, rate.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)))
    return out


def exchange_rates_load(text: str | bytes, *, actor=None) -> tuple[int, int]:
    """Stores NBU rates (a day's rate is replaced if loaded again). Returns (created, updated)."""
    rows = nbu_rates_parse(text)
    created = updated = 0
    with transaction.atomic():
        for currency, day, rate in rows:
            _, was_created = ExchangeRate.objects.update_or_create(
                currency=currency, date=day, defaults={"rate": rate, "source": "nbu", "created_by": actor})
            created += was_created
            updated += not was_created
        audit_record(code="billing.rates.loaded", actor=actor, target="EUR",
                     details={"created": created, "updated": updated,
                              "dates": sorted({d.isoformat() for _, d, _ in rows})[-5:]})
    return created, updated


@dataclass(frozen=True)
class RateDeviation:
    """For the admin: the base in force, the latest official rate, how far it moved, whether staff
    may re-price now."""

    base: BaseRate | None
    official: ExchangeRate | None
    deviation: Decimal | None  # a fraction: 0.0234 = 2.34 %
    moved_enough: bool
    before_noon: bool

    @property
    def may_reprice(self) -> bool:
        return self.official is not None and (self.base is None or self.moved_enough) and self.before_noon


def rate_deviation(*, currency: str = "EUR", now: datetime | None = None) -> RateDeviation:
    now = now or timezone.now()
    local = now.astimezone(KYIV)
    today = local.date()
    base = BaseRate.objects.filter(currency=currency, effective_from__lte=today).order_by("-effective_from", "-id").first()
    official = _nbu_rate(currency, today)
    dev = deviation(official.rate, base.rate) if (base is not None and official is not None) else None
    return RateDeviation(base=base, official=official, deviation=dev,
                         moved_enough=dev is not None and dev >= REPRICE_THRESHOLD,
                         before_noon=local.time() < REPRICE_DEADLINE)


class RepriceRefused(BillingError):
    code = "reprice_refused"
    status = 409


def base_rate_set(*, reason: str, actor=None, rate: Decimal | None = None, effective_from: date | None = None,
                  currency: str = "EUR", now: datetime | None = None) -> BaseRate:
    """Staff re-price Viber at the current NBU rate (R-BILL-08, R-VIB-10), effective today. Refused
    (`reprice_refused`) unless the official rate has moved 2 % or more from the base in force, and
    unless it is before 12:00 Kyiv time. With no base yet, the first one may be set any time."""
    if not (reason or "").strip():
        raise ReasonRequired()
    now = now or timezone.now()
    local = now.astimezone(KYIV)
    today = local.date()
    effective_from = effective_from or today
    state = rate_deviation(currency=currency, now=now)
    if state.base is not None:
        if effective_from != today:
            raise RepriceRefused(gettext("A re-pricing takes effect the day it is made: %(today)s.") % {
                "today": f"{today:%d.%m.%Y}"}, code="reprice_not_today")
        if not state.before_noon:
            raise RepriceRefused(gettext(
                "Viber prices are re-priced before 12:00 Kyiv time of the day (T 4.10); it is %(time)s now. "
                "Re-price tomorrow morning.") % {"time": f"{local:%H:%M}"}, code="reprice_after_noon")
        if state.official is None:
            raise NoExchangeRate(gettext("No NBU %(currency)s rate on or before %(effective_from)s is loaded.") % {
                "currency": currency, "effective_from": f"{today:%d.%m.%Y}"})
        if not state.moved_enough:
            raise RepriceRefused(gettext(
                "The NBU rate %(official)s differs from the base %(base)s by %(deviation)s %%: re-pricing needs a "
                "move of 2 %% or more (T 4.10).") % {
                "official": state.official.rate, "base": state.base.rate,
                "deviation": f"{state.deviation * 100:.2f}"}, code="reprice_below_threshold")
        if rate is not None and Decimal(rate) != state.official.rate:
            raise RepriceRefused(gettext("A re-pricing uses the current NBU rate, %(official)s.") % {
                "official": state.official.rate}, code="reprice_not_official")
    if rate is None:
        official = _nbu_rate(currency, effective_from)
        if official is None:
            raise NoExchangeRate(gettext("No NBU %(currency)s rate on or before %(effective_from)s is loaded.") % {
                "currency": currency, "effective_from": f"{effective_from:%d.%m.%Y}"})
        rate = official.rate
    rate = Decimal(rate)
    if rate <= 0:
        raise BillingError(gettext("A rate is positive."), code="invalid_rate")
    with transaction.atomic():
        base, _ = BaseRate.objects.update_or_create(
            currency=currency, effective_from=effective_from,
            defaults={"rate": rate, "reason": reason.strip()[:300], "set_by": actor})
        audit_record(code="billing.rates.base_set", actor=actor, target=currency,
                     details={"rate": str(rate), "effective_from": effective_from.isoformat(), "reason": reason})
    return base
