"""Production settings refuse to run unsafe: no SECRET_KEY or encryption keys with DEBUG off is a
start-up error, trusted proxies come from the environment, and uncollected static files stop
`check --deploy` and the web server instead of making every page a 500.

Settings are read at import, so most of these run `manage.py` / python in a child process with a
controlled environment (smsportal.settings, as production does)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.test import override_settings

from smsportal.checks import _static_sources, static_manifest_check, templates_static_references

ROOT = Path(__file__).resolve().parents[2]
KEY = Fernet.generate_key().decode()
PROD = {"DEBUG": "false", "SECRET_KEY": "prod-" + "s" * 50, "SMSPORTAL_ENCRYPTION_KEYS": KEY,
        "ALLOWED_HOSTS": "sms.example.com"}


def run(code_or_args, tmp_path, **env):
    """`python -c code` (a str) or `python manage.py *args` (a list) with only these variables."""
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "PYTHONDONTWRITEBYTECODE": "1",
            "DJANGO_SETTINGS_MODULE": "smsportal.settings", "SMSPORTAL_VAR_DIR": str(tmp_path / "var")}
    base.update({k: str(v) for k, v in env.items()})
    args = ["-c", code_or_args] if isinstance(code_or_args, str) else ["manage.py", *code_or_args]
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120)


SETTINGS = "import django; django.setup(); from django.conf import settings as s; print(({}))"


def test_production_without_secret_key_does_not_start(tmp_path):
    r = run(["check"], tmp_path, **{**PROD, "SECRET_KEY": ""})
    assert r.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in r.stderr


def test_production_with_the_committed_development_key_does_not_start(tmp_path):
    r = run(["check"], tmp_path, **{**PROD, "SECRET_KEY": "insecure-dev-key-change-me-" + "x" * 40})
    assert r.returncode != 0 and "ImproperlyConfigured: SECRET_KEY" in r.stderr


def test_production_without_encryption_keys_does_not_start(tmp_path):
    r = run(["check"], tmp_path, **{**PROD, "SMSPORTAL_ENCRYPTION_KEYS": ""})
    assert r.returncode != 0 and "ImproperlyConfigured: SMSPORTAL_ENCRYPTION_KEYS is not set" in r.stderr
    r = run(["check"], tmp_path, **{**PROD, "SMSPORTAL_ENCRYPTION_KEYS": "not-a-fernet-key"})
    assert r.returncode != 0 and "must be a Fernet key" in r.stderr


def test_debug_runs_on_development_defaults(tmp_path):
    r = run(SETTINGS.format("s.SECRET_KEY[:16], len(s.SMSPORTAL_ENCRYPTION_KEYS)"), tmp_path, DEBUG="true")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "('insecure-dev-key', 1)"


def test_production_reads_its_secrets_and_proxies_from_the_environment(tmp_path):
    code = SETTINGS.format("s.SECRET_KEY == 'prod-' + 's' * 50, s.SMSPORTAL_ENCRYPTION_KEYS == ['k1', 'k2'], "
                           "s.ALLAUTH_TRUSTED_PROXY_COUNT, s.ALLAUTH_TRUSTED_CLIENT_IP_HEADER, "
                           "s.REST_FRAMEWORK['NUM_PROXIES'], s.BILLING_PAYMENT_CALLBACK_SECRET")
    k1, k2 = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    code = code.replace("['k1', 'k2']", repr([k1, k2]))
    r = run(code, tmp_path, **{**PROD, "SMSPORTAL_ENCRYPTION_KEYS": f"{k1},{k2}", "TRUSTED_PROXY_COUNT": "1",
                               "BILLING_PAYMENT_CALLBACK_SECRET": "cb-secret"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "(True, True, 1, None, 1, 'cb-secret')"
    r = run(code, tmp_path, **{**PROD, "TRUSTED_CLIENT_IP_HEADER": "X-Real-IP"})
    assert r.stdout.strip().endswith("0, 'X-Real-IP', 0, '')")  # no proxies trusted by default


def test_make_check_fails_without_collected_static_files(tmp_path):
    """What `make check` runs: check --deploy at warning level, with the real configuration."""
    env = {**PROD, "BILLING_PAYMENT_CALLBACK_SECRET": "c" * 40}
    r = run(["check", "--deploy", "--fail-level", "WARNING"], tmp_path, **env)
    assert r.returncode != 0 and "smsportal.E001" in r.stderr and "collectstatic" in r.stderr
    # ... and the web server refuses to start (it would answer every page with a 500).
    r = run("import smsportal.wsgi", tmp_path, **env)
    assert r.returncode != 0 and "ImproperlyConfigured: The web server cannot start: [smsportal.E001]" in r.stderr


def test_make_check_warns_about_a_missing_payment_callback_secret(tmp_path):
    r = run(["check", "--deploy", "--fail-level", "WARNING"], tmp_path, **PROD, SMSPORTAL_STATIC_MANIFEST="false")
    assert r.returncode != 0 and "billing.W001" in r.stderr
    r = run(["check", "--deploy", "--fail-level", "WARNING"], tmp_path, **PROD, SMSPORTAL_STATIC_MANIFEST="false",
            BILLING_PAYMENT_CALLBACK_SECRET="c" * 40)
    assert r.returncode == 0, r.stderr


# ---- the manifest's content (in process: no collectstatic needed) ------------------------------

MANIFEST_STORAGE = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}


def manifest(root: Path, paths: set[str]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "staticfiles.json").write_text(json.dumps({"paths": {p: p for p in paths}, "version": "1.1"}))


def test_static_manifest_check_lists_what_templates_need(tmp_path):
    referenced = templates_static_references()
    assert "css/app.css" in referenced and "js/app.js" in referenced
    everything = _static_sources() | set(referenced)
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=MANIFEST_STORAGE):
        manifest(tmp_path, everything)
        assert static_manifest_check() == []
        manifest(tmp_path, everything - {"css/app.css"})  # collected from an older release
        ids = {e.id: e.msg for e in static_manifest_check()}
        assert set(ids) == {"smsportal.E002", "smsportal.E003"} and "css/app.css" in ids["smsportal.E002"]
        (tmp_path / "staticfiles.json").write_text("{not json")
        assert [e.id for e in static_manifest_check()] == ["smsportal.E001"]


def test_static_manifest_check_is_off_without_the_manifest_storage(tmp_path):
    with override_settings(STATIC_ROOT=tmp_path):  # the tests' plain storage, as with DEBUG
        assert static_manifest_check() == []


@pytest.mark.parametrize("debug", [True, False])
def test_the_plain_storage_follows_debug_unless_told(tmp_path, debug):
    r = run(SETTINGS.format("s.STORAGES['staticfiles']['BACKEND'].rsplit('.', 1)[1]"), tmp_path,
            **{**PROD, "DEBUG": str(debug).lower()})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ("StaticFilesStorage" if debug else "CompressedManifestStaticFilesStorage")
