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


def message_statistics(*, client: Client, date_from, date_to, by: str = "month") -> dict:
    """Messages of `client` created from `date_from` to `date_to` (Kyiv dates, inclusive), per
    month or day: messages, SMS parts, outcome groups and the price of what was sent (not_sent is
    refunded). One grouped query over the (client, created_at) index."""
    from datetime import timedelta  # noqa: PLC0415

    from django.db.models import Sum  # noqa: PLC0415
    from django.db.models.functions import TruncDay, TruncMonth  # noqa: PLC0415

    start = kyiv_midnight(date_from)
    end = kyiv_midnight(date_to + timedelta(days=1))
    trunc = (TruncDay if by == "day" else TruncMonth)("created_at", tzinfo=KYIV)
    rows = (Message.objects.filter(client=client, created_at__gte=start, created_at__lt=end).order_by()
            .annotate(period=trunc).values("period", "status")
            .annotate(n=Count("id"), parts=Sum("segments"), amount=Sum("price")))
    not_sent = set(STATISTICS_GROUPS["not_sent"])
    periods: dict = {}
    for row in rows:
        p = periods.setdefault(row["period"].date(), {"messages": 0, "parts": 0, "cost": 0,
                                                      **{g: 0 for g in STATISTICS_GROUPS}})
        p["messages"] += row["n"]
        group = next(g for g, statuses in STATISTICS_GROUPS.items() if row["status"] in statuses)
        p[group] += row["n"]
        if row["status"] not in not_sent:
            p["parts"] += row["parts"] or 0
            p["cost"] += row["amount"] or 0
    out = [{"period": day, **values} for day, values in sorted(periods.items(), reverse=True)]
    totals = {k: sum(r[k] for r in out) for k in ("messages", "parts", "cost", *STATISTICS_GROUPS)}
    return {"rows": out, "totals": totals, "by": by, "date_from": date_from, "date_to": date_to}


def statistics_default_from(today):
    """The first day of the month six months back: the period every client can always see."""
    month = today.month - STATISTICS_MIN_MONTHS
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return today.replace(year=year, month=month, day=1)
