import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Client
from smsportal.message_types import MessageType


class OptOut(models.Model):
    """A recipient who asked one client to stop (reply STOP/СТОП, a request to the client or to
    us), or, with no client, one on the global stop list (the recipient asked us, an operator did,
    or staff block the number): nothing goes to it from any client (GlobalOptOut). The stop lists
    (R-CMP-05) are this one table, so a send's check is one probe of its phone index.

    `resumed_at`: when a valid SMS consent given after the opt-out was recorded (T 3.2.2.1:
    messages resume only after new consent); kept by the consent services. Empty: stopped."""

    class Source(models.TextChoices):
        REPLY = "reply", _("Reply STOP")
        CLIENT = "client", _("Entered by the client")
        STAFF = "staff", _("Entered by staff")
        PROVIDER = "provider", _("The recipient asked us")
        OPERATOR = "operator", _("Asked by a mobile operator")

    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="opt_outs", null=True, blank=True,
                               help_text=_("Empty: the global stop list (every client)."))
    phone = models.CharField(_("phone"), max_length=20, help_text=_("E.164"))
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    resumed_at = models.DateTimeField(_("resumed at"), null=True, blank=True, editable=False,
                                      help_text=_("A valid SMS consent given after the opt-out was recorded."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("opt out")
        verbose_name_plural = _("opt outs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "phone"], name="opt_out_unique"),
            models.UniqueConstraint(fields=["phone"], condition=models.Q(client__isnull=True),
                                    name="opt_out_global_unique"),
        ]
        # The check of a send (compliance.selectors.opted_out_sql): the client's and the global
        # entry of one phone in one probe; only stopped numbers (not resumed by a consent) are in it.
        indexes = [models.Index(fields=["phone", "client"], condition=models.Q(resumed_at__isnull=True),
                                name="opt_out_stopped_idx")]

    def __str__(self):
        if self.client_id is None:
            return f"{self.phone} (global stop list)"
        return f"{self.phone} opted out of {self.client}"


class GlobalOptOutManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(client__isnull=True)


class GlobalOptOut(OptOut):
    """The global stop list: recipients who asked us (the provider), or whom staff block; nothing
    goes to these numbers from any client (R-CMP-05, T 3.2.2.2). Staff keep it in admin."""

    objects = GlobalOptOutManager()

    class Meta:
        proxy = True
        ordering = ["-created_at", "-id"]
        verbose_name = _("global stop-list entry")
        verbose_name_plural = _("global stop list")


class CalendarDay(models.Model):
    """Staff's word on one Kyiv calendar day for the sending window (R-CMP-07): a business day
    (09:00–20:00) or a weekend or public holiday (11:00–18:00), whatever the weekday and the
    `holidays` calendar say. Days with no row follow the weekday and `holidays` (compliance.hours)."""

    class Kind(models.TextChoices):
        BUSINESS = "business", _("Business day (09:00–20:00)")
        HOLIDAY = "holiday", _("Weekend or public holiday (11:00–18:00)")

    date = models.DateField(_("date"), unique=True, help_text=_("Kyiv calendar day"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=300, blank=True, help_text=_("Why, e.g. the government decree"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name_plural = _("sending calendar days")
        ordering = ["-date"]
        verbose_name = _("sending calendar day")

    def __str__(self):
        return f"{self.date}: {self.get_kind_display()}"


class SendingHoursExemption(models.Model):
    """Staff approved one client's messages of one type for round-the-clock sending (R-CMP-07:
    bank confirmations, registration codes, taxi). Only service messages may be exempt: the
    rule allows no exemption for advertising, and the database refuses one."""

    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="sending_hours_exemptions")
    message_type = models.CharField(_("message type"), max_length=16, choices=MessageType.choices, default=MessageType.SERVICE)
    note = models.CharField(_("note"), max_length=300, blank=True, help_text=_("What the client sends, e.g. OTP codes"))
    frequency_cap_exempt = models.BooleanField(
        _("frequency cap exempt"), default=False, help_text=_("These service messages may also go more than the daily cap (10) a day to one "
                                 "recipient (R-CMP-03), e.g. one-time codes."))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("granted by"), on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sending hours exemption")
        verbose_name_plural = _("sending hours exemptions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "message_type"], name="sending_hours_exemption_unique"),
            models.CheckConstraint(condition=models.Q(message_type=MessageType.SERVICE),
                                   name="sending_hours_exemption_service_only"),
        ]

    def __str__(self):
        return _("%(client)s: %(type)s round the clock") % {"client": self.client, "type": self.get_message_type_display()}

    def clean(self):
        if self.message_type != MessageType.SERVICE:
            raise ValidationError({"message_type": "Only service messages may be sent round the clock; "
                                                   "advertising keeps the legal sending hours."})


class ContentRule(models.Model):
    """One screening rule (R-CMP-01, 02, 04, 10): words, stems, phrases or regexes of one category
    that refuse a text or hold it for staff review. Staff edit them in admin; every change is
    audited and seen by the next screening (compliance.screening rebuilds its matcher)."""

    class Action(models.TextChoices):
        REFUSE = "refuse", _("Refuse")
        REVIEW = "review", _("Hold for review")

    class MatchMode(models.TextChoices):
        WORD_START = "word_start", _("Word start (stem: казин → казино, казиноо)")
        WHOLE_WORD = "whole_word", _("Whole word or phrase only")
        ANYWHERE = "anywhere", _("Anywhere, also inside words")
        REGEX = "regex", _("Regular expressions (on the lowercased text)")

    class Category(models.TextChoices):
        # R-CMP-01: refused
        SPAM = "spam", _("Spam")
        FRAUD = "fraud", _("Fraud, phishing, malware")
        NIGERIAN = "nigerian", _("Advance-fee (\"Nigerian\") letters")
        ALCOHOL = "alcohol", _("Alcohol")
        TOBACCO = "tobacco", _("Tobacco and e-cigarettes")
        DRUGS = "drugs", _("Drugs")
        WEAPONS = "weapons", _("Weapons")
        GAMBLING = "gambling", _("Gambling")
        CRYPTO = "crypto", _("Crypto and currency markets")
        ESOTERIC = "esoteric", _("Fortune-telling, numerology, healing")
        ADULT = "adult", _("Erotic or pornographic")
        POLITICS = "politics", _("Political content")
        RELIGION = "religion", _("Religious content")
        OBSCENE = "obscene", _("Obscene language")
        THREATS = "threats", _("Threats")
        DISCRIMINATION = "discrimination", _("Discrimination")
        OPERATOR = "operator", _("Operator mention or impersonation")
        MESSENGERS = "messengers", _("Other messaging providers or messengers")
        # R-CMP-02 / R-CMP-14: held for review
        LOTTERY = "lottery", _("Lotteries and contests")
        FINANCE = "finance", _("Financial services")
        MEDICINE = "medicine", _("Medicine and supplements")
        ORGANIZATIONS = "organizations", _("Public or political organizations")
        LICENSED = "licensed", _("Licensed goods")
        MINORS = "minors", _("Minors")
        PERSONAL_DATA = "personal_data", _("Personal data")
        # R-VIB-10: Viber texts only (SMS texts are not screened by these)
        VIBER_GATHERINGS = "viber_gatherings", _("Calls for gatherings (Viber)")
        VIBER_WAR_PROPAGANDA = "viber_war_propaganda", _("Fascism or war propaganda (Viber)")
        VIBER_SPONSORSHIP = "viber_sponsorship", _("Viber named as sponsor or initiator (Viber)")

    category = models.CharField(_("category"), max_length=32, choices=Category.choices, db_index=True)
    name = models.CharField(_("name"), max_length=120, blank=True, help_text=_("A short label for staff."))
    patterns = models.TextField(_("patterns"), help_text=_("One word, stem, phrase or regular expression per line."))
    languages = models.CharField(_("languages"), max_length=20, default="uk,ru,en",
                                 help_text=_("Comma-separated: uk, ru, en (documentation and filtering only)."))
    match_mode = models.CharField(_("match mode"), max_length=16, choices=MatchMode.choices, default=MatchMode.WORD_START)
    action = models.CharField(_("action"), max_length=8, choices=Action.choices, default=Action.REFUSE)
    active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("content rule")
        verbose_name_plural = _("content rules")
        ordering = ["category", "id"]

    def __str__(self):
        return f"{self.get_category_display()}: {self.name or self.patterns[:40]}"

    def pattern_list(self) -> list[str]:
        return [p.strip() for p in self.patterns.splitlines() if p.strip()]

    def clean(self):
        from django.core.exceptions import ValidationError
        import re
        if not self.pattern_list():
            raise ValidationError({"patterns": "Give at least one pattern."})
        if self.match_mode == self.MatchMode.REGEX:
            for p in self.pattern_list():
                try:
                    re.compile(p)
                except re.error as exc:
                    raise ValidationError({"patterns": f"Not a valid regular expression: {p} ({exc})"})
        bad = {lang.strip() for lang in self.languages.split(",") if lang.strip()} - {"uk", "ru", "en"}
        if bad:
            raise ValidationError({"languages": "Use uk, ru and en."})


class Brand(models.Model):
    """A brand senders imitate: mobile operators (a mention is refused, R-CMP-10), banks and state
    services (on a domain that is not theirs a link is phishing-like, R-CMP-01), messengers
    (named or linked in Viber texts, R-CMP-01)."""

    class Kind(models.TextChoices):
        OPERATOR = "operator", _("Mobile operator")
        BANK = "bank", _("Bank or payment service")
        STATE = "state", _("State service")
        MESSENGER = "messenger", _("Messenger or messaging provider")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    aliases = models.TextField(_("aliases"), blank=True, help_text=_("Other spellings, one per line (Latin and Cyrillic). "
                                                     "The name is always included."))
    link_tokens = models.TextField(_("link tokens"), blank=True, help_text=_("Words that name this brand inside a host name, one per "
                                                         "line (privat24, monobank, diia)."))
    domains = models.TextField(_("domains"), blank=True, help_text=_("The brand's own registered domains, one per line."))
    active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["kind", "name"]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    @staticmethod
    def _lines(value: str) -> list[str]:
        return [v.strip() for v in value.splitlines() if v.strip()]

    def alias_list(self) -> list[str]:
        return [self.name, *self._lines(self.aliases)]

    def link_token_list(self) -> list[str]:
        return [t.lower() for t in self._lines(self.link_tokens)]

    def domain_list(self) -> list[str]:
        return [d.lower().removeprefix("www.") for d in self._lines(self.domains)]


class LinkDomain(models.Model):
    """Domains the link check knows beyond the bundled shortener list: more shorteners, suspicious
    top-level domains (refused: phishing-like)."""

    class Kind(models.TextChoices):
        SHORTENER = "shortener", _("URL shortener")
        SUSPICIOUS_TLD = "suspicious_tld", _("Suspicious top-level domain")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    domain = models.CharField(_("domain"), max_length=253, help_text=_("A registered domain (cutt.ly) or a suffix (zip, top)."))
    active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("link domain")
        verbose_name_plural = _("link domains")
        ordering = ["kind", "domain"]
        constraints = [models.UniqueConstraint(fields=["kind", "domain"], name="link_domain_unique")]

    def __str__(self):
        return f"{self.domain} ({self.get_kind_display()})"


class AllowListEntry(models.Model):
    """What never trips screening: an ordinary word that a stem would catch (сукня for сук…), or a
    domain; for every client or only one."""

    class Kind(models.TextChoices):
        WORD = "word", _("Word")
        DOMAIN = "domain", _("Domain")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.WORD)
    value = models.CharField(_("value"), max_length=200)
    client = models.ForeignKey(Client, verbose_name=_("client"), null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                               help_text=_("Empty: for every client."))
    active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("allow list entry")
        ordering = ["kind", "value"]
        verbose_name_plural = _("allow-list entries")

    def __str__(self):
        return f"{self.value} ({self.get_kind_display()})"


class ApprovedText(models.Model):
    """A text staff approved for one client in the review queue (R-CMP-02): the same text, however
    it is spelled (case, look-alikes, spacing: `compliance.screening.text_key`), passes at once
    next time instead of being held again. Only texts held for review: a refused text is never
    let through by it."""

    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="approved_texts")
    key = models.TextField(_("key"), help_text=_("The text's normalized key (compliance.screening.text_key)."))
    text = models.TextField(_("text"), help_text=_("The text as staff saw it when they approved it."))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"), on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("approved text")
        verbose_name_plural = _("approved texts")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="approved_text_unique")]

    def __str__(self):
        return f"{self.client}: {self.text[:60]}"


