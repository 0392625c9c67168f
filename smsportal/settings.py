"""smsportal settings: everything that differs between machines comes from the environment.

The project runs on PostgreSQL and a Redis-compatible broker only. With no DATABASE_URL /
CELERY_BROKER_URL (a fresh clone, `make run`) it uses the PostgreSQL and Valkey servers that
`manage.py devservers` runs from their PyPI wheels, with their data under `var/` (smsportal.devservers).
Production and the test suite set DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis or RabbitMQ).
"""
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from smsportal.crypto import dev_key_from_secret, key_validate

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("SMSPORTAL_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost"]),
)
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env("DEBUG")
# Production (DEBUG off) refuses to start without its own SECRET_KEY and encryption keys; DEBUG
# (`make run`) falls back to development values.
DEV_SECRET_KEY = "insecure-dev-key-change-me-" + "x" * 40
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = DEV_SECRET_KEY
elif not SECRET_KEY or (not DEBUG and SECRET_KEY == DEV_SECRET_KEY):
    raise ImproperlyConfigured(
        "SECRET_KEY is not set (or is the development key) while DEBUG is false: set SECRET_KEY to a long "
        "random value in the environment or .env (e.g. python -c \"import secrets; print(secrets.token_urlsafe(50))\")"
        ", or set DEBUG=true for development.")
# Secrets kept in the database (TOTP keys, webhook signing secrets) are encrypted with these
# Fernet keys (smsportal.crypto): comma-separated, the first encrypts, all decrypt (rotation).
SMSPORTAL_ENCRYPTION_KEYS = env.list("SMSPORTAL_ENCRYPTION_KEYS", default=[])
if not SMSPORTAL_ENCRYPTION_KEYS and DEBUG:
    SMSPORTAL_ENCRYPTION_KEYS = [dev_key_from_secret(SECRET_KEY)]
elif not SMSPORTAL_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "SMSPORTAL_ENCRYPTION_KEYS is not set while DEBUG is false: set it to one or more comma-separated "
        "Fernet keys (python -c \"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())\"); "
        "keep every key that encrypted stored secrets, newest first.")
for _key in SMSPORTAL_ENCRYPTION_KEYS:
    key_validate(_key)
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
# The TurboSMS-compatible facade (messaging.turbosms) answers at the root of these host names
# (comma-separated, e.g. api.example.ua): a TurboSMS client moves over by pointing its host there.
# They are allowed hosts too. TURBOSMS_PATH_PREFIX: the facade also under this path of the site
# (default `turbosms/` with DEBUG, as under `make run`; none in production).
TURBOSMS_HOSTS = [h.strip().lower() for h in env.list("TURBOSMS_HOSTS", default=[]) if h.strip()]
ALLOWED_HOSTS += [h for h in TURBOSMS_HOSTS if h not in ALLOWED_HOSTS]
TURBOSMS_PATH_PREFIX = env.str("TURBOSMS_PATH_PREFIX", default="turbosms/" if DEBUG else "").strip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_celery_beat",
    "djmoney",
    "accounts",
    "billing",
    "senders",
    "compliance",
    "messaging",
    "lifecycle",  # above every app: block, termination, data destruction
]

