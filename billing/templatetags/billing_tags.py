"""Template filters of the billing pages."""
from decimal import ROUND_HALF_UP, Decimal

from django import template

from smsportal.money import money_text

register = template.Library()


@register.filter
def price(value, places=None) -> str:
    """A price: 2 decimals, or 4 when it has fractions of a kopeck (as the API): 0.85, 0.8450.
    `places`: the decimals of the whole table it is in (`table_places`): {{ r.yours|price:places }}."""
    amount = getattr(value, "amount", value)
    if amount is None or amount == "":
        return ""
    return money_text(amount, None if places in (None, "") else int(places))


@register.filter
def money(value) -> str:
    """An amount: grouped, 2 decimals (7,140.00), as every page and error text shows it."""
    amount = getattr(value, "amount", value)
    if amount is None or amount == "":
        return ""
    return money_text(amount)


@register.filter
def mul_rate(value, rate):
    """A EUR price in UAH at `rate`, rounded half-up to 0.0001 as charges are."""
    amount = Decimal(getattr(value, "amount", value)) * Decimal(rate)
    return amount.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


@register.filter
def rate(value) -> str:
    """An exchange rate: at least 4 decimals, no trailing zeros beyond them (45.1234, 45.123456)."""
    value = Decimal(value)
    text = f"{value.normalize():f}"
    decimals = len(text.split(".")[1]) if "." in text else 0
    return f"{value:.{max(decimals, 4)}f}"


@register.filter
def ledger_description(value) -> str:
    """A ledger entry's description in the reader's language (billing/descriptions.py)."""
    from billing.descriptions import entry_description  # noqa: PLC0415

    return entry_description(value or "")