# --- stop lists and consent (R-CMP-05, 06, 12, 13) ---------------------------------------------

def private_storage():
    """Consent proofs (personal data of the client's recipients): under MEDIA_ROOT/private, with
    no public URL; the client downloads its own through a login-checked view."""
    return FileSystemStorage(location=settings.MEDIA_ROOT / "private", base_url=None)


def _consent_proof_path(instance, filename):
    ext = (filename.rsplit(".", 1)[-1] if "." in filename else "bin").lower()[:5]
    return f"consent_proofs/{uuid.uuid4().hex}.{ext}"


class Consent(models.Model):
    """One recipient's consent to one client's messages (R-CMP-06, T 3.2.1, 4.9): who, for which
    channels (Viber consent is its own), given to which company, how (source and proof), when, and
    when it was withdrawn. A consent given after an opt-out lets messages resume (T 3.2.2.1)."""

    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="consents")
    phone = models.CharField(_("phone"), max_length=20, help_text=_("E.164"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    sms = models.BooleanField(_("sms"), default=True, help_text=_("Consent to SMS"))
    viber = models.BooleanField(_("viber"), default=False, help_text=_("Consent to Viber messages"))
    company = models.CharField(_("company"), max_length=200, blank=True, help_text=_("The company the consent was given to"))
    source = models.CharField(_("source"), max_length=200, blank=True, help_text=_("How it was given: web form, paper, call…"))
    proof_text = models.TextField(_("proof text"), blank=True, help_text=_("The wording agreed to, a form's record, a call note"))
    proof_file = models.FileField(_("proof file"), storage=private_storage, upload_to=_consent_proof_path, blank=True,
                                  max_length=200)
    given_at = models.DateTimeField(_("given at"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at", "-id"]
        indexes = [models.Index(fields=["client", "phone"], name="consent_client_phone_idx")]
        constraints = [models.CheckConstraint(condition=models.Q(sms=True) | models.Q(viber=True),
                                              name="consent_some_channel")]

    def __str__(self):
        return _("%(phone)s consented to %(client)s") % {"phone": self.phone, "client": self.client}

    @property
    def channels(self) -> list[str]:
        return [c for c, on in (("sms", self.sms), ("viber", self.viber)) if on]

    @property
    def valid(self) -> bool:
        return self.withdrawn_at is None


class ComplianceSettings(models.Model):
    """One client's compliance switches: `require_consent` makes every send skip recipients
    without a valid consent for the channel (`no_consent`). Viber advertising always needs one."""

    client = models.OneToOneField(Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="compliance_settings")
    require_consent = models.BooleanField(_("require consent"), default=False, help_text=_("Send only to recipients with a recorded "
                                                                   "consent for the channel"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("compliance settings")
        ordering = ["client_id"]
        verbose_name_plural = _("compliance settings")

    def __str__(self):
        return _("Compliance settings of %(client)s") % {"client": self.client}


# --- trademark proofs of rights in Viber texts (R-VIB-10, T 4.12) ------------------------------

def _trademark_proof_path(instance, filename):
    ext = (filename.rsplit(".", 1)[-1] if "." in filename else "bin").lower()[:5]
    return f"trademark_proofs/{uuid.uuid4().hex}.{ext}"


class TrademarkProof(models.Model):
    """Staff ask a client for proof of its right to a trademark its Viber texts use (R-VIB-10):
    due within 1 Kyiv business day of the request; the client uploads the proof on the website and
    staff accept or reject it. While a request is overdue or rejected, the client's Viber texts
    naming the trademark are refused (`trademark_proof_required`)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        PROVIDED = "provided", _("Provided")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        OVERDUE = "overdue", _("Overdue")

    client = models.ForeignKey("accounts.Client", on_delete=models.CASCADE, related_name="+", verbose_name=_("client"))
    trademark = models.CharField(_("trademark"), max_length=120)
    requested_at = models.DateTimeField(_("requested at"))
    due_on = models.DateField(_("due on"), help_text=_("The last day the client may provide the proof (1 business day)."))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED)
    note = models.TextField(_("note"), blank=True, help_text=_("What staff ask for, or why the proof was rejected."))
    proof_file = models.FileField(_("proof file"), storage=private_storage, upload_to=_trademark_proof_path, blank=True)
    proof_comment = models.TextField(_("client's comment"), blank=True)
    provided_at = models.DateTimeField(_("provided at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("requested by"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("decided by"))

    class Meta:
        verbose_name = _("trademark proof request")
        verbose_name_plural = _("trademark proof requests")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["client", "status"], name="trademark_proof_client_status")]

    def __str__(self):
        return f"{self.client}: {self.trademark}"

    def status_on(self, today) -> str:
        """The status as of `today` (Kyiv date): a request not answered after its due day is overdue."""
        if self.status == self.Status.REQUESTED and today > self.due_on:
            return self.Status.OVERDUE
        return self.status
