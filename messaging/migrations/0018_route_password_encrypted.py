"""Encrypts the routes' SMPP passwords stored in clear before (Route.password is an
EncryptedCharField now). Reversible: the reverse decrypts them. Plain SQL: the model's field
would try to decrypt the clear values on reading."""
from django.db import migrations

from smsportal import crypto


def _each(schema_editor, one):
    table = schema_editor.quote_name("messaging_route")
    with schema_editor.connection.cursor() as cur:
        cur.execute(f"SELECT id, password FROM {table} ORDER BY id")
        for pk, password in cur.fetchall():
            new = one(password) if password else password
            if new != password:
                cur.execute(f"UPDATE {table} SET password = %s WHERE id = %s", [new, pk])


def encrypt_all(apps, schema_editor):
    _each(schema_editor, lambda v: v if crypto.is_encrypted(v) else crypto.encrypt(v))


def decrypt_all(apps, schema_editor):
    _each(schema_editor, lambda v: crypto.decrypt(v) if crypto.is_encrypted(v) else v)


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0017_route_password_longer"),
    ]

    operations = [migrations.RunPython(encrypt_all, decrypt_all)]
