"""`make run`'s servers (manage.py devservers, smsportal.devservers) and its process supervisor
(smsportal.supervise), for real: PostgreSQL and Valkey from their wheels in a temporary var/,
Django migrating onto them, their data kept across a stop and a start, a killed server started
again by `watch`, and a crashed process started again by the supervisor."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import redis

from tests.e2e.processes import free_port

ROOT = Path(__file__).resolve().parents[2]


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


@pytest.fixture
def demo_env(tmp_path):
    """The environment of `make run` on a fresh machine: no DATABASE_URL / CELERY_BROKER_URL."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "CELERY_BROKER_URL") and not k.startswith("PYTEST")}
    env.update({"DJANGO_SETTINGS_MODULE": "smsportal.settings", "DEBUG": "true", "PYTHONUNBUFFERED": "1",
                "SMSPORTAL_VAR_DIR": str(tmp_path / "var"), "SMSPORTAL_DEV_PG_PORT": str(free_port()),
                "SMSPORTAL_DEV_VALKEY_PORT": str(free_port())})
    yield env
    subprocess.run([sys.executable, "manage.py", "devservers", "stop"], cwd=ROOT, env=env, timeout=60)


def manage(env, *args, timeout=120) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, timeout=timeout,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def pg(env):
    return psycopg.connect(host="127.0.0.1", port=int(env["SMSPORTAL_DEV_PG_PORT"]), user="postgres",
                           dbname="smsportal", autocommit=True, connect_timeout=5)


@pytest.mark.e2e
def test_devservers_serve_django_and_keep_data_across_a_restart(demo_env):
    out = manage(demo_env, "devservers", "start")
    assert "postgres started" in out and "valkey started" in out, out
    # Django's default settings reach them: the whole schema migrates onto PostgreSQL 18.
    manage(demo_env, "migrate", "--noinput", "-v", "0", timeout=300)
    manage(demo_env, "seed_demo", "--smsc-port", "1")
    with pg(demo_env) as conn:
        # the demo top-up, and the Viber sender name's registration fee paid from it
        seeded_entries = conn.execute("SELECT count(*) FROM billing_ledgerentry").fetchone()[0]
    assert seeded_entries >= 1
    broker = redis.Redis(port=int(demo_env["SMSPORTAL_DEV_VALKEY_PORT"]))
    broker.rpush("celery", b"a task queued when make run stopped")

    manage(demo_env, "devservers", "stop")
    with pytest.raises(psycopg.OperationalError):
        pg(demo_env).close()
    with pytest.raises(redis.ConnectionError):
        broker.ping()

    out = manage(demo_env, "devservers", "start")
    assert "postgres started" in out, out
    with pg(demo_env) as conn:
        assert conn.execute("SELECT email FROM accounts_user ORDER BY email").fetchall() == [
            ("admin@example.com",), ("demo@example.com",)]
        assert conn.execute("SHOW server_version").fetchone()[0].startswith("18.")
    assert broker.lrange("celery", 0, -1) == [b"a task queued when make run stopped"]
    # The demo seed runs at every `make run`: again, nothing is added twice.
    manage(demo_env, "seed_demo", "--smsc-port", "1")
    with pg(demo_env) as conn:
        assert conn.execute("SELECT count(*) FROM accounts_user").fetchone()[0] == 2
        assert conn.execute("SELECT count(*) FROM billing_ledgerentry").fetchone()[0] == seeded_entries


@pytest.mark.e2e
def test_watch_starts_a_killed_server_again_and_stops_both_on_sigterm(demo_env):
    watch = subprocess.Popen([sys.executable, "manage.py", "devservers", "watch"], cwd=ROOT, env=demo_env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        wait_until(lambda: lines.append(watch.stdout.readline()) or "watching" in lines[-1], 60, "watch ready")
        pidfile = Path(demo_env["SMSPORTAL_VAR_DIR"]) / "pg" / "postmaster.pid"
        first = int(pidfile.read_text().split()[0])
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: lines.append(watch.stdout.readline()) or "postgres is back" in lines[-1], 60,
                   "postgres started again")
        output = "".join(lines)
        assert f"postgres (pid {first}) died" in output, output
        with pg(demo_env) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        watch.send_signal(signal.SIGTERM)
        rest = watch.communicate(timeout=30)[0]
    assert watch.returncode == 0
    assert "postgres stopped" in rest and "valkey stopped" in rest, rest
    assert "stopped" in manage(demo_env, "devservers", "status")


@pytest.mark.e2e
def test_supervise_starts_a_crashed_process_again_and_says_why(tmp_path):
    runs = tmp_path / "runs"
    child = f"import sys; open({str(runs)!r}, 'a').write('x'); sys.exit(3)"
    proc = subprocess.Popen([sys.executable, "-m", "smsportal.supervise", "--", sys.executable, "-c", child],
                            cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: runs.exists() and len(runs.read_text()) >= 2, 30, "second run")
    finally:
        proc.send_signal(signal.SIGTERM)
        err = proc.communicate(timeout=30)[1]
    assert proc.returncode == 0
    assert "exited with code 3" in err and "starting it again" in err, err


def test_settings_refuse_a_database_other_than_postgresql():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update({"DATABASE_URL": "sqlite:///demo.sqlite3", "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "smsportal.settings"})
    done = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "ImproperlyConfigured: DATABASE_URL: smsportal runs on PostgreSQL only" in done.stderr, done.stderr


@pytest.mark.parametrize("needle", ["connection.vendor", "sqlite3"])
def test_one_sql_dialect_no_code_asks_which_database_it_runs_on(needle):
    """Every query is PostgreSQL's, the dialect the suite runs: no twin for another database."""
    apps = ["accounts", "billing", "compliance", "messaging", "senders", "smsportal", "bench"]
    found = [f"{path.relative_to(ROOT)}:{n}" for app in apps for path in (ROOT / app).rglob("*.py")
             for n, line in enumerate(path.read_text().splitlines(), 1)
             if needle in line and path.name != "simulator.py"]  # the SMSC simulator's own state file
    assert found == []


def test_a_stale_pid_file_naming_another_process_is_not_taken_for_our_server(tmp_path):
    """After a crash or a reboot, postmaster.pid / valkey.pid may name a pid that now belongs to
    something else: that is no server of ours, so start does not wait for it in vain and stop
    never signals it."""
    from smsportal.devservers import Postgres, Valkey

    stranger = subprocess.Popen(["sleep", "60"])
    try:
        (tmp_path / "pg").mkdir()
        (tmp_path / "pg" / "postmaster.pid").write_text(f"{stranger.pid}\n/some/dir\n")
        (tmp_path / "valkey").mkdir()
        (tmp_path / "valkey" / "valkey.pid").write_text(f"{stranger.pid}\n")
        postgres, valkey = Postgres(tmp_path / "pg", free_port()), Valkey(tmp_path / "valkey", free_port())
        assert not postgres.running() and not valkey.running()
        valkey.stop()
        assert stranger.poll() is None  # still alive: not signalled
    finally:
        stranger.kill()
        stranger.wait()
