"""Encrypts the webhook signing secrets stored in clear before (WebhookEndpoint.secret is an
EncryptedCharField now). Reversible: the reverse decrypts them. Plain SQL: the model's field
would try to decrypt the clear values on reading."""
from django.db import migrations

from smsportal import crypto


def _each(schema_editor, one):
    table = schema_editor.quote_name("messaging_webhookendpoint")
    with schema_editor.connection.cursor() as cur:
        cur.execute(f"SELECT id, secret FROM {table} ORDER BY id")
        rows = cur.fetchall()
        for pk, secret in rows:
            new = one(secret) if secret else secret
            if new != secret:
                cur.execute(f"UPDATE {table} SET secret = %s WHERE id = %s", [new, pk])


def encrypt_all(apps, schema_editor):
    _each(schema_editor, lambda v: v if crypto.is_encrypted(v) else crypto.encrypt(v))


def decrypt_all(apps, schema_editor):
    _each(schema_editor, lambda v: crypto.decrypt(v) if crypto.is_encrypted(v) else v)


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0015_webhook_secret_longer"),
    ]

    operations = [migrations.RunPython(encrypt_all, decrypt_all)]
