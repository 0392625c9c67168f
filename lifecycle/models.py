"""Complaints about a client's messages (R-CMP-09) and what staff decided about them.

A complaint lives here, above every app, because it links messaging's messages, is forwarded to
the client by accounts' notice channels and ends in a decision of billing (a penalty, R-BILL-11)
or of this module (a block). The messages are a many-to-many link to `messaging.Message`:
messages are never deleted (their personal data is blanked in place, R-ACC-08), so the link stays
valid for the complaint's whole life and the client and staff see the very rows complained about.
"""
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class Complaint(models.Model):
    class Source(models.TextChoices):
        OPERATOR = "operator", "A mobile operator"
        RECIPIENT = "recipient", "A recipient"
        THIRD_PARTY = "third_party", "A third party"

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for your answer"
        ANSWERED = "answered", "Answered, under review"
        RESOLVED = "resolved", "Resolved"

    class Decision(models.TextChoices):
        DISMISSED = "dismissed", "Dismissed"
        PENALIZED = "penalized", "Penalty charged"
        BLOCKED = "blocked", "Account blocked"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey("accounts.Client", on_delete=models.PROTECT, related_name="complaints")
    source = models.CharField(max_length=16, choices=Source.choices)
    complainant = models.CharField(max_length=200, blank=True,
                                   help_text="Who complained, as the client sees it (an operator's name; optional).")
    complainant_contact = models.CharField(max_length=200, blank=True,
                                           help_text="How to reach the complainant; staff only.")
    subject = models.TextField(help_text="What the complaint is about, as the client reads it.")
    messages = models.ManyToManyField("messaging.Message", related_name="complaints")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    received_at = models.DateTimeField()
    answer_due_on = models.DateField(help_text="The last Kyiv day for the client's answer (2 business days).")
    notified_email = models.BooleanField(default=False)
    overdue_flagged_at = models.DateTimeField(null=True, blank=True,
                                              help_text="When staff were told the answer is overdue.")
    answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    decision_note = models.TextField(blank=True, help_text="Why, as the client reads it.")
    penalty_messages = models.PositiveIntegerField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["client", "-received_at"], name="complaint_client_recent_idx"),
                   models.Index(fields=["status", "answer_due_on"], name="complaint_due_idx")]
        constraints = [
            # Resolved ⇔ a decision and its time; answered ⇒ the time of the answer.
            models.CheckConstraint(
                name="complaint_resolved_has_decision",
                condition=(Q(status="resolved") & ~Q(decision="") & Q(decided_at__isnull=False))
                | (~Q(status="resolved") & Q(decision="") & Q(decided_at__isnull=True))),
            models.CheckConstraint(
                name="complaint_answered_has_time",
                condition=~Q(status="answered") | Q(answered_at__isnull=False)),
            models.CheckConstraint(
                name="complaint_penalty_count",
                condition=Q(decision="penalized", penalty_messages__gte=1)
                | (~Q(decision="penalized") & Q(penalty_messages__isnull=True))),
        ]

    def __str__(self):
        return f"Complaint {str(self.public_id)[:8]} ({self.get_source_display().lower()})"

    @property
    def is_resolved(self) -> bool:
        return self.status == self.Status.RESOLVED
