"""requirements.txt alone runs smsportal in production: a fresh virtualenv with only the runtime
requirements imports every app module and the broker transports we support (Redis, RabbitMQ
through py-amqp), and talks to the local Redis and RabbitMQ through them.

This caught kombu's Redis transport importing `packaging`, which kombu does not declare and only
the test requirements brought in: `make run` / the worker with CELERY_BROKER_URL=redis://… died at
start on a machine with the runtime requirements alone.

The venv is built once per requirements.txt (its hash names a folder under the temp dir) from the
local pip cache: about a minute the first time, seconds after."""
import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ["smsportal", "accounts", "billing", "senders", "compliance", "messaging"]

pytestmark = pytest.mark.e2e

CHECK = r'''
import importlib, os, pkgutil, socket, sys

import django

django.setup()
from django.conf import settings

importlib.import_module(settings.ROOT_URLCONF)  # first, as the web server does
importlib.import_module("smsportal.celery")  # and the worker
failed = []
count = 0
for app in sys.argv[1:]:
    pkg = importlib.import_module(app)
    for info in pkgutil.walk_packages(pkg.__path__, prefix=app + "."):
        if info.name == "smsportal.test_settings":
            continue  # the test suite's settings (they import the test requirements' helpers)
        try:
            importlib.import_module(info.name)
            count += 1
        except Exception as exc:
            failed.append(f"{info.name}: {type(exc).__name__}: {exc}")

import kombu
from kombu.transport import redis as _redis, pyamqp as _pyamqp  # the transports we support

def reachable(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False

talked = []
for url, port in ((os.environ["CHECK_REDIS_URL"], 6379), ("amqp://guest:guest@127.0.0.1:5672//", 5672)):
    if not reachable(port):
        continue
    with kombu.Connection(url, connect_timeout=5) as conn:
        conn.ensure_connection(max_retries=1)
        queue = conn.SimpleQueue("smsportal-runtime-check")
        queue.put({"ok": 1})
        assert queue.get(timeout=5).payload == {"ok": 1}
        queue.close()
        kombu.Queue("smsportal-runtime-check").bind(conn.default_channel).delete()
    talked.append(url.split(":", 1)[0])
print("imported", count, "modules; brokers:", ",".join(talked))
if failed:
    print("\n".join(failed))
    sys.exit(1)
'''


def _runtime_venv() -> Path:
    """The python of a venv with requirements.txt installed, built once per requirements hash."""
    reqs = (ROOT / "requirements.txt").read_bytes()
    key = hashlib.sha256(reqs + sys.version.encode()).hexdigest()[:16]
    venv = Path(tempfile.gettempdir()) / f"smsportal-runtime-venv-{key}"
    if not (venv / ".complete").exists():
        shutil.rmtree(venv, ignore_errors=True)  # an earlier build that did not finish
        build = Path(tempfile.mkdtemp(prefix=venv.name + ".", dir=venv.parent))
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(build)], check=True, timeout=120)
        pip = subprocess.run([str(build / "bin" / "python"), "-m", "pip", "install", "-q",
                              "--disable-pip-version-check", "-r", str(ROOT / "requirements.txt")],
                             capture_output=True, text=True, timeout=600)
        assert pip.returncode == 0, pip.stdout[-3000:] + pip.stderr[-3000:]
        # `python -m …` works from the moved folder (only the bin/ scripts' shebangs name the old one).
        build.rename(venv)
        (venv / ".complete").touch()
    return venv / "bin" / "python"


def test_runtime_requirements_alone_import_every_module_and_broker_transport():
    python = _runtime_venv()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "VIRTUAL_ENV", "PYTHONPATH"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "smsportal.settings",
        "DEBUG": "false",
        "SECRET_KEY": "runtime-check-" + "k" * 50,
        "SMSPORTAL_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),  # a Fernet key
        "SMSPORTAL_VAR_DIR": tempfile.mkdtemp(prefix="smsportal-runtime-"),
        "CHECK_REDIS_URL": os.environ.get("E2E_BROKER_URL", "redis://127.0.0.1:6379/15"),
        "CELERY_BROKER_URL": os.environ.get("E2E_BROKER_URL", "redis://127.0.0.1:6379/15"),
    })
    # The release step (collectstatic) works from the runtime requirements too; the web server
    # refuses to start without its manifest.
    r = subprocess.run([str(python), "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    r = subprocess.run([str(python), "-c", CHECK, *APPS], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout[-5000:] + r.stderr[-5000:]
    assert "imported" in r.stdout and "redis" in r.stdout, r.stdout
