from django.db.models import Count

from accounts.models import Client

from .models import Campaign, Message


def message_get(*, client: Client, public_id) -> Message | None:
    """The client's message with this id; another client's message is as good as absent."""
    return Message.objects.filter(client=client, public_id=public_id).first()


def messages_for_client(*, client: Client, status: str | None = None):
    qs = Message.objects.filter(client=client).order_by("-created_at", "-id")
    if status:
        qs = qs.filter(status=status)
    return qs


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


def campaign_counts(*, campaign) -> dict[str, int]:
    """Messages of a campaign by outcome (one grouped query over the campaign/status index)."""
    by_status = dict(Message.objects.filter(campaign=campaign).values_list("status").annotate(n=Count("id"))
                     .values_list("status", "n"))
    counts = {name: sum(by_status.get(s, 0) for s in statuses) for name, statuses in CAMPAIGN_COUNT_GROUPS.items()}
    counts["refused"] = by_status.get("refused", 0)
    return counts
