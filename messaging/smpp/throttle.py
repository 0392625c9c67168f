"""A route's TPS limit, shared by all its binds: in Redis across processes, in memory otherwise.

Both limiters are token buckets sized so that no sliding one-second window ever sees more than
`tps` submits (operators count them that way, the simulator too): a small burst
`b = max(1, tps // 20)` and a refill rate `r = max(tps - b, 0.9 * tps)`, so any window of one
second holds at most `floor(b + r) <= tps` tokens.

`acquire(n)` never blocks: it grants what is available now (0..n) and says how long until the
next token, so a bind's loop can keep reading its socket while it waits.

With `settings.SMSPORTAL_REDIS_URL` set, every process serving the route shares one bucket (a
Lua script keyed by database and route: `smsportal:tps:<db>:<route id>`); when Redis cannot be reached the
limiter falls back to its own in-memory bucket (logged once) and goes back to Redis later.
"""
from __future__ import annotations

import logging
import threading
import time

from django.conf import settings

log = logging.getLogger("smsportal.connector")


def bucket_shape(tps: float) -> tuple[float, float]:
    """(burst, refill per second) for a limit of `tps` per sliding second."""
    burst = max(1, int(tps) // 20)
    return float(burst), max(tps - burst, 0.9 * tps)


class LocalLimiter:
    """A thread-safe token bucket shared by the binds of a route in one process."""

    def __init__(self, tps: float, clock=time.monotonic):
        if tps <= 0:
            raise ValueError("tps must be > 0")
        self.tps = tps
        self.burst, self.rate = bucket_shape(tps)
        self.clock = clock
        self.tokens = self.burst
        self.stamp = clock()
        self.lock = threading.Lock()

    def acquire(self, n: int) -> tuple[int, float]:
        """(tokens granted now, seconds until the next token when fewer than `n` were granted)."""
        with self.lock:
            now = self.clock()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            granted = min(n, int(self.tokens + 1e-9))
            self.tokens -= granted
            if granted >= n:
                return granted, 0.0
            return granted, max(0.0, (1.0 - self.tokens) / self.rate)


# KEYS[1]: the bucket; ARGV: refill per second, burst, tokens wanted.
# Returns {granted, microseconds until the next token}. Redis's own clock (TIME) is used, so the
# processes sharing the bucket need no synchronised clocks. Redis 7 replicates the effects of a
# script, so reading TIME before writing is allowed.
_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate)
else
  now = ts
end
local granted = math.min(want, math.floor(tokens))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], 60000)
local wait = 0
if granted < want then
  wait = math.ceil((1 - tokens) / rate * 1000000)
end
return {granted, wait}
"""


class RedisLimiter:
    """The same bucket in Redis, shared by every process serving the route."""

    RETRY_REDIS_AFTER = 5.0

    def __init__(self, tps: float, *, key: str, url: str | None = None, client=None):
        import redis  # noqa: PLC0415 (only needed when a Redis URL is configured)

        if tps <= 0:
            raise ValueError("tps must be > 0")
        self.tps = tps
        self.burst, self.rate = bucket_shape(tps)
        self.key = key
        self.redis = client or redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self.script = self.redis.register_script(_LUA)
        self.fallback = LocalLimiter(tps)
        self.down_until = 0.0
        self.errors = (redis.RedisError, OSError)

    def acquire(self, n: int) -> tuple[int, float]:
        now = time.monotonic()
        if now >= self.down_until:
            try:
                granted, wait_us = self.script(keys=[self.key], args=[repr(self.rate), repr(self.burst), int(n)])
                return int(granted), int(wait_us) / 1_000_000
            except self.errors as exc:
                if not self.down_until:
                    log.warning("TPS limiter: Redis unavailable (%s); limiting in this process only", exc)
                self.down_until = now + self.RETRY_REDIS_AFTER
        return self.fallback.acquire(n)


_local: dict[int, LocalLimiter] = {}
_local_lock = threading.Lock()


def limiter_for_route(route_id: int, tps: int):
    """The limiter of a route, or None when it has no limit (tps 0).

    Redis when `SMSPORTAL_REDIS_URL` is set, else one in-memory bucket per route and process,
    shared by the binds (a changed limit makes a new bucket)."""
    if not tps:
        return None
    url = getattr(settings, "SMSPORTAL_REDIS_URL", None)
    if url:
        # keyed by database too: two installations (or test databases) may share one Redis
        from django.db import connection  # noqa: PLC0415

        return RedisLimiter(tps, key=f"smsportal:tps:{connection.settings_dict['NAME']}:{route_id}", url=url)
    with _local_lock:
        limiter = _local.get(route_id)
        if limiter is None or limiter.tps != tps:
            limiter = _local[route_id] = LocalLimiter(tps)
        return limiter


class AdaptiveRate:
    """How fast one bind may go after the SMSC said "throttled" (ESME_RTHROTTLED / RMSGQFUL).

    Multiplicative decrease on a throttle answer (at most once per 100 ms: the answers to one
    window arrive together), additive-ish increase for every quiet second, and off again once it
    is well above what the bind actually reaches."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.rate: float | None = None  # None: no cap of our own
        self.bucket: LocalLimiter | None = None
        self.last_cut = 0.0
        self.last_raise = 0.0
        self.sent_window: list[float] = [clock(), 0]  # [start of the current second, accepted in it]
        self.recent_rate = 0.0

    def accepted(self, n: int = 1) -> None:
        now = self.clock()
        start, count = self.sent_window
        if now - start >= 1.0:
            self.recent_rate = count / (now - start)
            self.sent_window = [now, n]
            if self.rate is not None and now - self.last_cut >= 1.0 and now - self.last_raise >= 1.0:
                self.last_raise = now
                self._set(self.rate * 1.2 + 1)
        else:
            self.sent_window[1] = count + n

    def throttled(self) -> None:
        now = self.clock()
        if now - self.last_cut < 0.1:
            return
        self.last_cut = now
        start, count = self.sent_window
        observed = max(self.recent_rate, count / max(now - start, 0.1))
        base = self.rate if self.rate is not None else observed
        self._set(max(1.0, min(base, observed or base) * 0.7))

    def _set(self, rate: float) -> None:
        if self.rate is not None and rate > 4 * max(self.recent_rate, 1.0) and rate > 50:
            self.rate, self.bucket = None, None  # comfortably above what we do anyway: off
            return
        self.rate = rate
        self.bucket = LocalLimiter(rate, clock=self.clock)

    def acquire(self, n: int) -> tuple[int, float]:
        if self.bucket is None:
            return n, 0.0
        return self.bucket.acquire(n)

