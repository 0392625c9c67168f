"""Which route carries an SMS: by destination prefix, then operator and country, then priority.

A route with a matching prefix wins (the longest prefix first); otherwise the routes whose
operator and country lists fit (an empty list fits anything), lowest priority number first.
An inactive route hands its traffic to its active fallback.

The operator of a number comes from phonenumbers' offline carrier data, overridden by the
staff's prefix table (`OperatorPrefix`, longest prefix wins): `Router.recognize` applies it, and
routing and pricing both use its answer.
"""
from dataclasses import dataclass, replace

from smsportal.cache import VersionedCache, Versions
from smsportal.phones import Recipient

from .exceptions import NoRoute
from .models import OperatorPrefix, Route


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.replace(";", ",").split(",") if v.strip())


@dataclass(frozen=True)
class _Rule:
    route: Route
    prefixes: tuple[str, ...]
    operators: frozenset[str]
    countries: frozenset[str]


class Router:
    """Loads the routes once; answers many recipients (a campaign) without further queries."""

    def __init__(self, routes=None, operators=None):
        routes = list(routes if routes is not None else Route.objects.select_related("fallback").all())
        by_id = {r.pk: r for r in routes}
        self._rules = []
        for r in sorted(routes, key=lambda r: (r.priority, r.pk)):
            target = r
            seen = set()
            while not target.is_active and target.fallback_id and target.fallback_id not in seen:
                seen.add(target.pk)
                target = by_id.get(target.fallback_id) or target.fallback
            if target is None or not target.is_active:
                continue
            self._rules.append(_Rule(
                route=target,
                prefixes=tuple(p if p.startswith("+") else "+" + p for p in _split(r.prefixes)),
                operators=frozenset(o.lower() for o in _split(r.operators)),
                countries=frozenset(c.upper() for c in _split(r.countries)),
            ))
        self._key_len = max([8] + [len(p) for rule in self._rules for p in rule.prefixes])
        self._cache: dict[tuple[str, str, str], Route] = {}
        self._operators = {p.replace(" ", ""): o.strip().lower()
                           for p, o in (OperatorPrefix.objects.values_list("prefix", "operator")
                                        if operators is None else operators)}
        self._op_lengths = sorted({len(p) for p in self._operators}, reverse=True)
        self._op_cache: dict[str, str | None] = {}

    @classmethod
    def cached(cls, versions: Versions | None = None) -> "Router":
        """The process's router for the routes and operator prefixes as they are now: loaded again
        only when the "routes" counter moved (a route or prefix changed; smsportal.cache). Its
        answers depend only on those rows, so it is shared by every send of the process."""
        versions = versions or Versions()
        return _ROUTERS.get(versions.key("routes"), cls)

    def recognize(self, recipient: Recipient) -> Recipient:
        """The recipient with its operator from the prefix table when a prefix there matches."""
        if not self._operators:
            return recipient
        key = recipient.phone[:self._op_lengths[0]]
        operator = self._op_cache.get(key, "?")
        if operator == "?":
            operator = None
            for n in self._op_lengths:
                operator = self._operators.get(key[:n]) if len(key) >= n else None
                if operator is not None:
                    break
            self._op_cache[key] = operator
        if operator is None or operator == recipient.operator:
            return recipient
        return replace(recipient, operator=operator)

    def route_for(self, recipient: Recipient) -> Route:
        key = (recipient.phone[:self._key_len], recipient.country, recipient.operator)
        route = self._cache.get(key)
        if route is None:
            route = self._cache[key] = self._choose(recipient)
        return route

    def _choose(self, recipient: Recipient) -> Route:
        best, best_len = None, 0
        for rule in self._rules:
            for p in rule.prefixes:
                if recipient.phone.startswith(p) and len(p) > best_len:
                    best, best_len = rule.route, len(p)
        if best is not None:
            return best
        for rule in self._rules:
            if rule.prefixes:
                continue
            if rule.operators and recipient.operator not in rule.operators:
                continue
            if rule.countries and recipient.country not in rule.countries:
                continue
            return rule.route
        raise NoRoute(f"No SMS route serves {recipient.phone}; please contact support.")


_ROUTERS = VersionedCache(maxsize=4)
