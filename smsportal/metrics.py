"""GET /metrics: Prometheus metrics of the whole installation, computed from the database when
scraped, so every web process answers the same whatever process did the work.

Protected by a bearer token: `Authorization: Bearer $METRICS_TOKEN`. Without METRICS_TOKEN the
endpoint is off (404). Scrape one web process (any): each scrape runs about ten small queries.

Metrics (labels in braces):
    smsportal_up                               1 when the database answered the scrape
    smsportal_messages_queued{route}           messages waiting for their route's connector
    smsportal_parts_retry_queued{route}        parts refused with a temporary error, waiting to retry
    smsportal_parts_submitted_total{route}     parts the SMSC accepted (a count of the parts table)
    smsportal_parts_in_doubt{route}            parts written without an answer (never resent)
    smsportal_bind_up{route,process,bind}      1 while the bind is bound (its heartbeat is fresh)
    smsportal_bind_window_in_use{…}            submit_sm in flight on the bind
    smsportal_bind_window_size{…}              the route's window
    smsportal_bind_throttled_total{…}          throttled answers since the connector process started
    smsportal_receipts_unmatched               receipts stored and not yet matched to their parts
    smsportal_receipt_lag_seconds              age of the oldest of them
    smsportal_webhook_events_pending           status webhooks waiting to be POSTed
    smsportal_webhook_oldest_pending_seconds   age of the oldest of them
    smsportal_holds_open                       money holds still reserving part of a wallet
    smsportal_held_uah                         money held on all wallets, in UAH
"""
from __future__ import annotations

import hmac
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Count, Min, Q, Sum
from django.http import HttpResponse, HttpResponseNotFound
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class DatabaseCollector:
    """Reads every metric from the database at scrape time (prometheus_client custom collector)."""

    def collect(self):
        up = GaugeMetricFamily("smsportal_up", "1 when the database answered this scrape.")
        try:
            families = list(self._families())
        except DatabaseError:
            connection.close()
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self):
        from billing.models import Wallet
        from billing.selectors import holds_open
        from messaging.models import BindHeartbeat, Message, MessagePart, ReceiptInbox, Route, WebhookEvent
        from messaging.services.dispatch import IN_DOUBT
        from messaging.status import Status

        now = timezone.now()
        names = dict(Route.objects.values_list("pk", "name"))

        def per_route(name, doc, rows, cls=GaugeMetricFamily):
            family = cls(name, doc, labels=["route"])
            seen = dict(rows)
            for pk, route in sorted(names.items(), key=lambda kv: kv[1]):
                family.add_metric([route], seen.get(pk, 0))
            return family

        yield per_route("smsportal_messages_queued", "Messages waiting for their route's connector.",
                        Message.objects.filter(status=Status.QUEUED, route__isnull=False).order_by()
                        .values_list("route_id").annotate(n=Count("id")))
        yield per_route("smsportal_parts_retry_queued", "Parts waiting to be sent again after a temporary error.",
                        MessagePart.objects.filter(status=Status.QUEUED).order_by()
                        .values_list("route_id").annotate(n=Count("id")))
        yield per_route("smsportal_parts_submitted", "Parts the SMSC accepted.",
                        MessagePart.objects.filter(submitted_at__isnull=False).order_by()
                        .values_list("route_id").annotate(n=Count("id")), cls=CounterMetricFamily)
        yield per_route("smsportal_parts_in_doubt", "Parts written to the SMSC without an answer (never resent).",
                        MessagePart.objects.filter(status=Status.SUBMITTING, smsc_message_id__isnull=True,
                                                   error_code=IN_DOUBT).order_by()
                        .values_list("route_id").annotate(n=Count("id")))

        labels = ["route", "process", "bind"]
        bind_up = GaugeMetricFamily("smsportal_bind_up", "1 while the bind is bound.", labels=labels)
        window = GaugeMetricFamily("smsportal_bind_window_in_use", "submit_sm in flight on the bind.", labels=labels)
        size = GaugeMetricFamily("smsportal_bind_window_size", "The bind's window.", labels=labels)
        throttled = CounterMetricFamily("smsportal_bind_throttled", "Throttled answers since the connector started.",
                                        labels=labels)
        fresh = now - timedelta(seconds=settings.SMSPORTAL_BIND_STALE_SECONDS)
        for hb in BindHeartbeat.objects.filter(heartbeat_at__gte=fresh):
            key = [names.get(hb.route_id, str(hb.route_id)), hb.process, str(hb.bind)]
            bind_up.add_metric(key, 1 if hb.bound_since else 0)
            window.add_metric(key, hb.window_in_use)
            size.add_metric(key, hb.window_size)
            throttled.add_metric(key, hb.throttled)
        yield from (bind_up, window, size, throttled)

        receipts = ReceiptInbox.objects.filter(processed_at__isnull=True).aggregate(n=Count("id"), t=Min("received_at"))
        yield GaugeMetricFamily("smsportal_receipts_unmatched", "Receipts not yet matched to their parts.",
                                value=receipts["n"])
        yield GaugeMetricFamily("smsportal_receipt_lag_seconds", "Age of the oldest unmatched receipt.",
                                value=_age(now, receipts["t"]))
        hooks = WebhookEvent.objects.filter(state=WebhookEvent.State.PENDING).aggregate(n=Count("id"),
                                                                                        t=Min("created_at"))
        yield GaugeMetricFamily("smsportal_webhook_events_pending", "Status webhooks waiting to be POSTed.",
                                value=hooks["n"])
        yield GaugeMetricFamily("smsportal_webhook_oldest_pending_seconds", "Age of the oldest pending webhook.",
                                value=_age(now, hooks["t"]))
        yield GaugeMetricFamily("smsportal_holds_open", "Money holds still reserving part of a wallet.",
                                value=len(holds_open(created_before=now + timedelta(seconds=1))))
        held = Wallet.objects.filter(~Q(held=0)).aggregate(s=Sum("held"))["s"]
        yield GaugeMetricFamily("smsportal_held_uah", "Money held on all wallets, in UAH.", value=float(held or 0))


def _age(now, when) -> float:
    return max(0.0, (now - when).total_seconds()) if when else 0.0


REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(DatabaseCollector())


def _authorized(request) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    return given.startswith("Bearer ") and hmac.compare_digest(given[7:].strip().encode(), token.encode())


def metrics(request):
    if not settings.METRICS_TOKEN:
        return HttpResponseNotFound("Metrics are off: set METRICS_TOKEN.", content_type="text/plain")
    if not _authorized(request):
        response = HttpResponse("A bearer token is needed.", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    response = HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
