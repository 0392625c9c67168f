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
from django.utils.translation import gettext_lazy as _
from django.db.models import Q


class Complaint(models.Model):
    class Source(models.TextChoices):
        OPERATOR = "operator", _("A mobile operator")
        RECIPIENT = "recipient", _("A recipient")
        THIRD_PARTY = "third_party", _("A third party")

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for your answer")
        ANSWERED = "answered", _("Answered, under review")
        RESOLVED = "resolved", _("Resolved")

    class Decision(models.TextChoices):
        DISMISSED = "dismissed", _("Dismissed")
        PENALIZED = "penalized", _("Penalty charged")
        BLOCKED = "blocked", _("Account blocked")

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey("accounts.Client", verbose_name=_("client"), on_delete=models.PROTECT, related_name="complaints")
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    complainant = models.CharField(_("complainant"), max_length=200, blank=True,
                                   help_text=_("Who complained, as the client sees it (an operator's name; optional)."))
    complainant_contact = models.CharField(_("complainant contact"), max_length=200, blank=True,
                                           help_text=_("How to reach the complainant; staff only."))
    subject = models.TextField(_("subject"), help_text=_("What the complaint is about, as the client reads it."))
    messages = models.ManyToManyField("messaging.Message", verbose_name=_("messages"), related_name="complaints")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    received_at = models.DateTimeField(_("received at"))
    answer_due_on = models.DateField(_("answer due on"), help_text=_("The last Kyiv day for the client's answer (2 business days)."))
    notified_email = models.BooleanField(_("notified email"), default=False)
    overdue_flagged_at = models.DateTimeField(_("overdue flagged at"), null=True, blank=True,
                                              help_text=_("When staff were told the answer is overdue."))
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("answered by"), null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True, help_text=_("Why, as the client reads it."))
    penalty_messages = models.PositiveIntegerField(_("penalty messages"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
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
        return _("Complaint %(id)s (%(source)s)") % {"id": str(self.public_id)[:8], "source": str(self.get_source_display()).lower()}

    @property
    def is_resolved(self) -> bool:
        return self.status == self.Status.RESOLVED


class Announcement(models.Model):
    """A notice to every client (R-SVC-01, R-SVC-02, R-BILL-13): planned maintenance (start and end,
    published at least 3 calendar days before the start), a tariff change or a terms change (at
    least 7 calendar days before it takes effect). Staff write it in admin and publish it; clients
    see it as a banner and on the Announcements page, get it by email and read it on the API."""

    class Kind(models.TextChoices):
        MAINTENANCE = "maintenance", _("Planned maintenance")
        TARIFF = "tariff", _("Tariff change")
        TERMS = "terms", _("Terms change")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    starts_at = models.DateTimeField(
        _("starts / takes effect"),
        help_text=_("Maintenance: its start. Tariff or terms change: when it takes effect (a tariff change takes the "
                    "price list's start)."))
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True, help_text=_("Maintenance: its end."))
    tariff = models.ForeignKey("billing.Tariff", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               help_text=_("Tariff change: the new price list it announces."))
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", editable=False)
    emailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("announcement")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                                   name="announcement_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.title}"

    def clean(self):
        from .announcements import announcement_errors  # noqa: PLC0415 (rules across rows)

        if errors := announcement_errors(self):
            from django.core.exceptions import ValidationError  # noqa: PLC0415

            raise ValidationError(errors)
