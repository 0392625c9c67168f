#!/usr/bin/env python
"""`manage.py smpp_connector --route NAME` under cProfile, every thread profiled (the connector
runs one thread per route or bind), the merged statistics written to OUT when it stops (SIGTERM).

    connector_profiled.py OUT.prof ROUTE_NAME
"""
import cProfile
import os
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

profiles: list[cProfile.Profile] = []
_lock = threading.Lock()
_original_run = threading.Thread.run


def _profiled_run(self):
    prof = cProfile.Profile()
    with _lock:
        profiles.append(prof)
    prof.enable()
    try:
        _original_run(self)
    finally:
        prof.disable()


def main() -> int:
    out, route = sys.argv[1], sys.argv[2]
    import django

    django.setup()
    from django.core.management import call_command

    threading.Thread.run = _profiled_run
    # The main thread only waits for the route threads: profiled, but kept only when no other
    # thread did the work (should the connector ever run its loop in the main thread).
    main_prof = cProfile.Profile()
    main_prof.enable()
    try:
        call_command("smpp_connector", route=[route])
    finally:
        main_prof.disable()
        import pstats

        stats = None
        for prof in profiles or [main_prof]:
            try:
                prof.create_stats()
            except Exception:  # noqa: BLE001 (a profiler never enabled)
                continue
            if not prof.stats:
                continue
            if stats is None:
                stats = pstats.Stats(prof)
            else:
                stats.add(prof)
        if stats is not None:
            stats.dump_stats(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
