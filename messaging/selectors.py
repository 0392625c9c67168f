from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count

from smsportal.kyiv import KYIV, kyiv_midnight

if TYPE_CHECKING:
    from accounts.models import Client  # annotations only: messaging never imports accounts' models

from .models import Campaign, ContactGroup, Message, WebhookEndpoint


def message_get(*, client: Client, public_id) -> Message | None:
    """The client's message with this id; another client's message is as good as absent."""
    return Message.objects.filter(client=client, public_id=public_id).first()


def messages_by_public_id(*, client: Client, public_ids) -> dict:
    """public_id → the client's message, for the ids that are this client's (one query); another
    client's id is as good as absent."""
    return {m.public_id: m for m in Message.objects.filter(client=client, public_id__in=set(public_ids))}


def messages_for_client(*, client: Client, status: str | None = None):
    qs = Message.objects.filter(client=client).order_by("-created_at", "-id")
    if status:
        qs = qs.filter(status=status)
    return qs


def contact_groups_for_client(*, client: Client):
    """The client's contact groups by name, each with its number of contacts (`size`)."""
    return ContactGroup.objects.filter(client=client).annotate(size=Count("contacts")).order_by("name", "id")


def webhook_endpoint_get(*, client: Client) -> WebhookEndpoint | None:
    """The client's status-webhook endpoint (URL, flag, signing secret), or None."""
    return WebhookEndpoint.objects.filter(client=client).first()


def campaign_get(*, client: Client, public_id):
    return Campaign.objects.filter(client=client, public_id=public_id).first()


def campaigns_for_client(*, client: Client):
    return Campaign.objects.filter(client=client).order_by("-created_at", "-id")


CAMPAIGN_COUNT_GROUPS = {
    "queued": ("scheduled", "queued", "submitting", "pending_review"),
    "submitted": ("submitted",),
    "delivered": ("delivered",),
    "undelivered": ("undelivered", "rejected"),
    "expired": ("expired",),
    "failed": ("failed",),
    "cancelled": ("cancelled",),
}


def campaign_status_counts(*, campaign) -> dict[str, int]:
    """Messages of a campaign by status (one grouped query over the campaign/status index)."""
    return dict(Message.objects.filter(campaign=campaign).values_list("status").annotate(n=Count("id"))
                .values_list("status", "n"))


def campaigns_status_counts(*, campaign_ids) -> dict[int, dict[str, int]]:
    """Messages by status of each of these campaigns (one grouped query for a whole page)."""
    by_campaign: dict[int, dict[str, int]] = {pk: {} for pk in campaign_ids}
    if by_campaign:
        for campaign_id, status, n in (Message.objects.filter(campaign_id__in=by_campaign).order_by()
                                       .values_list("campaign_id", "status").annotate(n=Count("*"))):
            by_campaign[campaign_id][status] = n
    return by_campaign


def campaign_counts(*, campaign, by_status: dict[str, int] | None = None) -> dict[str, int]:
    """Messages of a campaign by outcome (`by_status`: campaign_status_counts, when already read)."""
    if by_status is None:
        by_status = campaign_status_counts(campaign=campaign)
    counts = {name: sum(by_status.get(s, 0) for s in statuses) for name, statuses in CAMPAIGN_COUNT_GROUPS.items()}
    counts["refused"] = by_status.get("refused", 0)
    return counts


# ---- statistics (R-ACC-09: at least the last 6 months, on the website and the API) --------------

STATISTICS_GROUPS = {
    "delivered": ("delivered",),
    "undelivered": ("undelivered", "rejected", "expired"),
    "in_progress": ("scheduled", "pending_review", "queued", "submitting", "submitted"),
    "not_sent": ("refused", "failed", "cancelled"),
}
STATISTICS_MIN_MONTHS = 6


# Sent: handed to an operator (waiting for its receipt or with its outcome).
STATISTICS_SENT = ("submitted", "delivered", "undelivered", "rejected", "expired")
STATISTICS_DIMENSIONS = {"sender": "sender", "operator": "operator", "campaign": "campaign_id"}
STATISTICS_COLUMNS = ("messages", "sent", "parts", *STATISTICS_GROUPS, "cost")


def _statistics_aggregates() -> dict:
    """One row's figures as SQL aggregates (COUNT … FILTER, SUM … FILTER): nothing is summed in Python."""
    from django.db.models import Q, Sum  # noqa: PLC0415

    charged = ~Q(status__in=STATISTICS_GROUPS["not_sent"])  # not_sent is never charged (or refunded)
    return {
        "messages": Count("id"),
        "sent": Count("id", filter=Q(status__in=STATISTICS_SENT)),
        **{g: Count("id", filter=Q(status__in=statuses)) for g, statuses in STATISTICS_GROUPS.items()},
        "parts": Sum("segments", filter=charged),
        "cost": Sum("price", filter=charged),
    }


def _statistics_row(row: dict) -> dict:
    return {**row, "parts": row["parts"] or 0, "cost": row["cost"] or 0}


def message_statistics(*, client: Client, date_from, date_to, by: str = "month", dimension: str = "") -> dict:
    """Messages of `client` created from `date_from` to `date_to` (Kyiv dates, inclusive), per
    month or day (GROUP BY date_trunc in Kyiv time): messages, sent, SMS parts, outcome groups and
    the price of what was sent (not_sent is refunded). With `dimension` (sender, operator or
    campaign) also the same figures per sender name, operator or campaign (`breakdown`, largest
    first). Grouped queries over the (client, created_at) index."""
    from datetime import timedelta  # noqa: PLC0415

    from django.db.models.functions import TruncDay, TruncMonth  # noqa: PLC0415

    start = kyiv_midnight(date_from)
    end = kyiv_midnight(date_to + timedelta(days=1))
    messages = Message.objects.filter(client=client, created_at__gte=start, created_at__lt=end).order_by()
    trunc = (TruncDay if by == "day" else TruncMonth)("created_at", tzinfo=KYIV)
    rows = [_statistics_row({**r, "period": r["period"].date()}) for r in
            messages.annotate(period=trunc).values("period").annotate(**_statistics_aggregates()).order_by("-period")]
    totals = _statistics_row(messages.aggregate(**_statistics_aggregates()))
    out = {"rows": rows, "totals": totals, "by": by, "date_from": date_from, "date_to": date_to,
           "dimension": dimension if dimension in STATISTICS_DIMENSIONS else "", "breakdown": []}
    if out["dimension"]:
        field = STATISTICS_DIMENSIONS[dimension]
        breakdown = [_statistics_row({**r, "key": r[field]}) for r in
                     messages.values(field).annotate(**_statistics_aggregates()).order_by("-messages", field)]
        if dimension == "campaign":
            names = {c["pk"]: c for c in Campaign.objects.filter(
                client=client, pk__in=[r["key"] for r in breakdown if r["key"]]).values("pk", "name", "public_id")}
            for r in breakdown:
                c = names.get(r["key"])
                r["campaign"] = c
                r["key"] = str(c["public_id"]) if c else ""
        out["breakdown"] = breakdown
    return out


def statistics_default_from(today):
    """The first day of the month six months back: the period every client can always see."""
    month = today.month - STATISTICS_MIN_MONTHS
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return today.replace(year=year, month=month, day=1)
