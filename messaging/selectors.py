from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext, gettext_lazy as _

from compliance.selectors import refusal_text

from smsportal.kyiv import KYIV, kyiv_midnight

if TYPE_CHECKING:
    from accounts.models import Client  # annotations only: messaging never imports accounts' models

from .models import Campaign, ContactGroup, InboundMessage, Message, WebhookEndpoint, WebhookEvent


# --- the words of an error code ------------------------------------------------------------------
# A message's (and a campaign row's) error_detail is stored once, in the language of whoever sent
# it, or in English by background work. People read it in their own language: the words come from
# the code where the code says everything, else from the stored text (translated when it is one of
# our fixed English sentences, as it is when background work wrote it).

_CODE_TEXTS = {
    "welcome_required": _("The first Viber message to a recipient must be a welcome message."),
    "viber_daily_limit": _("Your daily Viber limit is reached; the rest can be sent tomorrow."),
    "not_viber_user": _("The recipient does not use Viber."),
    "blocked": _("The recipient blocked messages from this sender."),
    "blocked_by_staff": _("Stopped by the provider's content check before it was sent."),
    "review_expired": _("Its lifetime ended while it waited for the content review; it was not sent or charged."),
    "no_receipt": _("No delivery report within 7 days."),
    "cancelled": _("Cancelled by the client."),
}
# Fixed English details written by background work (codes shared by several of them).
_STORED_TEXTS = {
    "The recipient opted out (STOP) before it was sent.": _("The recipient opted out (STOP) before it was sent."),
    "The recipient's personal data was erased at their request.":
        _("The recipient's personal data was erased at their request."),
    "The SMSC kept refusing it until its lifetime ended.": _("The SMSC kept refusing it until its lifetime ended."),
    "Its lifetime ended before it could be sent.": _("Its lifetime ended before it could be sent."),
    "Not accepted by the operator within its lifetime.": _("Not accepted by the operator within its lifetime."),
    "Sent, but the operator never confirmed it; no delivery report within 7 days.":
        _("Sent, but the operator never confirmed it; no delivery report within 7 days."),
    "The account was blocked before the message was sent.": _("The account was blocked before the message was sent."),
    "The account was terminated before the message was sent.":
        _("The account was terminated before the message was sent."),
    "No recipient in the list can receive SMS.": _("No recipient in the list can receive SMS."),
}


def error_text(code: str | None, stored_detail: str | None = "") -> str:
    """What a person reads about a refused, held or failed message with this error `code` and
    stored detail, in the active language. Codes stay English wherever they are shown."""
    code, stored = code or "", stored_detail or ""
    if code == "frequency_cap":
        from .services.frequency import frequency_cap_detail  # noqa: PLC0415
        return frequency_cap_detail()
    if stored in _STORED_TEXTS:
        return str(_STORED_TEXTS[stored])
    text = refusal_text(code, stored)
    if text is not None:
        return text
    if code in _CODE_TEXTS:
        return str(_CODE_TEXTS[code])
    return gettext(stored) if stored else ""


def row_error_text(row: dict) -> str:
    """A refused or invalid row of a send or campaign report ({"reason", "code"?}), in the active language."""
    from smsportal.phones import phone_reason_text  # noqa: PLC0415
    reason = str(row.get("reason") or "")
    if row.get("code"):
        return error_text(row["code"], reason)
    return phone_reason_text(reason) if reason else ""


def message_get(*, client: Client, public_id) -> Message | None:
    """The client's message with this id; another client's message is as good as absent."""
    return Message.objects.filter(client=client, public_id=public_id).first()


def messages_by_public_id(*, client: Client, public_ids, with_viber: bool = False) -> dict:
    """public_id → the client's message, for the ids that are this client's (one query); another
    client's id is as good as absent."""
    qs = Message.objects.filter(client=client, public_id__in=set(public_ids))
    if with_viber:  # a Viber message's details and its SMS fallback, in the same query
        qs = qs.select_related("viber", "viber__fallback_message")
    return {m.public_id: m for m in qs}


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
    return Campaign.objects.select_related("viber").filter(client=client, public_id=public_id).first()


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


# ---- the message list (API and website): filters, keyset pages, exports -----------------------

