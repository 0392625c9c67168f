"""TOTP keys and recovery-code seeds of allauth.mfa stored encrypted (accounts.mfa.MFAAdapter):
encrypts the rows written before, in clear. Reversible: the reverse decrypts them."""
from django.db import migrations

from smsportal import crypto

# The secret values of each authenticator type in Authenticator.data (allauth.mfa 65.x).
FIELDS = {"totp": ("secret",), "recovery_codes": ("seed",)}
LISTS = {"recovery_codes": ("migrated_codes",)}


def _convert(data: dict, kind: str, one) -> bool:
    changed = False
    for name in FIELDS.get(kind, ()):
        if isinstance(data.get(name), str):
            new = one(data[name])
            changed |= new != data[name]
            data[name] = new
    for name in LISTS.get(kind, ()):
        if isinstance(data.get(name), list):
            new = [one(v) if isinstance(v, str) else v for v in data[name]]
            changed |= new != data[name]
            data[name] = new
    return changed


def _each(apps, one):
    Authenticator = apps.get_model("mfa", "Authenticator")
    for auth in Authenticator.objects.filter(type__in=list(FIELDS)).order_by("pk").iterator():
        if _convert(auth.data, auth.type, one):
            auth.save(update_fields=["data"])


def encrypt_all(apps, schema_editor):
    _each(apps, lambda v: v if crypto.is_encrypted(v) else crypto.encrypt(v))


def decrypt_all(apps, schema_editor):
    _each(apps, lambda v: crypto.decrypt(v) if crypto.is_encrypted(v) else v)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_periodic_jobs"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(encrypt_all, decrypt_all)]
