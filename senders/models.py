import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from accounts.models import Client


def private_storage():
    """Files only staff may read (brand proofs): under MEDIA_ROOT/private, with no public URL.
    They are served by a staff-only admin view, never by the web server."""
    return FileSystemStorage(location=settings.MEDIA_ROOT / "private", base_url=None)


def _proof_path(instance, filename):
    ext = (filename.rsplit(".", 1)[-1] if "." in filename else "bin").lower()[:5]
    return f"sender_proofs/{uuid.uuid4().hex}.{ext}"


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    VIBER = "viber", _("Viber")


class Operator(models.TextChoices):
    """Ukrainian mobile operators that keep national sender-name lists (R-SND-05)."""

    KYIVSTAR = "kyivstar", _("Kyivstar")
    VODAFONE = "vodafone", _("Vodafone")
    LIFECELL = "lifecell", _("lifecell")


class SenderName(models.Model):
    """A sender name: an alphanumeric SMS name (R-SND-01) or a Viber name (R-SND-07).

    Only an approved name of its client can send. One name belongs to one client (R-SND-08).
    An SMS name is national with an operator only once the client filled the description and the
    operator accepted it (R-SND-05); otherwise it is international.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending moderation")
        SUBMITTED = "submitted", _("Submitted to Viber")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="sender_names")
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.SMS)
    name = models.CharField(max_length=20)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    rejection_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    # R-SND-03: a well-known brand needs proof of the right to use it.
    brand = models.CharField(max_length=100, blank=True, help_text=_("The well-known brand this name matched."))
    proof = models.FileField(storage=private_storage, upload_to=_proof_path, blank=True,
                             help_text=_("A letter or agreement granting the right to use the brand (staff only)."))
    proof_content_type = models.CharField(max_length=50, blank=True)

    # R-SND-05: what operators need to register a national name (the client fills them).
    company_name = models.CharField(_("company that sends"), max_length=200, blank=True)
    company_code = models.CharField(_("EDRPOU / tax number of that company"), max_length=10, blank=True)
    website = models.CharField(max_length=200, blank=True)
    purpose = models.TextField(_("what the messages are about"), blank=True)
    sample_text = models.TextField(_("a typical message"), blank=True)
    description_updated_at = models.DateTimeField(null=True, blank=True)

    # Staff: keep it international whatever operators say (R-SND-06), with the reason.
    international_reason = models.CharField(max_length=300, blank=True)

    # R-SND-07: the Viber registration fee (ledger key) once charged.
    fee_charge_key = models.CharField(max_length=100, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One name, one company (R-SND-08), whatever the letter case; a rejected request
            # does not keep the name from anyone.
            models.UniqueConstraint(Upper("name"), "channel", condition=~Q(status="rejected"),
                                    name="sender_name_unique_ci"),
        ]

    def __str__(self):
        return self.name if self.channel == Channel.SMS else f"{self.name} (Viber)"

    DESCRIPTION_FIELDS = ("company_name", "company_code", "website", "purpose", "sample_text")

    @property
    def description_complete(self) -> bool:
        """All description fields filled (R-SND-05, section 6). A website may be '-' for none."""
        return all((getattr(self, f) or "").strip() for f in self.DESCRIPTION_FIELDS)


class NationalRegistration(models.Model):
    """An operator's decision on one SMS name: national with that operator, or international."""

    class Status(models.TextChoices):
        NATIONAL = "national", _("National")
        INTERNATIONAL = "international", _("International")

    sender = models.ForeignKey(SenderName, on_delete=models.CASCADE, related_name="registrations")
    operator = models.CharField(max_length=16, choices=Operator.choices)
    status = models.CharField(max_length=16, choices=Status.choices)
    source = models.CharField(max_length=100, blank=True, help_text=_("Staff, or the weekly list file it came from."))
    decided_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sender_id", "operator"]
        constraints = [models.UniqueConstraint(fields=["sender", "operator"], name="national_registration_unique")]

    def __str__(self):
        return f"{self.sender.name} @ {self.get_operator_display()}: {self.status}"


class NameWord(models.Model):
    """Words the sender-name rules look for (R-SND-02, 03, 06). Data staff extend in admin."""

    class Kind(models.TextChoices):
        OPERATOR = "operator", _("Mobile operator (refused)")
        OBSCENE = "obscene", _("Obscene word (refused)")
        GENERIC = "generic", _("Generic word (refused unless a proven brand)")
        FIRST_NAME = "first_name", _("Personal first name (refused unless allowed for the company)")
        BRAND = "brand", _("Well-known brand (needs proof)")
        NEVER_NATIONAL = "never_national", _("Never national (payment systems, social networks, OTT, foreign banks…)")

    kind = models.CharField(max_length=16, choices=Kind.choices, db_index=True)
    word = models.CharField(max_length=60, help_text=_("Any letter case; Cyrillic allowed. Look-alike spellings "
                                                     "(0 for o, Cyrillic а for Latin a, …) are matched automatically."))
    match_anywhere = models.BooleanField(default=False, help_text=_("Also refuse names that merely contain it "
                                                                  "(e.g. 'MyKyivstar'); off: only the whole name "
                                                                  "or one of its words."))
    language = models.CharField(max_length=8, blank=True, help_text=_("uk, ru, en… (for obscene words)."))
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "word"]
        constraints = [models.UniqueConstraint("kind", Upper("word"), name="name_word_unique")]

    def __str__(self):
        return f"{self.word} ({self.get_kind_display()})"


class FirstNameAllowance(models.Model):
    """Staff allow a personal first name as the sender name of a company of that name (R-SND-02)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="first_name_allowances")
    name = models.CharField(max_length=20)
    note = models.CharField(max_length=200, blank=True, help_text=_("Why: e.g. the company is 'Katerina LLC'."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["client_id", "name"]
        constraints = [models.UniqueConstraint("client", Upper("name"), name="first_name_allowance_unique")]

    def __str__(self):
        return f"{self.name} for {self.client}"
