import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError(gettext("An email address is required."))
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class Client(models.Model):
    """The organization that owns the wallet, sender names, messages and API keys."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        BLOCKED = "blocked", _("Blocked")
        DORMANT = "dormant", _("Dormant")
        TERMINATED = "terminated", _("Terminated")

    class LegalForm(models.TextChoices):
        LEGAL_ENTITY = "legal_entity", _("Legal entity (EDRPOU)")
        ENTREPRENEUR = "entrepreneur", _("Individual entrepreneur (RNOKPP)")

    class Contract(models.TextChoices):
        NONE = "none", _("Not requested")
        REQUESTED = "requested", _("Requested")
        SIGNED = "signed", _("Signed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("company name"), max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.TextField(blank=True)
    is_system = models.BooleanField(default=False, help_text=_("The provider's own account: one-time codes and "
                                                               "notices to clients, never charged."))

    # R-ACC-10: legal details for the contract and closing documents.
    legal_form = models.CharField(max_length=16, choices=LegalForm.choices, blank=True)
    legal_name = models.CharField(_("full legal name"), max_length=300, blank=True)
    tax_code = models.CharField(_("EDRPOU / RNOKPP"), max_length=10, blank=True, db_index=True,
                                help_text=_("EDRPOU (8 digits) of a legal entity or RNOKPP (10 digits) of an entrepreneur."))
    vat_payer = models.BooleanField(_("VAT payer"), default=False)
    vat_number = models.CharField(_("VAT payer number (IPN)"), max_length=12, blank=True)
    signatory_name = models.CharField(_("signatory"), max_length=200, blank=True)
    signatory_position = models.CharField(_("signatory's position"), max_length=200, blank=True)
    postal_address = models.TextField(_("postal address for closing documents"), blank=True)
    documents_email = models.EmailField(_("email for closing documents"), blank=True)
    edi_capable = models.BooleanField(_("exchanges documents by EDI"), default=False)
    edi_provider = models.CharField(_("EDI service"), max_length=100, blank=True)
    contract_status = models.CharField(max_length=16, choices=Contract.choices, default=Contract.NONE)
    contract_requested_at = models.DateTimeField(null=True, blank=True)
    contract_signed_at = models.DateTimeField(null=True, blank=True)
    contract_number = models.CharField(max_length=50, blank=True)

    # Staff flags (R-ACC-10, R-BILL-06, R-CMP-07, R-VIB-01).
    pay_for_delivered = models.BooleanField(_("pays only for delivered SMS"), default=False,
                                            help_text=_("Needs a signed contract (R-BILL-06)."))
    round_the_clock_approved = models.BooleanField(_("round-the-clock sending approved"), default=False,
                                                   help_text=_("Service messages outside 09:00–20:00 (R-CMP-07)."))
    viber_enabled = models.BooleanField(_("Viber enabled"), default=False, help_text=_("Needs a signed contract (R-VIB-01)."))

    # The public offer (terms of service) the owner accepted at sign-up: which version and when.
    offer_version = models.CharField(_("public offer version accepted"), max_length=20, blank=True)
    offer_accepted_at = models.DateTimeField(_("public offer accepted at"), null=True, blank=True)

    # R-ACC-02: a sign-up that shares a phone or legal code with another account, when allowed.
    review_flag = models.CharField(max_length=300, blank=True,
                                   help_text=_("Why staff should look at this account (e.g. a possible second account)."))

    # R-ACC-08: termination (notice by the client, or staff) and destruction of personal data a year later.
    termination_requested_at = models.DateTimeField(null=True, blank=True)
    terminates_at = models.DateTimeField(null=True, blank=True)
    terminated_at = models.DateTimeField(null=True, blank=True)
    termination_reason = models.CharField(max_length=300, blank=True)
    data_destroyed_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["is_system"], condition=models.Q(is_system=True),
                                               name="client_one_system_account")]

    def __str__(self):
        return self.name

    @property
    def can_send(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def contract_signed(self) -> bool:
        return self.contract_status == self.Contract.SIGNED

    @property
    def open_block(self):
        """The current block (staff or dormancy) with its reason and explanation window, or None."""
        return self.blocks.filter(lifted_at__isnull=True).order_by("-blocked_at").first()


class User(AbstractUser):
    """A login. Clients' users belong to one `Client`; staff users belong to none."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MEMBER = "member", _("Member")
        VIEWER = "viewer", _("Viewer")

    username = None
    email = models.EmailField(_("email address"), unique=True)
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.OWNER)
    # R-ACC-01: the primary communication method, verified by an SMS code at sign-up (E.164).
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True, db_index=True)
    phone_verified = models.BooleanField(default=False)
    # The language of the website, emails and system SMS for this login (settings.LANGUAGES);
    # empty until chosen: the browser's language then, and Ukrainian for notices.
    language = models.CharField(_("language"), max_length=8, blank=True, choices=settings.LANGUAGES)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.email