MIDDLEWARE = [
    "smsportal.health.ProbeMiddleware",  # /healthz and /metrics, before the host check and HTTPS redirect
    "django.middleware.security.SecurityMiddleware",
    "messaging.turbosms.middleware.TurboSmsHostMiddleware",  # its hosts get the facade's urlconf
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",  # after auth and LocaleMiddleware: the user's own language wins
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "smsportal.urls"
WSGI_APPLICATION = "smsportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
# Without DATABASE_URL: the PostgreSQL of `manage.py devservers` (`make run`), data in var/pg.
SMSPORTAL_DEV_PG_PORT = env.int("SMSPORTAL_DEV_PG_PORT", default=54329)
DATABASES = {"default": env.db("DATABASE_URL",
                               default=f"postgres://postgres@127.0.0.1:{SMSPORTAL_DEV_PG_PORT}/smsportal")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL: smsportal runs on PostgreSQL only (postgres://user@host:5432/db); "
                               "unset it and `make run` starts its own.")
# Connections per process are bounded, and each process type is sized by its own environment
# (Procfile.prod, deploy/): pg_stat_activity shows them by DB_APPLICATION_NAME.
# - DB_POOL_MAX_SIZE > 0: a psycopg connection pool of at most that many connections, shared
#   by the process's threads; a request waits up to DB_POOL_TIMEOUT seconds for one. For
#   threaded servers (gunicorn --threads T: T; runserver, which starts a thread per
#   connection: a few). Unused connections above DB_POOL_MIN_SIZE close after 10 minutes.
# - DB_POOL_MAX_SIZE = 0 (the default): one connection per thread, kept DB_CONN_MAX_AGE
#   seconds. Only for processes whose threads are few and reused: gunicorn sync workers,
#   Celery prefork children and beat (1 each), the SMPP connector (its own threads, a few per
#   bind, closed when they stop).
_pool_max = env.int("DB_POOL_MAX_SIZE", default=0)
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"].setdefault("application_name", env.str("DB_APPLICATION_NAME", default="smsportal"))
if _pool_max > 0:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them; Django refuses both
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": min(env.int("DB_POOL_MIN_SIZE", default=1), _pool_max),
        "max_size": _pool_max,
        "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A cache shared by every process (login rate limits, lockout): Redis in production.
CACHES = {"default": env.cache("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}

# --- auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"email"}
# R-ACC-01: the primary mobile phone is part of sign-up and is verified by an SMS code sent through
# our own pipeline (accounts.adapter) before the first login: 10 minutes, 3 wrong codes end it.
ACCOUNT_SIGNUP_FIELDS = ["email*", "phone*", "password1*", "password2*"]
ACCOUNT_PHONE_VERIFICATION_ENABLED = True
ACCOUNT_PHONE_VERIFICATION_TIMEOUT = 10 * 60
ACCOUNT_PHONE_VERIFICATION_MAX_ATTEMPTS = 3
ACCOUNT_PHONE_VERIFICATION_SUPPORTS_RESEND = 2
ACCOUNT_PHONE_VERIFICATION_SUPPORTS_CHANGE = 1
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
# R-ACC-03: three wrong passwords in a row lock a login for 15 minutes (the per-IP limit stops
# guessing across many logins). Kept in the shared cache (CACHES): Redis in production.
# The client's address (the per-IP limits, API key allow-lists) is resolved in one place,
# smsportal.http.client_ip, from these settings. Behind the TLS proxy set TRUSTED_PROXY_COUNT to
# the number of proxies of ours that append to X-Forwarded-For (1 for one nginx), or
# TRUSTED_CLIENT_IP_HEADER to a header only the proxy sets (e.g. X-Real-IP); with neither (the
# default) the header is ignored and REMOTE_ADDR is the client, so a forged one changes nothing.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env.str("TRUSTED_CLIENT_IP_HEADER", default="") or None
if ALLAUTH_TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT is the number of trusted proxies: 0 or more.")
ACCOUNT_RATE_LIMITS = {
    "login_failed": "20/15m/ip,3/15m/key",
    "verify_phone": "1/30s/key,3/m/ip,6/h/key",
}
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm", "change_password": "accounts.password_forms.ChangePasswordForm",
                 "reset_password_from_key": "accounts.password_forms.ResetPasswordKeyForm"}
# MFA: TOTP with recovery codes; optional for clients, required for staff (accounts/mfa.py).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "smsportal"
MFA_ADAPTER = "accounts.mfa.MFAAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[smsportal] "

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
# The SMTP server when EMAIL_BACKEND is django.core.mail.backends.smtp.EmailBackend.
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="smsportal <noreply@smsportal.local>")

# --- i18n -----------------------------------------------------------------------------------
# Ukrainian first, English second. A visitor's language: the user's own choice (User.language,
# accounts.middleware.UserLanguageMiddleware), else the language cookie set by the switch in the
# header, else the browser's Accept-Language (LocaleMiddleware), else Ukrainian.
LANGUAGE_CODE = "uk"
LANGUAGES = [("uk", "Українська"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
FORMAT_MODULE_PATH = ["smsportal.formats"]  # dates as 01.12.2026 20:04 everywhere, the admin too
TIME_ZONE = "Europe/Kyiv"
USE_I18N = True
USE_TZ = True

# --- static ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
# With DEBUG off, hashed names from STATIC_ROOT/staticfiles.json: run `collectstatic` before the
# web server starts (it refuses to start without it: smsportal.checks). SMSPORTAL_STATIC_MANIFEST
# =false only for processes that serve no pages (the tests' API servers).
STATIC_MANIFEST = env.bool("SMSPORTAL_STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = VAR_DIR / "media"
# The site's public https address (https://portal.example.ua), for links that leave it: Viber
# fetches uploaded pictures by URL (messaging.viber_uploads). Empty: the request's own address.
SMSPORTAL_PUBLIC_BASE_URL = env.str("SMSPORTAL_PUBLIC_BASE_URL", default="")
# A 100,000-recipient campaign with variables is a few MB of JSON.
DATA_UPLOAD_MAX_MEMORY_SIZE = 32 * 1024 * 1024

# --- security (manage.py check --deploy is clean when DEBUG is off) --------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.api.permissions.IsClientUser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["smsportal.api.JSONParser"],  # a too-deep body is a 400, not a 500
    "EXCEPTION_HANDLER": "smsportal.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "NUM_PROXIES": ALLAUTH_TRUSTED_PROXY_COUNT,  # DRF throttles (if any) see the client as smsportal.http does
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Per-API-key rate limits (ApiKey.rate_limit, else SMSPORTAL_API_RATE): 429 `rate_limited`.
    "DEFAULT_THROTTLE_CLASSES": ["accounts.api.throttling.ApiKeyRateThrottle"],
}
# Requests an API key may make per second (/s), minute (/m), hour (/h) or day (/d) unless staff
# set its own limit in admin; empty: no limit. Counted in the shared cache (CACHES).
SMSPORTAL_API_RATE = env.str("SMSPORTAL_API_RATE", default="100/s")
SPECTACULAR_SETTINGS = {
    "TITLE": "smsportal API",
    "DESCRIPTION": "Send SMS and campaigns, follow their status, check the balance. Authenticate with "
                   "`Authorization: Bearer <api key>` (create keys on the website). Errors are JSON "
                   "`{\"code\": …, \"detail\": …}` with a 4xx status.\n\n"
                   "## Rate limits\n\nEach API key may make "
                   f"`{SMSPORTAL_API_RATE or 'unlimited'}` requests (per second `s`, minute `m`, hour `h`) "
                   "unless we agreed another limit for it. Over the limit the answer is 429 `{\"code\": \"rate_limited\", \"detail\": …}` "
                   "with a `Retry-After` header (seconds): wait that long and retry. Use one key per "
                   "integration, page lists with `cursor`, and export with `format=csv` rather than paging fast.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set used by several fields (a message's channel, status and type).
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": ["sms", "viber"],
        "MessageStatusEnum": ["scheduled", "pending_review", "queued", "submitting", "submitted", "delivered",
                              "undelivered", "expired", "rejected", "refused", "failed", "cancelled"],
        "MessageTypeEnum": ["service", "advertising"],
        "ViberTypeEnum": ["advertising", "transactional", "test", "welcome"],
    },
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "messaging.api.webhooks_doc.webhook_docs_hook"],  # the status webhooks
}

# --- Celery ---------------------------------------------------------------------------------
# Without CELERY_BROKER_URL: the Valkey of `manage.py devservers` (`make run`), data in var/valkey.
SMSPORTAL_DEV_VALKEY_PORT = env.int("SMSPORTAL_DEV_VALKEY_PORT", default=63799)
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=f"redis://127.0.0.1:{SMSPORTAL_DEV_VALKEY_PORT}/0")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# A task taken by a worker that died (kill -9, out of memory) is handed out again after this many
# seconds on Redis (Celery's default is an hour, so a killed worker's campaign stayed "accepting"
# that long). Every task is idempotent (a campaign's accept re-checks its state under the row
# lock), and none runs this long or is scheduled with a countdown.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300)}
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- smsportal ------------------------------------------------------------------------------
DEFAULT_CURRENCY = "UAH"
CURRENCIES = ("UAH", "EUR")
# Money as "476.20 UAH" (as on the website), exact to 4 places where a price has them (admin, __str__).
MONEY_FORMAT = {"format": "#,##0.00## ¤¤", "currency_digits": False}
# A send to more recipients than this is bulk: queued and released by the per-minute job
# (R-MSG-03). Fewer go out at once.
SMSPORTAL_BULK_THRESHOLD = env.int("SMSPORTAL_BULK_THRESHOLD", default=10)
SMSPORTAL_MAX_RECIPIENTS = env.int("SMSPORTAL_MAX_RECIPIENTS", default=1000)
SMSPORTAL_DAILY_CAP = env.int("SMSPORTAL_DAILY_CAP", default=10)  # messages a day to one recipient from one client (R-CMP-03)
SMSPORTAL_MAX_PARTS = 10
# The public offer (terms of service) a client accepts at sign-up (/offer/): its version is
# recorded with the time of acceptance; publish a new text under a new version.
SMSPORTAL_OFFER_VERSION = env.str("SMSPORTAL_OFFER_VERSION", default="2026-12-01")
# Message lifetime (R-MSG-01) when the client gives none: retried until then, then expired.
SMSPORTAL_DEFAULT_TTL = env.int("SMSPORTAL_DEFAULT_TTL", default=24 * 3600)
SMSPORTAL_MAX_CAMPAIGN_RECIPIENTS = 100_000
# Which holidays of `holidays.Ukraine` get the weekend sending window (R-CMP-07, compliance.hours):
# "named": every holiday the law names, a day off or not (under martial law there are no days
# off, yet Independence Day is still a holiday); "days_off": only public days off. Staff
# override any single day in admin (Sending calendar days).
SMSPORTAL_SENDING_HOURS_HOLIDAYS = env.str("SMSPORTAL_SENDING_HOURS_HOLIDAYS", default="named")
# The provider's own sender name for one-time codes and notices.
SMSPORTAL_SYSTEM_SENDER = env.str("SMSPORTAL_SYSTEM_SENDER", default="smsportal")
# How accounts sends its system SMS (codes, block notices): accounts sits below messaging and
# never imports it, so the function is named here (called with recipient= and text=).
SMSPORTAL_SYSTEM_SMS_FUNCTION = "messaging.services.send.system_message_send"
# How long the connector waits between database checks when nothing woke it.
SMSPORTAL_CONNECTOR_IDLE_POLL = env.float("SMSPORTAL_CONNECTOR_IDLE_POLL", default=1.0)
# Each connector writes its binds' state this often (messaging.services.binds); a bind whose row is
# older than the stale limit counts as down (/healthz, /metrics).
SMSPORTAL_BIND_HEARTBEAT_SECONDS = env.float("SMSPORTAL_BIND_HEARTBEAT_SECONDS", default=5.0)
SMSPORTAL_BIND_STALE_SECONDS = env.float("SMSPORTAL_BIND_STALE_SECONDS", default=20.0)
# /healthz fails when the oldest unmatched delivery receipt is older than this (seconds).
SMSPORTAL_HEALTH_MAX_RECEIPT_LAG = env.float("SMSPORTAL_HEALTH_MAX_RECEIPT_LAG", default=300.0)
# /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`; empty = /metrics is off (404).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# A part refused with a temporary error is retried after base × 2^(attempts-1) seconds, jittered,
# at most the max, until its lifetime (R-MSG-01) ends.
SMSPORTAL_RETRY_BASE_SECONDS = env.float("SMSPORTAL_RETRY_BASE_SECONDS", default=10.0)
SMSPORTAL_RETRY_MAX_SECONDS = env.float("SMSPORTAL_RETRY_MAX_SECONDS", default=900.0)
# How often an idle bind looks for submitted parts whose query_sm is due (R-MSG-04).
SMSPORTAL_QUERY_CHECK_INTERVAL = env.float("SMSPORTAL_QUERY_CHECK_INTERVAL", default=10.0)
# Status webhooks (messaging.services.webhooks): the POST's timeout; retries after base × 2^(n-1)
# seconds, at most the max, for 24 h. Private, loopback and reserved addresses are refused unless
# allowed (DEBUG, `make run`, the tests).
SMSPORTAL_WEBHOOK_TIMEOUT = env.float("SMSPORTAL_WEBHOOK_TIMEOUT", default=5.0)
SMSPORTAL_WEBHOOK_RETRY_BASE_SECONDS = env.float("SMSPORTAL_WEBHOOK_RETRY_BASE_SECONDS", default=30.0)
SMSPORTAL_WEBHOOK_RETRY_MAX_SECONDS = env.float("SMSPORTAL_WEBHOOK_RETRY_MAX_SECONDS", default=3600.0)
SMSPORTAL_WEBHOOK_ALLOW_PRIVATE = env.bool("SMSPORTAL_WEBHOOK_ALLOW_PRIVATE", default=DEBUG)
# Redis holding each route's TPS bucket, shared by every connector process of the route
# (messaging.smpp.throttle). Defaults to the broker when that is Redis; empty = per process only.
SMSPORTAL_REDIS_URL = env.str("SMSPORTAL_REDIS_URL",
                              default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
                              else "") or None
# The Viber provider (messaging.viber.http: a TurboSMS-like JSON API): its base URL and bearer
# token, the secret its status webhooks are signed with (messaging.viber.signing), and the
# timeout of one request in seconds. Empty: Viber sending is not configured.
SMSPORTAL_VIBER_BASE_URL = env.str("SMSPORTAL_VIBER_BASE_URL", default="")
SMSPORTAL_VIBER_TOKEN = env.str("SMSPORTAL_VIBER_TOKEN", default="")
SMSPORTAL_VIBER_WEBHOOK_SECRET = env.str("SMSPORTAL_VIBER_WEBHOOK_SECRET", default="")
SMSPORTAL_VIBER_TIMEOUT = env.float("SMSPORTAL_VIBER_TIMEOUT", default=10.0)
# Development (`make run`, DEBUG): the Viber simulator of the Procfile (manage.py viber_simulator),
# which posts its signed statuses to /viber/webhook/ with the same secret.
if DEBUG and not SMSPORTAL_VIBER_BASE_URL:
    SMSPORTAL_VIBER_BASE_URL = f"http://127.0.0.1:{env.int('VIBER_PORT', default=8095)}"
    SMSPORTAL_VIBER_TOKEN = SMSPORTAL_VIBER_TOKEN or "dev-viber-token"
    SMSPORTAL_VIBER_WEBHOOK_SECRET = SMSPORTAL_VIBER_WEBHOOK_SECRET or "dev-viber-webhook-secret"
# The provider's own Viber sender name: test messages only, to the account's verified phones (R-SND-07).
SMSPORTAL_VIBER_SHARED_SENDER = env.str("SMSPORTAL_VIBER_SHARED_SENDER", default="SMSPortal")
# A Viber message's lifetime when the client gives none (seconds, 60–86,400).
SMSPORTAL_VIBER_DEFAULT_TTL = env.int("SMSPORTAL_VIBER_DEFAULT_TTL", default=86_400)
# A provider that cannot be reached: a claimed message goes back to the queue for this long (seconds).
SMSPORTAL_VIBER_RETRY_SECONDS = env.float("SMSPORTAL_VIBER_RETRY_SECONDS", default=15.0)
# Submitted Viber messages without a status for this many minutes are polled (the webhooks' fallback).
SMSPORTAL_VIBER_POLL_AFTER_MINUTES = env.int("SMSPORTAL_VIBER_POLL_AFTER_MINUTES", default=10)
# The payment system's signed callback (POST /api/v1/payments/callback/, R-BILL-02): the shared
# HMAC secret. Empty: the endpoint answers 503 `payment_callback_not_configured` (the payment
# system retries later) and, with DEBUG off, `check --deploy` warns (billing.W001; add it to
# SILENCED_SYSTEM_CHECKS when no payment system calls back).
BILLING_PAYMENT_CALLBACK_SECRET = env.str("BILLING_PAYMENT_CALLBACK_SECRET", default="")

# The supplier printed on invoices and acts of services rendered (billing.documents). The demo
# values are a fictitious company; production sets the real ones in the environment. An issued
# invoice or act keeps the details it was issued with.
SMSPORTAL_SUPPLIER_NAME = env.str("SMSPORTAL_SUPPLIER_NAME", default="ТОВ «СМС Портал»")
SMSPORTAL_SUPPLIER_EDRPOU = env.str("SMSPORTAL_SUPPLIER_EDRPOU", default="44556677")
SMSPORTAL_SUPPLIER_IBAN = env.str("SMSPORTAL_SUPPLIER_IBAN", default="UA213223130000026007233566001")
SMSPORTAL_SUPPLIER_BANK = env.str("SMSPORTAL_SUPPLIER_BANK", default="АТ КБ «ПриватБанк», МФО 305299")
SMSPORTAL_SUPPLIER_ADDRESS = env.str("SMSPORTAL_SUPPLIER_ADDRESS",
                                     default="01001, м. Київ, вул. Хрещатик, буд. 1, офіс 10")
SMSPORTAL_SUPPLIER_VAT_PAYER = env.bool("SMSPORTAL_SUPPLIER_VAT_PAYER", default=True)
SMSPORTAL_SUPPLIER_VAT_NUMBER = env.str("SMSPORTAL_SUPPLIER_VAT_NUMBER", default="445566726591")
SMSPORTAL_SUPPLIER_SIGNATORY = env.str("SMSPORTAL_SUPPLIER_SIGNATORY", default="Іваненко О. П.")
SMSPORTAL_SUPPLIER_SIGNATORY_POSITION = env.str("SMSPORTAL_SUPPLIER_SIGNATORY_POSITION", default="Директор")
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=[])

# LOG_FORMAT=json: one JSON object per line (smsportal.logs), for production log collectors.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured("LOG_FORMAT is plain or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
                   "json": {"()": "smsportal.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"smsportal": {"level": env.str("SMSPORTAL_LOG_LEVEL", default="INFO"), "propagate": True}},
}
if LOG_FORMAT == "json":
    # The Celery worker and beat log through this configuration (JSON) instead of their own text.
    CELERY_WORKER_HIJACK_ROOT_LOGGER = False
    LOGGING["loggers"]["celery"] = {"level": "INFO", "propagate": True}
