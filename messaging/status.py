"""The message status machine (ARCHITECTURE.md). Every transition is checked against this table."""
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Status(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    PENDING_REVIEW = "pending_review", _("Pending review")
    QUEUED = "queued", _("Queued")
    SUBMITTING = "submitting", _("Submitting")
    SUBMITTED = "submitted", _("Submitted")
    DELIVERED = "delivered", _("Delivered")
    UNDELIVERED = "undelivered", _("Undelivered")
    EXPIRED = "expired", _("Expired")
    REJECTED = "rejected", pgettext_lazy("message status", "Rejected")
    REFUSED = "refused", _("Refused")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


FINAL = frozenset({Status.DELIVERED, Status.UNDELIVERED, Status.EXPIRED, Status.REJECTED,
                   Status.REFUSED, Status.FAILED, Status.CANCELLED})
# States whose charge is given back: the operator never took the message.
REFUNDABLE = frozenset({Status.FAILED, Status.CANCELLED, Status.REFUSED})
# Outcomes a delivery receipt can report.
RECEIPT_OUTCOMES = frozenset({Status.DELIVERED, Status.UNDELIVERED, Status.EXPIRED, Status.REJECTED})

TRANSITIONS: dict[str, frozenset[str]] = {
    Status.SCHEDULED: frozenset({Status.QUEUED, Status.PENDING_REVIEW, Status.CANCELLED, Status.REFUSED}),
    # EXPIRED: held for review past its lifetime (never sent: its hold is released, not captured).
    Status.PENDING_REVIEW: frozenset({Status.SCHEDULED, Status.QUEUED, Status.REFUSED, Status.CANCELLED,
                                      Status.EXPIRED}),
    # REFUSED: its recipient opted out after accept, or the 10-a-day cap was reached meanwhile,
    # seen when its connector claims it (R-CMP-05, 03). SCHEDULED: the sending window closed
    # before it went (R-CMP-07): it waits for the next opening.
    Status.QUEUED: frozenset({Status.SUBMITTING, Status.CANCELLED, Status.EXPIRED, Status.FAILED, Status.REFUSED,
                              Status.SCHEDULED}),
    # A receipt can beat its submit_sm_resp, so SUBMITTING may jump to a receipt outcome.
    # REFUSED: a Viber provider refused the message synchronously (messaging.viber).
    Status.SUBMITTING: frozenset({Status.SUBMITTED, Status.QUEUED, Status.FAILED, Status.EXPIRED, Status.REFUSED}
                                 | RECEIPT_OUTCOMES),
    Status.SUBMITTED: RECEIPT_OUTCOMES,
    # A late receipt (within the receipt window) may still settle an expired message.
    Status.EXPIRED: frozenset({Status.DELIVERED, Status.UNDELIVERED}),
}


class InvalidTransition(Exception):
    def __init__(self, current: str, new: str):
        super().__init__(f"A message cannot go from {current} to {new}.")
        self.current, self.new = current, new


def can_transition(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())


def sources_for(new: str) -> list[str]:
    """Every status from which `new` may be reached: the WHERE clause of a batch transition."""
    return [s for s, targets in TRANSITIONS.items() if new in targets]


def check_transition(current: str, new: str) -> None:
    if not can_transition(current, new):
        raise InvalidTransition(current, new)