class ApiKey(models.Model):
    """An integrator's key. Only a SHA-256 hash is stored; the short prefix identifies it in lists."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    allowed_ips = models.TextField(_("allowed IP addresses"), blank=True,
                                   help_text=_("Optional: one address or network (CIDR) per line; empty allows any."))
    rate_limit = models.CharField(
        _("rate limit"), max_length=16, blank=True, validators=[RegexValidator(
            r"^[1-9][0-9]{0,5}/[smhd]$", _("Requests per period: a number, a slash and s, m, h or d (e.g. 50/s)."))],
        help_text=_("Requests this key may make per second (50/s), minute (/m), hour (/h) or day (/d); empty: "
                    "the default (SMSPORTAL_API_RATE)."))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API key")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditEvent(models.Model):
    """Who did what to what: staff actions and money movements, as dotted codes."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    code = models.CharField(max_length=100, db_index=True)
    target = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.code} {self.target}"


class ClientBlock(models.Model):
    """One block of a client (R-ACC-06 by staff, R-ACC-07 for dormancy): why, the client's written
    explanation within 2 calendar days, and who lifted it."""

    class Kind(models.TextChoices):
        STAFF = "staff", _("Blocked by staff")
        DORMANT = "dormant", _("Dormant (3 years without use of funds)")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="blocks")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.STAFF)
    reason = models.TextField()
    blocked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    blocked_at = models.DateTimeField()
    explanation_due_at = models.DateTimeField(null=True, blank=True)
    explanation = models.TextField(blank=True)
    explanation_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+")
    explanation_at = models.DateTimeField(null=True, blank=True)
    notified_sms = models.BooleanField(default=False)
    notified_email = models.BooleanField(default=False)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    lift_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-blocked_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["client"], condition=models.Q(lifted_at__isnull=True),
                                               name="client_one_open_block")]

    def __str__(self):
        return f"{self.client}: {self.get_kind_display()} {self.blocked_at:%Y-%m-%d}"


class AccountsSettings(models.Model):
    """Staff settings of the accounts app (one row)."""

    class Duplicates(models.TextChoices):
        REFUSE = "refuse", _("Refuse a second account")
        FLAG = "flag", _("Allow it, flagged for staff")

    duplicate_signups = models.CharField(
        "second account with the same phone or legal code", max_length=8, choices=Duplicates.choices,
        default=Duplicates.REFUSE, help_text=_("R-ACC-02: one person, one account."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("accounts settings")
        verbose_name_plural = _("accounts settings")
        ordering = ["id"]

    def __str__(self):
        return "Accounts settings"


class PhoneCode(models.Model):
    """A one-time code sent by SMS (R-ACC-05 password reset): stored hashed, expires, 3 tries."""

    class Purpose(models.TextChoices):
        PASSWORD_RESET = "password_reset", _("Password reset")
        PHONE_CHANGE = "phone_change", _("Primary phone change")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="phone_codes")
    phone = models.CharField(max_length=20)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    code_hash = models.CharField(max_length=64)
    token = models.CharField(max_length=64, unique=True, help_text=_("Identifies the attempt in the browser."))
    attempts = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_purpose_display()} code for {self.user}"


class Invitation(models.Model):
    """An owner invites a colleague by email to the company's account with a role (team)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=User.Role.choices, default=User.Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.email} → {self.client} ({self.role})"

    @property
    def is_open(self) -> bool:
        from django.utils import timezone

        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()
