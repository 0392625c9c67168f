"""The benchmark environment: its own database, settings through the environment, machine info.

Imported before Django is set up: `configure()` fills `os.environ` the way the product's real
processes get it (tests/e2e/processes.py does the same for the end-to-end test), so the
in-process Django and every child process (simulator, connector, Celery worker) use the same
database and the same private Celery queue.
"""
from __future__ import annotations

import os
import platform
import sys
import tempfile
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
DB_NAME = os.environ.get("BENCH_DB_NAME", "smsportal_bench")
PG = {"host": os.environ.get("BENCH_PG_HOST", "127.0.0.1"), "port": int(os.environ.get("BENCH_PG_PORT", "5432")),
      "user": os.environ.get("BENCH_PG_USER", "postgres")}
BROKER = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13")
QUEUE = f"bench-{uuid.uuid4().hex[:8]}"
VAR_DIR = tempfile.mkdtemp(prefix="smsportal-bench-")


def database_url() -> str:
    return f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{DB_NAME}"


def child_env(**extra) -> dict:
    """What the product's processes run with: production settings (DEBUG off) on the bench DB."""
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "smsportal.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": BROKER,
        "CELERY_QUEUE": QUEUE,
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "k" * 50,
        "SMSPORTAL_ENCRYPTION_KEYS": "YmVuY2gtZW5jcnlwdGlvbi1rZXktc21zcG9ydGFsMDA=",  # a fixed Fernet key
        "SECURE_SSL_REDIRECT": "false",  # the API is called over plain HTTP (Django's test client)
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "SMSPORTAL_VAR_DIR": VAR_DIR,
        "SMSPORTAL_CONNECTOR_IDLE_POLL": "0.5",
        "SMSPORTAL_LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
        "SMSPORTAL_API_RATE": "",  # one key sends as fast as the service goes: the per-key limit is off
    })
    env.update({k: str(v) for k, v in extra.items()})
    return env


def configure() -> None:
    """Points this process at the bench database, then sets Django up."""
    os.environ.update(child_env(SMSPORTAL_LOG_LEVEL="WARNING"))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)


def recreate_database() -> None:
    """Drops and re-creates the bench database (before Django connects to it)."""
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True, **PG) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def machine_info() -> dict:
    import psycopg

    with psycopg.connect(dbname="postgres", **PG) as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
        settings = {name: conn.execute(f"SHOW {name}").fetchone()[0]
                    for name in ("shared_buffers", "synchronous_commit", "fsync")}
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version

    return {
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "postgres": pg_version,
        "postgres_settings": settings,
        "django": version("django"),
        "smpplib": version("smpplib"),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "code": code_info(),
    }


# The product files whose speed the benchmarks measure: their hashes tie a result to the code.
MEASURED_FILES = ("messaging/smpp/connector.py", "messaging/services/transitions.py",
                  "messaging/services/dispatch/claims.py", "messaging/services/dispatch/results.py",
                  "messaging/services/dispatch/receipts.py", "messaging/services/dispatch/in_doubt.py",
                  "messaging/services/dispatch/payloads.py", "messaging/services/send.py",
                  "messaging/services/campaigns.py", "messaging/services/prepare.py", "messaging/api/campaigns.py",
                  "messaging/smpp/simulator.py", "messaging/tasks.py")


def code_info() -> dict:
    import hashlib
    import subprocess

    def git(*args):
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    dirty = [line[3:] for line in git("status", "--porcelain").splitlines()]
    files = {}
    for rel in MEASURED_FILES:
        try:
            digest = hashlib.sha1((ROOT / rel).read_bytes()).hexdigest()[:12]
        except OSError:
            digest = "missing"
        files[rel] = digest + (" (uncommitted changes)" if rel in dirty else "")
    return {"git_head": git("rev-parse", "--short", "HEAD"), "uncommitted_files": len(dirty), "measured_files": files}
