"""`manage.py secrets_reencrypt`: after a new key is put first in SMSPORTAL_ENCRYPTION_KEYS, stores
every encrypted secret (TOTP keys, recovery-code seeds, webhook signing secrets, SMPP passwords)
again under it.
Then the old keys can be dropped from the list. Safe to run again."""
from django.core.management.base import BaseCommand

from accounts.mfa import mfa_secrets_reencrypt
from messaging.services.secrets import route_passwords_reencrypt
from messaging.services.webhooks import webhook_secrets_reencrypt


class Command(BaseCommand):
    help = "Re-encrypts the stored secrets under the first SMSPORTAL_ENCRYPTION_KEYS key (key rotation)."

    def handle(self, *args, **options):
        authenticators = mfa_secrets_reencrypt()
        endpoints = webhook_secrets_reencrypt()
        routes = route_passwords_reencrypt()
        self.stdout.write(f"re-encrypted {authenticators} authenticators, {endpoints} webhook secrets and {routes} "
                          "route passwords under the first key; older keys can now be removed from "
                          "SMSPORTAL_ENCRYPTION_KEYS")
