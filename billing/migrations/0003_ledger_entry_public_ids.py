"""Data: public ids for existing ledger entries, and their `available_after` (before this release
there were no holds and no overdraft, so available after an entry was its balance after)."""
import uuid

from django.db import migrations
from django.db.models import F


def fill(apps, schema_editor):
    LedgerEntry = apps.get_model("billing", "LedgerEntry")
    LedgerEntry.objects.filter(available_after=0).update(available_after=F("balance_after"))
    for pk in LedgerEntry.objects.filter(public_id__isnull=True).values_list("pk", flat=True).iterator():
        LedgerEntry.objects.filter(pk=pk).update(public_id=uuid.uuid4())


def unfill(apps, schema_editor):
    LedgerEntry = apps.get_model("billing", "LedgerEntry")
    LedgerEntry.objects.update(public_id=None)


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_wallet_holds_bonus_prices_invoices_rates")]

    operations = [migrations.RunPython(fill, unfill)]
