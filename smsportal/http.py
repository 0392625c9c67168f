"""The client's IP address of a request, resolved in one way for everything that reads it: the
login and phone-code rate limits (allauth, through accounts.adapter), API key allow-lists
(R-ACC-04) and DRF throttles (REST_FRAMEWORK["NUM_PROXIES"] follows the same count).

Settings (smsportal/settings.py, from the environment):
- ALLAUTH_TRUSTED_CLIENT_IP_HEADER (env TRUSTED_CLIENT_IP_HEADER): a header that only our proxy
  sets, e.g. X-Real-IP. Used when present; a request without it came past the proxy, and its
  REMOTE_ADDR is the client.
- ALLAUTH_TRUSTED_PROXY_COUNT (env TRUSTED_PROXY_COUNT): how many proxies of ours append to
  X-Forwarded-For. The client is the entry that many places from the right: what our outermost
  proxy saw. Entries to its left are whatever the client sent and are never trusted. With 0 (the
  default) X-Forwarded-For is ignored.
"""
from __future__ import annotations

import ipaddress

from django.conf import settings


def _ip_clean(value: str | None) -> str | None:
    """The address in `value` ("1.2.3.4", "1.2.3.4:5678", "[::1]:80", "::1"), normalised; None if
    it is not one."""
    value = (value or "").strip()
    if not value:
        return None
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's address (see the module docstring); None only when the request has no valid
    REMOTE_ADDR either."""
    remote = _ip_clean(request.META.get("REMOTE_ADDR"))
    header = getattr(settings, "ALLAUTH_TRUSTED_CLIENT_IP_HEADER", None)
    if header:
        return _ip_clean(request.headers.get(header)) or remote
    count = getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0)
    forwarded = request.headers.get("X-Forwarded-For", "")
    if count > 0 and forwarded.strip():
        hops = [h for h in (p.strip() for p in forwarded.split(",")) if h]
        if hops:
            # Fewer entries than proxies: the request skipped an outer proxy, and the first entry
            # is what the outermost one it passed saw.
            return _ip_clean(hops[-count] if len(hops) >= count else hops[0]) or remote
    return remote
