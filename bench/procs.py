"""The product's real processes (SMSC simulator, SMPP connector, Celery worker) and the bare
smpplib loop, started as children on loopback with the bench environment (bench/env.py; the same
variables tests/e2e/processes.py gives the end-to-end test, whose port helpers this uses). Every
child is stopped by its own process id when a benchmark ends, also when it fails."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.processes import free_port, wait_for_port  # noqa: F401 (free_port: for the benchmarks)

from . import env

PY = sys.executable

class Proc:
    def __init__(self, name: str, args: list[str], **extra_env):
        self.name = name
        self.log = Path(env.VAR_DIR) / f"{name}-{int(time.time() * 1000)}.log"
        self.popen = subprocess.Popen(args, cwd=env.ROOT, env=env.child_env(**extra_env),
                                      stdout=self.log.open("wb"), stderr=subprocess.STDOUT)

    def text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def tail(self, chars: int = 3000) -> str:
        return self.text()[-chars:]

    def wait_for_text(self, needle: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.text():
                return True
            if self.popen.poll() is not None:
                return needle in self.text()
            time.sleep(0.05)
        return False

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 15.0) -> int | None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode


class Group:
    """Children of one benchmark; `with Group() as g:` stops them all on the way out."""

    def __init__(self):
        self.procs: list[Proc] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def add(self, proc: Proc) -> Proc:
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()
        self.procs = []

    def simulator(self, port: int, receipt_delay: float = 0.0) -> Proc:
        proc = self.add(Proc("smsc", [PY, "manage.py", "smsc_simulator", "--port", str(port),
                                      "--receipt-delay", str(receipt_delay), "--stats-interval", "0",
                                      # every receipt DELIVRD (by default numbers ending 0000 are UNDELIV)
                                      "--undeliverable-suffix", "", "--delivery-ratio", "1"]))
        wait_for_port(port)
        return proc

    def connector(self, route_name: str, *, profile_to: Path | None = None) -> Proc:
        if profile_to:
            args = [PY, str(env.BENCH / "connector_profiled.py"), str(profile_to), route_name]
        else:
            args = [PY, "manage.py", "smpp_connector", "--route", route_name]
        return self.add(Proc("connector", args))

    def worker(self) -> Proc:
        # As in the Procfile (prefork, 2 processes), with the bench's private queue.
        return self.add(Proc("worker", [PY, "-m", "celery", "-A", "smsportal", "worker", "--loglevel", "INFO",
                                        "--concurrency", "2", "--without-gossip", "--without-mingle",
                                        "--without-heartbeat"]))


def wait_bound(conn: Proc, timeout: float = 30.0) -> None:
    """The connector logs 'route …: bound to host:port' when its bind succeeded. Should that line
    change, a live connector is given 3 more seconds and the run goes on with a warning."""
    if conn.wait_for_text("bound to", timeout):
        return
    if not conn.alive():
        raise RuntimeError(f"the connector exited (code {conn.popen.returncode}):\n{conn.tail()}")
    print(f"  WARNING: no 'bound to' line from the connector in {timeout:.0f} s; going on after 3 s")
    time.sleep(3)


def purge_queue() -> None:
    """Drops the bench's Celery queue (receipt-matching kicks nobody consumed)."""
    try:
        import redis

        r = redis.Redis.from_url(env.BROKER)
        r.delete(env.QUEUE, f"_kombu.binding.{env.QUEUE}", f"_kombu.binding_permanent.{env.QUEUE}")
    except Exception as exc:  # noqa: BLE001 (cleanup only)
        print(f"  (could not purge queue {env.QUEUE}: {exc})")


# --- CPU accounting: which process burns the cores during a measured window -------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user+system CPU seconds) of a live process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def _tree(pid: int) -> list[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st:
                parents[int(entry)] = st[0]
    out, frontier = [pid], [pid]
    while frontier:
        frontier = [p for p, pp in parents.items() if pp in frontier]
        out += frontier
    return out


def _postgres_pids(autovacuum: bool) -> list[int]:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND "
                  "(backend_type = 'autovacuum worker') = %s", [autovacuum])
        return [r[0] for r in c.fetchall()]


class CpuMeter:
    """CPU seconds used between start() and stop() by each named process tree, by this process,
    and by the PostgreSQL backends serving the bench database, autovacuum apart (a backend that
    appears in the window counts from zero; one that ends in it is missed)."""

    def __init__(self, trees: dict[str, Proc]):
        self.trees = trees

    def _snap(self) -> dict[str, dict[int, float]]:
        snap = {name: {p: st[1] for p in _tree(proc.popen.pid) if (st := _stat(p))}
                for name, proc in self.trees.items()}
        snap["bench process (API calls, polling)"] = {os.getpid(): sum(os.times()[:2])}
        snap["postgres (bench DB backends)"] = {p: st[1] for p in _postgres_pids(False) if (st := _stat(p))}
        snap["postgres autovacuum"] = {p: st[1] for p in _postgres_pids(True) if (st := _stat(p))}
        return snap

    def start(self):
        self.t0, self.before = time.perf_counter(), self._snap()
        return self

    def stop(self) -> dict:
        after, wall = self._snap(), time.perf_counter() - self.t0
        out = {"wall_s": round(wall, 2)}
        for name, pids in after.items():
            used = sum(cpu - self.before.get(name, {}).get(pid, 0.0) for pid, cpu in pids.items())
            out[name] = {"cpu_s": round(used, 2), "share_of_one_core": f"{100 * used / wall:.0f} %"}
        return out


def print_cpu(cpu: dict) -> None:
    wall = cpu["wall_s"]
    parts = [f"{k} {v['cpu_s']:.1f} s ({v['share_of_one_core']})" for k, v in cpu.items() if k != "wall_s"]
    print(f"  CPU used in the {wall:.1f} s window: " + "; ".join(parts))


# --- PostgreSQL counters: how much database work the product does per part ---------------------

def pg_counters() -> dict:
    """Transactions of the bench database and row changes of the message tables so far. The
    backends report at transaction end (idle ones within a second or so): read it after the
    processes being measured have stopped."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT pg_stat_clear_snapshot()")
        c.execute("SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = current_database()")
        commits, rollbacks = c.fetchone()
        c.execute("SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del FROM pg_stat_user_tables "
                  "WHERE relname IN ('messaging_message', 'messaging_messagepart', 'messaging_receiptinbox')")
        tables = {r[0].replace("messaging_", ""): {"inserted": r[1], "updated": r[2], "hot_updated": r[3],
                                                  "deleted": r[4]} for r in c.fetchall()}
    return {"commits": commits, "rollbacks": rollbacks, "tables": tables}


def pg_delta(before: dict, after: dict, per: int) -> dict:
    out = {"commits": after["commits"] - before["commits"],
           "commits_per_1000": round(1000 * (after["commits"] - before["commits"]) / per, 1)}
    for table, counts in after["tables"].items():
        prev = before["tables"].get(table, {})
        out[table] = {k: v - prev.get(k, 0) for k, v in counts.items() if v - prev.get(k, 0)}
    return out
