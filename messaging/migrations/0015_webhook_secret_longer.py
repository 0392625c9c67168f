from django.db import migrations

import smsportal.fields


class Migration(migrations.Migration):
    """The webhook signing secret's column holds its encrypted form (longer than the secret)."""

    dependencies = [
        ("messaging", "0014_bind_heartbeat"),
    ]

    operations = [
        migrations.AlterField(
            model_name="webhookendpoint",
            name="secret",
            field=smsportal.fields.EncryptedCharField(max_length=255),
        ),
    ]
