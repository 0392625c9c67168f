"""Data: a starting price list for a fresh install (staff edit or replace it in admin).

Added only when there is no price list at all, so an existing installation keeps its prices.
SMS prices are UAH per segment; Viber prices EUR per message. Step 1 is the regular price;
a single top-up from 1,000 / 5,000 / 20,000 UAH opens a 30-day grace period at step 2 / 3 / 4.
"""
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import migrations

NAME = "Standard 2026"
MARK = "Starting price list (migration billing.0005)."
STEPS = [(1, "1"), (2, "1000"), (3, "5000"), (4, "20000")]
# Ukraine, every operator: (service/international, service/national, advertising/international, advertising/national)
UA = {1: ("1.19", "0.89", "1.29", "0.99"), 2: ("1.15", "0.86", "1.25", "0.96"),
      3: ("1.10", "0.82", "1.20", "0.92"), 4: ("1.05", "0.78", "1.15", "0.88")}
ABROAD = [("", "2.50"), ("PL", "1.90"), ("MD", "1.60")]  # regular price only; "" = every other country
VIBER = {1: ("0.0150", "0.0190", "0.0500"), 2: ("0.0147", "0.0186", "0.0500"),
         3: ("0.0144", "0.0182", "0.0500"), 4: ("0.0140", "0.0178", "0.0500")}  # service, advertising, session


def seed(apps, schema_editor):
    Tariff = apps.get_model("billing", "Tariff")
    TopupStep = apps.get_model("billing", "TopupStep")
    TariffPrice = apps.get_model("billing", "TariffPrice")
    if Tariff.objects.exists():
        return
    tariff = Tariff.objects.create(
        name=NAME, valid_from=datetime(2026, 1, 1, tzinfo=ZoneInfo("Europe/Kyiv")),
        sms_segment_price=Decimal("1.19"), sms_segment_price_currency="UAH", notes=MARK)
    for number, amount in STEPS:
        TopupStep.objects.create(tariff=tariff, number=number, min_amount=Decimal(amount),
                                 min_amount_currency="UAH")
    lines = []
    for step, prices in UA.items():
        combos = [("service", "international"), ("service", "national"), ("advertising", "international"),
                  ("advertising", "national")]
        for (message_type, sender_class), price in zip(combos, prices, strict=True):
            lines.append(dict(step=step, channel="sms", country="UA", message_type=message_type,
                              sender_class=sender_class, price=Decimal(price), price_currency="UAH"))
    for country, price in ABROAD:
        lines.append(dict(step=1, channel="sms", country=country, price=Decimal(price), price_currency="UAH"))
    for step, prices in VIBER.items():
        for message_type, price in zip(("service", "advertising", "session"), prices, strict=True):
            lines.append(dict(step=step, channel="viber", message_type=message_type, price=Decimal(price),
                              price_currency="EUR"))
    TariffPrice.objects.bulk_create([TariffPrice(tariff=tariff, **line) for line in lines])


def unseed(apps, schema_editor):
    Tariff = apps.get_model("billing", "Tariff")
    GracePeriod = apps.get_model("billing", "GracePeriod")
    for tariff in Tariff.objects.filter(name=NAME, notes=MARK):
        GracePeriod.objects.filter(tariff=tariff).update(tariff=None)
        tariff.delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0004_ledger_entry_public_id_unique")]

    operations = [migrations.RunPython(seed, unseed)]
