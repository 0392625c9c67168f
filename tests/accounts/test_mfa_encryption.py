"""TOTP keys and recovery-code seeds are stored encrypted (accounts.mfa.MFAAdapter, smsportal.crypto),
existing rows are encrypted by a reversible data migration, and a rotated key still opens them."""
import importlib
import io
import json

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (TOTP, format_hotp_value, generate_totp_secret, hotp_value,
                                            yield_hotp_counters_from_time)
from cryptography.fernet import Fernet
from django.apps import apps
from django.db import connection
from django.test import override_settings

from smsportal import crypto
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
MIGRATION = importlib.import_module("accounts.migrations.0005_mfa_secrets_encrypted")


def stored_data(pk) -> dict:
    """The row as the database holds it (no adapter in between)."""
    with connection.cursor() as cur:
        cur.execute("SELECT data FROM mfa_authenticator WHERE id = %s", [pk])
        data = cur.fetchone()[0]
    return json.loads(data) if isinstance(data, str) else data


def test_r_acc_05_totp_key_is_stored_encrypted_and_still_checks_codes():
    user = UserFactory(is_staff=True)
    secret = generate_totp_secret()
    totp = TOTP.activate(user, secret)
    stored = stored_data(totp.instance.pk)["secret"]
    assert stored != secret and secret not in str(stored_data(totp.instance.pk))
    assert crypto.is_encrypted(stored) and crypto.decrypt(stored) == secret
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    assert TOTP(Authenticator.objects.get(pk=totp.instance.pk)).validate_code(code)


def test_recovery_code_seed_is_stored_encrypted():
    user = UserFactory()
    codes = RecoveryCodes.activate(user)
    stored = stored_data(codes.instance.pk)["seed"]
    assert crypto.is_encrypted(stored)
    assert RecoveryCodes(Authenticator.objects.get(pk=codes.instance.pk)).generate_codes() == codes.generate_codes()


def test_migration_encrypts_existing_secrets_and_reverses():
    user = UserFactory()
    totp = Authenticator.objects.create(user=user, type="totp", data={"secret": "JBSWY3DPEHPK3PXP"})
    rc = Authenticator.objects.create(user=user, type="recovery_codes",
                                      data={"seed": "ab" * 40, "used_mask": 0, "migrated_codes": ["12345678"]})
    MIGRATION.encrypt_all(apps, None)
    t, r = stored_data(totp.pk), stored_data(rc.pk)
    assert crypto.decrypt(t["secret"]) == "JBSWY3DPEHPK3PXP"
    assert crypto.decrypt(r["seed"]) == "ab" * 40 and crypto.decrypt(r["migrated_codes"][0]) == "12345678"
    assert r["used_mask"] == 0
    MIGRATION.encrypt_all(apps, None)  # again: nothing is encrypted twice
    assert crypto.decrypt(stored_data(totp.pk)["secret"]) == "JBSWY3DPEHPK3PXP"
    MIGRATION.decrypt_all(apps, None)
    assert stored_data(totp.pk) == {"secret": "JBSWY3DPEHPK3PXP"}
    assert stored_data(rc.pk) == {"seed": "ab" * 40, "used_mask": 0, "migrated_codes": ["12345678"]}


def test_a_rotated_key_still_opens_secrets_stored_under_the_old_one(settings):
    user = UserFactory()
    secret = generate_totp_secret()
    totp = TOTP.activate(user, secret)
    new = Fernet.generate_key().decode()
    with override_settings(SMSPORTAL_ENCRYPTION_KEYS=[new, *settings.SMSPORTAL_ENCRYPTION_KEYS]):
        assert crypto.decrypt(stored_data(totp.instance.pk)["secret"]) == secret
        assert Fernet(new.encode()).decrypt(crypto.reencrypt(stored_data(totp.instance.pk)["secret"]).encode()) \
            == secret.encode()
    with override_settings(SMSPORTAL_ENCRYPTION_KEYS=[new]), pytest.raises(crypto.InvalidToken):
        crypto.decrypt(stored_data(totp.instance.pk)["secret"])  # a dropped key opens nothing


def test_secrets_reencrypt_moves_every_secret_to_the_new_key(settings, client_account):
    from django.core.management import call_command  # noqa: PLC0415

    from messaging.models import WebhookEndpoint  # noqa: PLC0415
    from messaging.services.webhooks import webhook_endpoint_set  # noqa: PLC0415

    user = UserFactory()
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    codes = RecoveryCodes.activate(user).generate_codes()
    _, raw = webhook_endpoint_set(client=client_account, url="https://hooks.example.com/x")
    new = Fernet.generate_key().decode()
    with override_settings(SMSPORTAL_ENCRYPTION_KEYS=[new, *settings.SMSPORTAL_ENCRYPTION_KEYS]):
        out = io.StringIO()
        call_command("secrets_reencrypt", stdout=out)
        assert "re-encrypted 2 authenticators, 1 webhook secrets and" in out.getvalue()
    with override_settings(SMSPORTAL_ENCRYPTION_KEYS=[new]):  # the old key is gone
        assert crypto.decrypt(Authenticator.objects.get(user=user, type="totp").data["secret"]) == secret
        assert RecoveryCodes(Authenticator.objects.get(user=user, type="recovery_codes")).generate_codes() == codes
        assert WebhookEndpoint.objects.get(client=client_account).secret == raw
