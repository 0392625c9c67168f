"""Reads for the client's compliance page and notice: its complaints and recent refused or held messages."""
from __future__ import annotations

from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from accounts.models import Client
from messaging.selectors import messages_for_client

from .models import Complaint

RECENT_DAYS = 30


def complaints_for_client(*, client: Client):
    """The client's complaints, newest first, each with its number of messages (`message_count`)."""
    return (Complaint.objects.filter(client=client).annotate(message_count=Count("messages"))
            .order_by("-received_at", "-id"))


def complaint_get(*, client: Client, public_id) -> Complaint | None:
    """The client's complaint with this id; another client's complaint is as good as absent."""
    return Complaint.objects.filter(client=client, public_id=public_id).first()


def complaints_awaiting_answer(*, client_id: int) -> list[Complaint]:
    """The open complaints the client has not answered yet, the earliest due first (the notice)."""
    return list(Complaint.objects.filter(client_id=client_id, status=Complaint.Status.OPEN)
                .order_by("answer_due_on", "id").only("public_id", "answer_due_on", "received_at"))


def compliance_message_counts(*, client: Client, days: int = RECENT_DAYS) -> dict[str, int]:
    """How many of the client's messages of the last `days` days were refused or are held for review."""
    rows = (messages_for_client(client=client).filter(created_at__gte=timezone.now() - timedelta(days=days),
                                                       status__in=("refused", "pending_review"))
            .order_by().values("status").annotate(n=Count("id")))
    counts = {"refused": 0, "pending_review": 0}
    counts.update({r["status"]: r["n"] for r in rows})
    return counts
