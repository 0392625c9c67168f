"""How money reads for people (pages, error texts, notices): one helper for the whole website.

- An amount (a balance, a total, what a send costs): thousands grouped, 2 decimals, half up:
  `7,140.00` in English, `7 140,00` in Ukrainian (a no-break space) — the active language's
  separators, the same as the templates' `floatformat:"2g"`.
- A price per message or part (`places=None`): 2 decimals, or 4 when it has fractions of a
  kopeck (cent): `0.85`, `0.8450`. In a table, one number of decimals for the whole table
  (`table_places`), so `0.0150` and `0.0500` line up.
Machine-readable amounts (API fields, webhooks, JSON `extra`, CSV) stay plain decimal strings:
`money_plain`, and `money_json` for the API's and webhooks' `{"amount": "7140.00", "currency": "UAH"}`.
"""
from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format


def money_places(amount) -> int:
    """2, or 4 when the amount has fractions of a kopeck."""
    amount = Decimal(getattr(amount, "amount", amount))
    return 2 if amount == amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) else 4


def money_plain(amount) -> str:
    """A machine-readable amount (API fields, CSV): no grouping, 2 decimals or 4 with fractions
    of a kopeck: `7140.00`, `0.8450`."""
    amount = Decimal(getattr(amount, "amount", amount))
    return f"{amount:.{money_places(amount)}f}"


def table_places(amounts) -> int:
    """The decimals every price of one table is shown with: 4 if any needs them, else 2."""
    return max((money_places(a) for a in amounts if a is not None and a != ""), default=2)


def money_text(amount, places: int | None = 2) -> str:
    """`amount` (Decimal, number or Money) grouped with `places` decimals, half up; `places=None`
    for a price (2, or 4 with fractions of a kopeck). The separators are the active language's:
    `1,234.56` (en), `1 234,56` (uk)."""
    amount = Decimal(getattr(amount, "amount", amount))
    if places is None:
        places = money_places(amount)
    amount = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return number_format(amount, places, use_l10n=True, force_grouping=True)


def money_json(money, currency: str | None = None) -> dict:
    """Money as JSON, the one shape of every amount of the API and the webhooks: a decimal string
    (2 places, or 4 when it has fractions of a kopeck) and the currency. `money` is a Money, or a
    plain amount with `currency` (UAH when not given)."""
    if currency is None:
        currency = str(getattr(money, "currency", "UAH"))
    return {"amount": money_plain(money), "currency": str(currency)}
