"""cProfile summaries small enough for a results file: where the time of the slow side goes.

Three short lists: functions by own time (tottime: where the CPU actually burns, including
time blocked in C calls such as a socket read or a PostgreSQL round trip), the project's own
functions by cumulative time (which product step costs what), and every function by cumulative
time below the outer frames (which library call inside that step). cProfile measures wall time and
adds overhead per Python call, so its totals are larger than the benchmark's; read the shares.
"""
from __future__ import annotations

import cProfile
import pstats
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[1])


def _where(func: tuple) -> str:
    filename, line, name = func
    if filename == "~":
        return name  # a builtin, e.g. <method 'execute' of 'psycopg...'>
    short = filename
    for marker in ("/site-packages/", ROOT + "/"):
        if marker in short:
            short = short.split(marker, 1)[1]
            break
    return f"{short}:{line}({name})"


def summarize(stats: pstats.Stats, top: int = 10) -> dict:
    raw = stats.stats  # {func: (cc, nc, tt, ct, callers)}
    total = stats.total_tt or 1e-9
    by_tt = sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    ours = [kv for kv in raw.items()
            if kv[0][0].startswith(ROOT) and "/.venv/" not in kv[0][0] and "/bench/" not in kv[0][0]]
    by_ct = sorted(ours, key=lambda kv: kv[1][3], reverse=True)[:top]
    # Every function by cumulative time, without the outer frames that hold (nearly) everything.
    inner = [kv for kv in raw.items() if kv[1][3] < 0.9 * total and kv[0][0] != "~" and "/bench/" not in kv[0][0]]
    by_ct_all = sorted(inner, key=lambda kv: kv[1][3], reverse=True)[:top + 5]

    def line(kv, key):
        func, (cc, nc, tt, ct, _callers) = kv
        value = tt if key == "tt" else ct
        return f"{value:8.3f}s {100 * value / total:5.1f}%  {nc:>9} calls  {_where(func)}"

    return {
        "profiled_total_s": round(total, 3),
        "top_self_time": [line(kv, "tt") for kv in by_tt],
        "top_project_cumulative": [line(kv, "ct") for kv in by_ct],
        "top_cumulative_below_90pct": [line(kv, "ct") for kv in by_ct_all],
    }


def profile_call(fn, *args, **kwargs):
    prof = cProfile.Profile()
    result = prof.runcall(fn, *args, **kwargs)
    return result, summarize(pstats.Stats(prof))


def summarize_file(path: str | Path) -> dict:
    return summarize(pstats.Stats(str(path)))


def print_summary(title: str, summary: dict) -> None:
    print(f"\n  where the time goes: {title} (cProfile, total {summary['profiled_total_s']} s profiled)")
    print("    by own time:")
    for ln in summary["top_self_time"]:
        print("      " + ln)
    print("    project functions by cumulative time:")
    for ln in summary["top_project_cumulative"]:
        print("      " + ln)
    print("    all functions by cumulative time (outer frames holding ≥ 90 % left out):")
    for ln in summary["top_cumulative_below_90pct"]:
        print("      " + ln)
    if summary.get("sql"):
        print("    time inside SQL statements (execute → result, in the profiled run):")
        for ln in summary["sql"]:
            print("      " + ln)


class SqlTimer:
    """Time spent inside each kind of SQL statement (Django's execute wrapper), in this process.

        with SqlTimer() as sql:
            ...
        sql.summary()  # ['4.285 s  1 ×  755,228 chars  UPDATE "messaging_messagepart" SET …']
    """

    def __init__(self):
        self.stats: dict[str, list] = {}
        self._cm = None

    def __call__(self, execute, sql, params, many, context):
        import time

        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            key = " ".join(str(sql).split())[:70]
            entry = self.stats.setdefault(key, [0.0, 0, 0])
            entry[0] += time.perf_counter() - t0
            entry[1] += 1
            entry[2] = max(entry[2], len(sql))

    def __enter__(self):
        from django.db import connection

        self._cm = connection.execute_wrapper(self)
        self._cm.__enter__()
        return self

    def __exit__(self, *exc):
        self._cm.__exit__(*exc)

    def summary(self, top: int = 6) -> list[str]:
        rows = sorted(self.stats.items(), key=lambda kv: kv[1][0], reverse=True)[:top]
        return [f"{t:7.3f} s {n:>5} ×  longest {ln:>9,} chars  {key}" for key, (t, n, ln) in rows]
