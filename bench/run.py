#!/usr/bin/env python
"""`make bench`: smsportal's benchmarks, each side by side with its limit. See bench/README.md.

    .venv/bin/python bench/run.py                       # everything (~3-4 minutes)
    .venv/bin/python bench/run.py --only dispatch       # one benchmark
    .venv/bin/python bench/run.py --only accept --n accept=20000   # a quick run
"""
from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import env  # noqa: E402

BENCHMARKS = {  # name → default size
    "accept": 100_000,
    "dispatch": 20_000,
    "receipts": 50_000,
    "e2e": 10_000,
    "single": 3_000,
    "screen": 100_000,
    "viber": 10_000,
}


class Context:
    seeded = None


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", default="", help="comma-separated: " + ",".join(BENCHMARKS))
    p.add_argument("--n", action="append", default=[], metavar="NAME=N",
                   help="size override, e.g. --n dispatch=5000 (repeatable; a bare number applies to all)")
    p.add_argument("--profile", choices=("auto", "always", "never"), default="auto",
                   help="cProfile the product side: when a target is missed (auto), always, or never")
    p.add_argument("--no-write", action="store_true", help="print only; leave bench/results/ as it is")
    p.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                   help="first wait up to this long for the 1-minute load average to drop below 1")
    args = p.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(BENCHMARKS)
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        p.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    sizes = dict(BENCHMARKS)
    for item in args.n:
        if "=" in item:
            k, v = item.split("=", 1)
            if k not in sizes:
                p.error(f"--n {item}: unknown benchmark {k}")
            sizes[k] = int(v.replace("_", ""))
        else:
            sizes = {k: int(item.replace("_", "")) for k in sizes}
    return args, names, sizes


def main(argv=None) -> int:
    args, names, sizes = parse_args(argv)
    started = time.perf_counter()
    if args.wait_quiet:
        deadline = time.monotonic() + args.wait_quiet
        while __import__("os").getloadavg()[0] >= 1.0 and time.monotonic() < deadline:
            time.sleep(5)
    env.configure()
    env.recreate_database()
    import django

    django.setup()
    from django.core.management import call_command

    from bench import report, seed

    machine = env.machine_info()
    print(f"smsportal benchmarks on {machine['cores']} cores ({machine['cpu']}), Python {machine['python']}, "
          f"PostgreSQL {machine['postgres']}; load average {machine['loadavg_at_start']}")
    print(f"database {env.DB_NAME} (re-created), broker {env.BROKER} queue {env.QUEUE}")
    if machine["loadavg_at_start"][0] > 1.0:
        print(f"WARNING: the machine is busy (load {machine['loadavg_at_start'][0]} on {machine['cores']} cores): "
              "other processes share the CPU and the figures will be lower than on a quiet machine")
    call_command("migrate", verbosity=0, interactive=False)
    ctx = Context()
    ctx.seeded = seed.seed()

    results = []
    for name in names:
        module = __import__(f"bench.b_{name}", fromlist=["run"])
        print(f"\n== {name} (n={sizes[name]:,}) " + "=" * 40)
        t0 = time.perf_counter()
        try:
            res = module.run(ctx, sizes[name], args.profile)
        except Exception as exc:  # one broken benchmark does not hide the others
            traceback.print_exc()
            res = {"name": name, "n": sizes[name], "figures": [], "error": f"{type(exc).__name__}: {exc}"}
        res["seconds"] = round(time.perf_counter() - t0, 1)
        res["loadavg_after"] = [round(x, 2) for x in __import__("os").getloadavg()]
        results.append(res)

    from bench.procs import purge_queue

    purge_queue()
    report.print_table(results)
    if not args.no_write:
        report.write(env.RESULTS, machine, results, partial=set(names) != set(BENCHMARKS))
        print(f"results written to {env.RESULTS.relative_to(env.ROOT)}/")
    print(f"total {time.perf_counter() - started:.0f} s")
    ok = all(f["pass"] is not False for r in results for f in r["figures"]) and not any(r.get("error") for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
