"""Per-API-key rate limits (the integrator API): a fixed window counted in the shared cache
(Redis in production, so every web process counts the same requests).

Each key may make `ApiKey.rate_limit` requests per period (staff set it in admin), else
SMSPORTAL_API_RATE ("20/s" by default; empty: no limit). Over it: 429 `rate_limited` with
`Retry-After` (seconds to the next window) — smsportal.api turns DRF's Throttled into that JSON.
Requests without a key (the payment callback, the schema) are not counted here."""
import math
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rate_parse(rate: str | None) -> tuple[int, int] | None:
    """(requests, seconds) of "50/s", or None for no limit."""
    if not rate:
        return None
    count, _slash, period = rate.partition("/")
    return int(count), PERIODS[period.strip()[:1].lower()]


def rate_for(key) -> tuple[int, int] | None:
    return rate_parse(getattr(key, "rate_limit", "") or getattr(settings, "SMSPORTAL_API_RATE", ""))


class ApiKeyRateThrottle(BaseThrottle):
    """Counts the requests of one API key in the current window of its rate."""

    def allow_request(self, request, view):
        key = request.auth
        if key is None or not getattr(key, "pk", None):
            return True
        rate = rate_for(key)
        if rate is None:
            return True
        limit, period = rate
        now = time.time()
        window = int(now // period)
        name = f"api-rate:{key.pk}:{period}:{window}"
        cache.add(name, 0, timeout=period + 1)
        try:
            used = cache.incr(name)
        except ValueError:  # expired between add and incr
            cache.add(name, 1, timeout=period + 1)
            used = 1
        self._wait = (window + 1) * period - now
        return used <= limit

    def wait(self):
        return max(1, math.ceil(self._wait))