def messages_filtered(*, client: Client, status=None, sender: str = "", recipient: str = "",
                      recipient_contains: str = "", campaign_public_id=None, channel: str = "",
                      created_from=None, created_to=None):
    """The client's messages, newest first (created_at, id: the (client, created_at, id) and
    (client, status, created_at, id) indexes give this order without a sort), narrowed by the
    list's filters. `status`: one status or a list of them. `created_to` is exclusive."""
    qs = Message.objects.filter(client=client)
    if status:
        qs = qs.filter(status__in=list(status)) if isinstance(status, (list, tuple, set, frozenset)) \
            else qs.filter(status=status)
    if sender:
        qs = qs.filter(sender=sender)
    if recipient:
        qs = qs.filter(recipient=recipient)
    if recipient_contains:
        qs = qs.filter(recipient__contains=recipient_contains)
    if campaign_public_id:
        qs = qs.filter(campaign__public_id=campaign_public_id)
    if channel:
        qs = qs.filter(channel=channel)
    if created_from:
        qs = qs.filter(created_at__gte=created_from)
    if created_to:
        qs = qs.filter(created_at__lt=created_to)
    return qs.order_by("-created_at", "-id")


_MESSAGE = Message._meta.db_table


def messages_after(qs, key: tuple):
    """The rows of a newest-first message list after `key` (created_at, id): a row comparison,
    which PostgreSQL reads as a bound of the (client[, status], created_at, id) index scan."""
    return qs.extra(where=[f'("{_MESSAGE}"."created_at", "{_MESSAGE}"."id") < (%s, %s)'], params=list(key))


def messages_page(qs, *, after: tuple | None, limit: int) -> tuple[list, tuple | None]:
    """A keyset page of `messages_filtered`: the rows after the key (created_at, id) of the last
    row of the previous page, and the key of this page's last row when there are more. The
    bound `(created_at, id) < key` is an index condition, so a page deep in ten million rows costs
    what the first one does (no OFFSET)."""
    if after is not None:
        qs = messages_after(qs, after)
    rows = list(qs[:limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, ((rows[-1].created_at, rows[-1].pk) if more and rows else None)


def messages_page_before(qs, *, before: tuple, limit: int) -> tuple[list, tuple | None]:
    """The keyset page just newer than `before` (the key of the first row of the page the reader
    is on: a "Newer" link), still newest first, and the key to ask for the page newer than this
    one when there is one. The bound is read by a forward scan of the same index."""
    qs = qs.extra(where=[f'("{_MESSAGE}"."created_at", "{_MESSAGE}"."id") > (%s, %s)'], params=list(before))
    rows = list(qs.reverse()[:limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    rows.reverse()
    return rows, ((rows[0].created_at, rows[0].pk) if more and rows else None)


EXPORT_CHUNK = 2000


def messages_export_rows(qs):
    """The rows of a delivery-report export, read through a server-side cursor `EXPORT_CHUNK`
    at a time (constant memory however many there are): tuples of EXPORT_COLUMNS. Read inside a
    read-only transaction: outside one, Django declares the cursor WITH HOLD, which makes
    PostgreSQL materialize the whole result before the first row."""
    with transaction.atomic():
        yield from qs.values_list(*EXPORT_FIELDS).iterator(chunk_size=EXPORT_CHUNK)


# (column name, model field) of an export; the campaign's public id through one join.
EXPORT_COLUMNS = (
    ("id", "public_id"), ("created_at", "created_at"), ("channel", "channel"), ("sender", "sender"),
    ("recipient", "recipient"), ("type", "message_type"), ("status", "status"), ("segments", "segments"),
    ("price", "price"), ("currency", "price_currency"), ("submitted_at", "submitted_at"), ("done_at", "done_at"),
    ("error_code", "error_code"), ("campaign_id", "campaign__public_id"), ("text", "text"),
)
EXPORT_FIELDS = tuple(f for _c, f in EXPORT_COLUMNS)


def inbound_for_client(*, client: Client, source: str = "", destination: str = "", received_from=None,
                       received_to=None):
    """The client's inbound SMS (replies to its sender names), newest first."""
    qs = InboundMessage.objects.filter(client=client)
    if source:
        qs = qs.filter(source=source)
    if destination:
        qs = qs.filter(destination=destination)
    if received_from:
        qs = qs.filter(received_at__gte=received_from)
    if received_to:
        qs = qs.filter(received_at__lt=received_to)
    return qs.order_by("-received_at", "-id")


def inbound_page(qs, *, after: tuple | None, limit: int) -> tuple[list, tuple | None]:
    """A keyset page of `inbound_for_client` (received_at, id), as `messages_page`."""
    if after is not None:
        table = InboundMessage._meta.db_table
        qs = qs.extra(where=[f'("{table}"."received_at", "{table}"."id") < (%s, %s)'], params=list(after))
    rows = list(qs[:limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, ((rows[-1].received_at, rows[-1].pk) if more and rows else None)


def message_webhook_events(*, message) -> list:
    """The webhook events recorded for one message, oldest first (its detail page)."""
    return list(WebhookEvent.objects.filter(client_id=message.client_id, message=message).order_by("id")[:100])
