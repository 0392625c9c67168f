"""Schema: ledger entries' public ids are unique and required (filled by 0003)."""
import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_ledger_entry_public_ids")]

    operations = [
        migrations.AlterField(
            model_name="ledgerentry",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
