"""The routes' SMPP passwords are stored encrypted (smsportal.crypto) and read in clear by the
connector; a reversible data migration encrypts the ones saved before."""
import importlib
import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from messaging.models import Route
from smsportal import crypto
from messaging.status import Status
from tests.factories import RouteFactory
from tests.messaging.test_connector import (all_in, connector, make_sim, point, send, shop,  # noqa: F401 (fixtures)
                                            statuses, wait_for)

pytestmark = pytest.mark.django_db


def stored_password(route) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT password FROM messaging_route WHERE id = %s", [route.pk])
        return cur.fetchone()[0]


def test_smpp_password_is_stored_encrypted_and_read_in_clear():
    route = RouteFactory(password="s3cret")
    assert crypto.is_encrypted(stored_password(route)) and "s3cret" not in stored_password(route)
    assert Route.objects.get(pk=route.pk).password == "s3cret"  # what the connector binds with
    route = RouteFactory(name="no-password", password="")
    assert stored_password(route) == ""


def test_smpp_password_still_at_most_nine_characters():
    route = RouteFactory.build(name="long", password="x" * 10)
    with pytest.raises(ValidationError) as exc:
        route.full_clean()
    assert "password" in exc.value.message_dict


def test_migration_encrypts_existing_passwords_and_reverses():
    migration = importlib.import_module("messaging.migrations.0018_route_password_encrypted")
    route = RouteFactory(password="s3cret")
    with connection.cursor() as cur:  # as saved before passwords were encrypted
        cur.execute("UPDATE messaging_route SET password = 'old-pass' WHERE id = %s", [route.pk])
    with connection.schema_editor(atomic=False) as editor:
        migration.encrypt_all(None, editor)
        assert Route.objects.get(pk=route.pk).password == "old-pass"
        migration.encrypt_all(None, editor)  # again: nothing is encrypted twice
        assert Route.objects.get(pk=route.pk).password == "old-pass"
        migration.decrypt_all(None, editor)
        assert stored_password(route) == "old-pass"


def test_secrets_reencrypt_covers_route_passwords(settings):
    route = RouteFactory(password="s3cret")
    new = Fernet.generate_key().decode()
    with override_settings(SMSPORTAL_ENCRYPTION_KEYS=[new, *settings.SMSPORTAL_ENCRYPTION_KEYS]):
        out = io.StringIO()
        call_command("secrets_reencrypt", stdout=out)
        assert "1 route passwords" in out.getvalue()
    with override_settings(SMSPORTAL_ENCRYPTION_KEYS=[new]):
        assert Route.objects.get(pk=route.pk).password == "s3cret"


@pytest.mark.django_db(transaction=True)
def test_connector_binds_with_the_decrypted_password(route, make_sim, shop):
    sim = make_sim(system_id="smsportal", password="s3cret")  # any other password: ESME_RBINDFAIL
    point(route, sim, password="s3cret")
    assert crypto.is_encrypted(stored_password(route))
    (mid,) = send(shop, "+380671234567")
    with connector(route):
        assert wait_for(all_in([mid], Status.DELIVERED)), statuses([mid])
    assert sim.stats["bind_failures"] == 0
