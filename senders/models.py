from django.conf import settings
from django.db import models
from django.db.models.functions import Upper

from accounts.models import Client


class SenderName(models.Model):
    """An alphanumeric SMS sender name (R-SND-01). Only an approved name of its client can send."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending moderation"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="sender_names")
    name = models.CharField(max_length=11)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    rejection_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One name, one company (R-SND-08), whatever the letter case.
            models.UniqueConstraint(Upper("name"), name="sender_name_unique_ci"),
        ]

    def __str__(self):
        return self.name
