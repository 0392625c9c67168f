"""Secrets kept in the database encrypted at rest: the TOTP keys and recovery-code seeds of
allauth.mfa (accounts.mfa.MFAAdapter), the clients' webhook signing secrets
(messaging.WebhookEndpoint.secret) and the routes' SMPP passwords (messaging.Route.password).

Fernet (AES-128-CBC + HMAC-SHA256, cryptography) under the keys in settings.SMSPORTAL_ENCRYPTION_KEYS
(env `SMSPORTAL_ENCRYPTION_KEYS`, comma-separated). The first key encrypts; every key decrypts, so a
key is rotated by putting the new one first, running `manage.py secrets_reencrypt`, then dropping
the old one. With DEBUG and no keys a development key is derived from SECRET_KEY (settings.py).
"""
from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Every Fernet token starts with its version byte 0x80: "gAAAAA" in url-safe base64, and has at
# least 100 characters (of an empty text). None of our plain secrets looks like that (TOTP keys
# are base32 A-Z2-7, seeds lowercase hex, webhook secrets "whsec_…", SMPP passwords 9 characters).
TOKEN_PREFIX = "gAAAAA"
TOKEN_MIN_LENGTH = 100

__all__ = ["InvalidToken", "TOKEN_PREFIX", "decrypt", "dev_key_from_secret", "encrypt", "is_encrypted",
           "key_validate", "reencrypt"]


def dev_key_from_secret(secret_key: str) -> str:
    """The development key derived from SECRET_KEY (DEBUG only; production sets its own keys)."""
    digest = hashlib.sha256(b"smsportal-encryption-dev-key:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def key_validate(key: str) -> None:
    """ImproperlyConfigured unless `key` is a Fernet key (32 url-safe base64-encoded bytes)."""
    try:
        Fernet(key.encode())
    except (ValueError, TypeError):
        raise ImproperlyConfigured(
            "SMSPORTAL_ENCRYPTION_KEYS: each key must be a Fernet key (32 url-safe base64-encoded bytes); make "
            "one with: python -c \"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())\""
        ) from None


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("SMSPORTAL_ENCRYPTION_KEYS is empty: secrets cannot be encrypted.")
    for key in keys:
        key_validate(key)
    return MultiFernet([Fernet(k.encode()) for k in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.SMSPORTAL_ENCRYPTION_KEYS))


def is_encrypted(value: str | None) -> bool:
    return bool(value) and len(value) >= TOKEN_MIN_LENGTH and value.startswith(TOKEN_PREFIX)


def encrypt(text: str) -> str:
    return _current().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    """The plain text; InvalidToken when no configured key opened it (a wrong or dropped key)."""
    return _current().decrypt(token.encode()).decode()


def reencrypt(token: str) -> str:
    """The same secret under the first key (key rotation)."""
    return _current().rotate(token.encode()).decode()
