from django.db import models

from accounts.models import Client


class OptOut(models.Model):
    """A recipient who asked one client to stop (reply STOP/СТОП, a request to the client or to
    us). The compliance stop list builds on it (R-CMP-05)."""

    class Source(models.TextChoices):
        REPLY = "reply", "Reply STOP"
        CLIENT = "client", "Entered by the client"
        STAFF = "staff", "Entered by staff"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="opt_outs")
    phone = models.CharField(max_length=20, help_text="E.164")
    source = models.CharField(max_length=8, choices=Source.choices)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["client", "phone"], name="opt_out_unique")]

    def __str__(self):
        return f"{self.phone} opted out of {self.client}"
