"""Billing test helpers: price lists with steps and lines, times in Kyiv, staff users.
Money is always set up through services (wallet_topup, …), never by writing a balance."""
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from djmoney.money import Money

from accounts.models import User
from billing.models import Tariff, TariffPrice, TopupStep

KYIV = ZoneInfo("Europe/Kyiv")


def kyiv(text: str) -> datetime:
    """'2026-03-01 10:00' as an aware Kyiv time."""
    return datetime.fromisoformat(text).replace(tzinfo=KYIV)


def make_tariff(*, name="Test prices", valid_from="2026-02-01 00:00", default="1.00", steps=None, lines=(),
                announced_at=None, announced=True):
    """A price list. `steps`: {number: min_amount}; `lines`: dicts of TariffPrice fields with
    `price` as a str (UAH for SMS, EUR for Viber)."""
    if isinstance(valid_from, str):
        valid_from = kyiv(valid_from)
    tariff = Tariff.objects.create(name=name, valid_from=valid_from, sms_segment_price=Money(Decimal(default), "UAH"),
                                   announced_at=(announced_at or valid_from - timedelta(days=7)) if announced else None)
    for number, amount in (steps or {}).items():
        TopupStep.objects.create(tariff=tariff, number=number, min_amount=Money(Decimal(amount), "UAH"))
    for line in lines:
        line = dict(line)
        channel = line.setdefault("channel", "sms")
        line["price"] = Money(Decimal(line["price"]), "UAH" if channel == "sms" else "EUR")
        TariffPrice.objects.create(tariff=tariff, **line)
    return tariff


def stepped_tariff(**kwargs):
    """Regular 1.00 UAH a segment to Ukraine; a single top-up from 1,000 UAH (step 2) gives 0.90
    and from 5,000 UAH (step 3) 0.80 for the grace period."""
    return make_tariff(steps={1: "1", 2: "1000", 3: "5000"}, lines=[
        {"step": 1, "country": "UA", "price": "1.00"},
        {"step": 2, "country": "UA", "price": "0.90"},
        {"step": 3, "country": "UA", "price": "0.80"},
    ], **kwargs)


def make_staff(email="staff@example.com") -> User:
    return User.objects.create_superuser(email, "staff-pass-123")
