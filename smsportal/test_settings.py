"""Settings for the test suite: real PostgreSQL and Redis (override with the same env vars)."""
import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/smsportal")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

# DEBUG is off, as in production: the secrets it requires (smsportal/settings.py), fixed for tests.
os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "t" * 50)
os.environ.setdefault("SMSPORTAL_ENCRYPTION_KEYS", "dGVzdC1lbmNyeXB0aW9uLWtleS1zbXNwb3J0YWwtMDA=")

from .settings import *  # noqa: E402,F403

# The suite reads English: most tests assert the English texts. Production's default is Ukrainian
# (settings.LANGUAGE_CODE); tests of Ukrainian ask for it (Accept-Language: uk,
# translation.override("uk") or the user's language).
LANGUAGE_CODE = "en"
CELERY_TASK_ALWAYS_EAGER = True  # unit tests; end-to-end tests run a real worker instead
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True
SMSPORTAL_CONNECTOR_IDLE_POLL = 0.2
SMSPORTAL_WEBHOOK_ALLOW_PRIVATE = True  # receivers on 127.0.0.1; the refusal is tested with override_settings
# The payment callback is configured, as in production; its unconfigured answer (503) is tested
# with the setting emptied.
BILLING_PAYMENT_CALLBACK_SECRET = "test-payment-callback-secret"
# Per-API-key rate limits run in every API test with a limit no test reaches; test_api_throttle
# sets its own.
SMSPORTAL_API_RATE = "1000/s"
