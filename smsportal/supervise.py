"""`python -m smsportal.supervise -- CMD ARGS…`: runs one process of `make run` and starts it again
when it dies, so one crash does not stop the whole demo (honcho stops every process when one of
its processes exits).

What died and why is printed (exit code or signal, how long it ran); the next start waits 1 s,
doubling up to 30 s while it keeps crashing within a minute. SIGTERM/SIGINT (honcho stopping,
Ctrl-C) are passed on to the process, which is then not started again.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0
STABLE_AFTER = 60.0  # a run this long resets the backoff


def _describe(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with code {returncode}"


def main(argv: list[str]) -> int:
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print("usage: python -m smsportal.supervise -- CMD [ARGS…]", file=sys.stderr)
        return 2
    name = os.path.basename(argv[0])
    stopping = threading.Event()
    child: list[subprocess.Popen] = []

    def _stop(signum, frame):
        stopping.set()
        if child and child[0].poll() is None:
            child[0].send_signal(signum)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

    backoff = BACKOFF_FIRST
    while True:
        if stopping.is_set():
            return 0
        started = time.monotonic()
        child[:] = [subprocess.Popen(argv)]
        returncode = child[0].wait()
        if stopping.is_set():
            return 0 if returncode in (0, -signal.SIGTERM, -signal.SIGINT) else returncode
        ran = time.monotonic() - started
        if ran >= STABLE_AFTER:
            backoff = BACKOFF_FIRST
        print(f"supervise: {name} (pid {child[0].pid}) {_describe(returncode)} after {ran:.1f} s; "
              f"starting it again in {backoff:.0f} s", file=sys.stderr, flush=True)
        if stopping.wait(backoff):
            return 0
        backoff = min(backoff * 2, BACKOFF_MAX)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
