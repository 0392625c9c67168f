"""How money reads for people (pages, error texts, notices): one helper for the whole website.

- An amount (a balance, a total, what a send costs): thousands grouped, 2 decimals, half up:
  `7,140.00` — the same as the templates' `floatformat:"2g"`.
- A price per message or part (`places=None`): 2 decimals, or 4 when it has fractions of a
  kopeck (cent): `0.85`, `0.8450`. In a table, one number of decimals for the whole table
  (`table_places`), so `0.0150` and `0.0500` line up.
Machine-readable amounts (API fields, JSON `extra`) stay plain decimal strings.
"""
from decimal import ROUND_HALF_UP, Decimal


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
    for a price (2, or 4 with fractions of a kopeck)."""
    amount = Decimal(getattr(amount, "amount", amount))
    if places is None:
        places = money_places(amount)
    amount = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{amount:,.{places}f}"
