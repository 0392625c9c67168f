"""Per-process caches of rows that rarely change, checked against version counters on every use.

A send needs the price lists, the routes and the operator prefix table, the client's sender
names, opt-outs and grace periods: seven queries that return the same rows almost every time.
Each web or worker process keeps what it loaded, keyed by the version counters of the tables it
came from (`smsportal_cache_version`, billing migration 0008). Triggers bump those counters in
the same transaction as any change of those tables, however it is made, so:

- `Versions(client_id)` reads the counters that concern one client in one query; what is cached
  under them was loaded after they were read, so it is at least as new as they are;
- a change commits together with its new counter: the first request that can see the change
  also sees a counter nobody cached under, and loads the rows again;
- counters come from a sequence and never repeat, so a rolled-back change (whose own
  transaction may have cached under its counter) leaves nothing that a later change could hit.

Nothing is cached by time: there is no window in which a price, route, sender approval, opt-out
or grace period changed in the database is not used by the next send.
"""
from __future__ import annotations

import threading

from django.db import connection

_TABLE = "smsportal_cache_version"


class Versions:
    """The counters that concern one client (0: only the global ones), read once (one query)."""

    __slots__ = ("client_id", "_values")

    def __init__(self, client_id: int | None = None):
        self.client_id = client_id or 0
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT scope, client_id, version FROM {_TABLE} WHERE client_id IN (0, %s)",
                           [self.client_id])
            self._values = {(scope, cid): v for scope, cid, v in cursor.fetchall()}

    def key(self, scope: str, *, per_client: bool = False) -> tuple:
        """What identifies the state of `scope` (for this client)."""
        v = self._values
        if per_client:
            return scope, self.client_id, v.get((scope, 0), 0), v.get((scope, self.client_id), 0)
        return scope, v.get((scope, 0), 0)


class VersionedCache:
    """key → value, at most `maxsize` entries (the oldest goes first). Keys hold the versions, so
    an entry of an old version is never hit again and only waits to be pushed out. Shared by
    the threads of a process: two of them may load the same value at once, and either result
    is right."""

    def __init__(self, maxsize: int = 256):
        self.maxsize = maxsize
        self._data: dict = {}
        self._lock = threading.Lock()

    def get(self, key, load):
        if key is None:
            return load()
        try:
            return self._data[key]
        except KeyError:
            pass
        value = load()
        with self._lock:
            self._data[key] = value
            while len(self._data) > self.maxsize:
                self._data.pop(next(iter(self._data)))
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
