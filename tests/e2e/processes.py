"""Starting the product's real processes (SMSC simulator, SMPP connector, Celery worker) for
end-to-end tests and benchmarks, against the test database and a real broker."""
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
# One Celery queue for the whole test session: the test process enqueues to it too (the e2e
# fixture turns eager mode off), and its routing is fixed at the first task it sends.
QUEUE = f"e2e-{uuid.uuid4().hex[:8]}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port}")


def process_env(**extra) -> dict:
    """The environment of a child process: the production settings module pointed at the test
    database (so it sees what the test commits) and at a private Celery queue on Redis."""
    db = connection.settings_dict
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "smsportal.settings",
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": os.environ.get("E2E_BROKER_URL", "redis://127.0.0.1:6379/15"),
        "DEBUG": "false",
        "SECRET_KEY": "e2e-" + "k" * 50,
        # The test process's keys: the worker decrypts the webhook secrets the test stored.
        "SMSPORTAL_ENCRYPTION_KEYS": ",".join(settings.SMSPORTAL_ENCRYPTION_KEYS),
        "SMSPORTAL_STATIC_MANIFEST": "false",  # they serve the API, not pages: no collectstatic needed
        "SMSPORTAL_CONNECTOR_IDLE_POLL": "0.5",
        "SMSPORTAL_VAR_DIR": tempfile.mkdtemp(prefix="smsportal-e2e-"),
        "PYTHONUNBUFFERED": "1",
        # Load tests and bursts measure the service, not the per-key limit (its own tests set it).
        "SMSPORTAL_API_RATE": "",
    })
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Processes:
    def __init__(self):
        self.procs: list[tuple[str, subprocess.Popen, Path]] = []
        self.queue = QUEUE

    def start(self, name: str, args: list[str], **env) -> subprocess.Popen:
        log = Path(tempfile.mkstemp(prefix=f"smsportal-{name}-", suffix=".log")[1])
        proc = subprocess.Popen(args, cwd=ROOT, env=process_env(CELERY_QUEUE=self.queue, **env),
                                stdout=log.open("wb"), stderr=subprocess.STDOUT)
        self.procs.append((name, proc, log))
        return proc

    def simulator(self, port: int, receipt_delay: float = 0.0, **opts) -> subprocess.Popen:
        args = [sys.executable, "manage.py", "smsc_simulator", "--port", str(port),
                "--receipt-delay", str(receipt_delay)]
        for k, v in opts.items():
            flag = f"--{k.replace('_', '-')}"
            args += [flag] if v is True else [flag, str(v)]
        proc = self.start("smsc", args)
        wait_for_port(port)
        return proc

    def connector(self, *route_names: str, **env) -> subprocess.Popen:
        """`manage.py smpp_connector --route …` (no names: every active route)."""
        args = [sys.executable, "manage.py", "smpp_connector"]
        for name in route_names:
            args += ["--route", name]
        return self.start("connector", args, **env)

    def worker(self, **env) -> subprocess.Popen:
        return self.start("worker", [sys.executable, "-m", "celery", "-A", "smsportal", "worker", "--loglevel",
                                     "INFO", "--concurrency", "1", "--pool", "solo", "--without-gossip",
                                     "--without-mingle", "--without-heartbeat"], **env)

    def beat(self, **env) -> subprocess.Popen:
        """Celery beat with django-celery-beat's DatabaseScheduler (the jobs in the test database)."""
        schedule = Path(tempfile.mkdtemp(prefix="smsportal-beat-")) / "schedule"
        return self.start("beat", [sys.executable, "-m", "celery", "-A", "smsportal", "beat", "--loglevel", "INFO",
                                   "--max-interval", "1", "-s", str(schedule)], **env)

    def log_of(self, proc: subprocess.Popen) -> str:
        """Everything one started process wrote so far."""
        for _name, p, log in self.procs:
            if p is proc:
                return log.read_text(errors="replace")
        raise KeyError(proc)

    def logs(self) -> str:
        out = []
        for name, _proc, log in self.procs:
            text = log.read_text(errors="replace")[-4000:]
            out.append(f"----- {name} -----\n{text}")
        return "\n".join(out)

    def stop(self) -> None:
        for _name, proc, _log in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for _name, proc, _log in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def running():
    procs = Processes()
    try:
        yield procs
    finally:
        procs.stop()


def wait_until(predicate, timeout: float, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()
