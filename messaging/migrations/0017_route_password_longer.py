import django.core.validators
from django.db import migrations

import smsportal.fields


class Migration(migrations.Migration):
    """The route's SMPP password column holds its encrypted form (longer than the password)."""

    dependencies = [
        ("messaging", "0016_webhook_secret_encrypted"),
    ]

    operations = [
        migrations.AlterField(
            model_name="route",
            name="password",
            field=smsportal.fields.EncryptedCharField(
                blank=True, max_length=255, validators=[django.core.validators.MaxLengthValidator(9)]),
        ),
    ]
