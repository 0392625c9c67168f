import uuid

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField

from smsportal.fields import EncryptedCharField
from smsportal.message_types import MessageType  # noqa: F401 (messaging.models.MessageType: the field choices)

from .status import Status

MONEY = {"max_digits": 19, "decimal_places": 4, "default_currency": "UAH"}


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    VIBER = "viber", _("Viber")


class Route(models.Model):
    """An SMPP account at an operator's SMSC (or at the simulator). One connector owns its binds."""

    class BindMode(models.TextChoices):
        TRANSCEIVER = "trx", "Transceiver"
        TRANSMITTER_RECEIVER = "tx_rx", "Transmitter + receiver"

    name = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=2775)
    system_id = models.CharField(max_length=16)
    # The SMPP password (at most 9 characters), stored encrypted (smsportal.crypto).
    password = EncryptedCharField(max_length=255, blank=True, validators=[MaxLengthValidator(9)])
    system_type = models.CharField(max_length=13, blank=True)
    bind_mode = models.CharField(max_length=8, choices=BindMode.choices, default=BindMode.TRANSCEIVER)
    tps_limit = models.PositiveIntegerField("TPS limit", default=100, help_text="Parts per second across all binds; 0 = no limit.")
    window_size = models.PositiveIntegerField(default=10, help_text="submit_sm in flight before waiting for responses.")
    enquire_link_interval = models.PositiveIntegerField(default=30, help_text="Seconds.")
    alnum_source_ton = models.PositiveSmallIntegerField("source TON for alphanumeric senders", default=5)
    alnum_source_npi = models.PositiveSmallIntegerField("source NPI for alphanumeric senders", default=0)
    numeric_source_ton = models.PositiveSmallIntegerField("source TON for phone-number senders", default=1,
                                                          help_text="1 = international (E.164 without '+').")
    numeric_source_npi = models.PositiveSmallIntegerField("source NPI for phone-number senders", default=1)
    short_code_source_ton = models.PositiveSmallIntegerField("source TON for short codes", default=3,
                                                             help_text="Digit-only senders of at most "
                                                                       "SHORT_CODE_MAX_DIGITS digits; 3 = network "
                                                                       "specific.")
    short_code_source_npi = models.PositiveSmallIntegerField("source NPI for short codes", default=0)
    class IdFormat(models.TextChoices):
        AS_IS = "as_is", "As sent"
        HEX = "hex", "Hexadecimal in submit_sm_resp, decimal in receipts"

    binds = models.PositiveSmallIntegerField(default=1, help_text="Simultaneous binds the operator allows (1–4).")
    operators = models.CharField(max_length=200, blank=True,
                                 help_text="Operators this route serves, comma-separated (kyivstar, vodafone, "
                                           "lifecell, …); empty = any.")
    prefixes = models.TextField(blank=True,
                                help_text="E.164 prefixes this route serves, comma-separated (+38067, +48); "
                                          "they win over operators; empty = any.")
    countries = models.CharField(max_length=200, blank=True,
                                 help_text="ISO country codes this route serves (UA, PL); empty = any.")
    fallback = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 help_text="Used while this route is inactive.")
    receipt_id_format = models.CharField(max_length=8, choices=IdFormat.choices, default=IdFormat.AS_IS)
    priority = models.PositiveIntegerField(default=100, help_text="Lower wins when several routes fit.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["priority", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(binds__gte=1, binds__lte=8), name="route_binds_range"),
        ]

    def __str__(self):
        return self.name

    SHORT_CODE_MAX_DIGITS = 8

    def source_address(self, sender: str) -> tuple[int, int, str]:
        """(TON, NPI, address) of a sender name in submit_sm and query_sm: an alphanumeric name
        gets the alphanumeric rule (TON 5 by default), a short code (digits only, at most
        `SHORT_CODE_MAX_DIGITS`) the short-code rule, a phone number ('+' or longer) the
        phone-number rule, written without its '+'."""
        sender = (sender or "").strip()
        digits = sender[1:] if sender.startswith("+") else sender
        if not digits.isdigit() or not digits.isascii():
            return self.alnum_source_ton, self.alnum_source_npi, sender
        if not sender.startswith("+") and len(digits) <= self.SHORT_CODE_MAX_DIGITS:
            return self.short_code_source_ton, self.short_code_source_npi, digits
        return self.numeric_source_ton, self.numeric_source_npi, digits


class OperatorPrefix(models.Model):
    """A number range whose operator differs from phonenumbers' offline data (ported ranges, new
    codes): it wins for routing and pricing. The longest matching prefix applies."""

    prefix = models.CharField(max_length=16, unique=True, help_text="E.164 prefix with '+', e.g. +38067123.")
    operator = models.CharField(max_length=32, help_text="Operator name as routes and tariffs spell it "
                                                         "(kyivstar, vodafone, lifecell, …).")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["prefix"]
        constraints = [models.CheckConstraint(condition=models.Q(prefix__regex=r"^\+[0-9]{1,15}$"),
                                              name="operator_prefix_e164")]

    def __str__(self):
        return f"{self.prefix} → {self.operator}"

    def clean(self):
        self.prefix = (self.prefix or "").replace(" ", "")
        self.operator = (self.operator or "").strip().lower()


class Campaign(models.Model):
    """A bulk send: many recipients, one charge, progress and counts visible to the client."""

    class State(models.TextChoices):
        ACCEPTING = "accepting", _("Accepting recipients")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    class Source(models.TextChoices):
        API = "api", "API"
        UPLOAD = "upload", _("File upload")
        GROUP = "group", _("Contact group")
        FORM = "form", _("Send form")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey("accounts.Client", on_delete=models.PROTECT, related_name="campaigns")
    name = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.API)
    sender = models.CharField(max_length=20)
    text = models.TextField(help_text="May hold {variables} filled per recipient.")
    message_type = models.CharField(max_length=16, choices=MessageType.choices, default=MessageType.SERVICE,
                                    db_default=MessageType.SERVICE)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.SMS, db_default=Channel.SMS,
                               help_text="viber: its Viber content is in `viber` (CampaignViber).")
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACCEPTING, db_index=True)
    send_at = models.DateTimeField(null=True, blank=True)
    ttl_seconds = models.PositiveIntegerField(null=True, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0, help_text="Rows read so far (progress of accepting).")
    total_price = MoneyField(default=0, **MONEY)
    errors = models.JSONField(default=list, blank=True, help_text="First rows that could not be accepted.")
    callback_url = models.CharField(max_length=500, blank=True, db_default="",
                                    help_text="Status webhooks of its messages go here instead of the client's URL.")
    error_detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.name or f"Campaign {self.public_id}"


class CampaignViber(models.Model):
    """The Viber content of a Viber campaign (its text, sender and lifetime are the campaign's):
    every message of it gets these in its ViberDetail."""

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="viber")
    viber_type = models.CharField(max_length=16, default="advertising")
    image_url = models.CharField(max_length=2000, blank=True)
    button_caption = models.CharField(max_length=100, blank=True)
    button_url = models.CharField(max_length=2000, blank=True)
    fallback_sender = models.CharField(max_length=20, blank=True)
    fallback_text = models.TextField(blank=True)

    def __str__(self):
        return f"Viber {self.viber_type} of {self.campaign_id}"


class ContactGroup(models.Model):
    """A client's saved list of recipients (personal data of the client, R-CMP-12)."""

    client = models.ForeignKey("accounts.Client", on_delete=models.CASCADE, related_name="contact_groups")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["client", "name"], name="contact_group_unique_name")]

    def __str__(self):
        return self.name


class Contact(models.Model):
    group = models.ForeignKey(ContactGroup, on_delete=models.CASCADE, related_name="contacts")
    phone = models.CharField(max_length=20, help_text="E.164")
    name = models.CharField(max_length=200, blank=True)
    variables = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["group_id", "id"]
        constraints = [models.UniqueConstraint(fields=["group", "phone"], name="contact_unique_phone")]

    def __str__(self):
        return self.phone


class Message(models.Model):
    """One SMS to one recipient. Its price is held at accept (with its send's or campaign's hold)
    and captured when it reaches the operator (messaging.services.money); its parts are written
    at submit."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey("accounts.Client", on_delete=models.PROTECT, related_name="messages")
    batch_id = models.UUIDField(db_index=True, help_text="The send request that created it (one charge).")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="messages")
    sender = models.CharField(max_length=20)
    recipient = models.CharField(max_length=20, help_text="E.164")
    text = models.TextField()
    encoding = models.CharField(max_length=8)
    segments = models.PositiveSmallIntegerField()
    message_type = models.CharField(max_length=16, choices=MessageType.choices, default=MessageType.SERVICE,
                                    db_default=MessageType.SERVICE, help_text="Priced by it (R-BILL-07).")
    price = MoneyField(**MONEY)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    route = models.ForeignKey(Route, null=True, blank=True, on_delete=models.PROTECT, related_name="messages")
    is_bulk = models.BooleanField(default=False)
    send_at = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True, help_text="End of its lifetime (R-MSG-01).")
    operator = models.CharField(max_length=32, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    error_detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    callback_url = models.CharField(max_length=500, blank=True, db_default="",
                                    help_text="Status webhooks of this message go here instead of the client's URL.")
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.SMS, db_default=Channel.SMS,
                               help_text="SMS or Viber; a Viber message has its `viber` details.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The Viber dispatcher's claim: queued Viber messages, oldest first (SMS ones have a route).
            models.Index(fields=["status", "id"], name="message_viber_claim_idx",
                         condition=models.Q(channel="viber", status="queued")),
            # The connector's claim query: queued messages of one route, oldest first.
            models.Index(fields=["route", "status", "id"], name="message_claim_idx"),
            # The message list (website, API, exports) pages by (created_at, id), newest first, by
            # keyset: a backward scan of these gives every filter's order without a sort.
            models.Index(fields=["client", "created_at", "id"], name="message_client_list_idx"),
            models.Index(fields=["client", "status", "created_at", "id"], name="message_client_status_list_idx"),
            models.Index(fields=["status", "send_at"], name="message_due_idx"),
            models.Index(fields=["campaign", "status"], name="message_campaign_status_idx"),
            # the 10-a-day cap (R-CMP-03): a client's messages to one recipient on one day
            models.Index(fields=["client", "recipient", "send_at"], name="message_frequency_idx"),
        ]

    def __str__(self):
        return f"{self.recipient} [{self.status}]"


class MessagePart(models.Model):
    """One submit_sm. Written (status SUBMITTING, committed) before it is put on the wire."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="parts")
    seq = models.PositiveSmallIntegerField()
    route = models.ForeignKey(Route, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTING)
    smsc_message_id = models.CharField(max_length=65, null=True, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    attempts = models.PositiveSmallIntegerField(default=1)
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="When a part waiting for a retry goes again.")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["message_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["message", "seq"], name="message_part_unique_seq"),
            models.UniqueConstraint(fields=["route", "smsc_message_id"], name="message_part_unique_smsc_id",
                                    condition=models.Q(smsc_message_id__isnull=False)),
        ]
        indexes = [
            models.Index(fields=["route", "status", "next_attempt_at"], name="part_retry_idx",
                         condition=models.Q(status="queued")),
            models.Index(fields=["route", "status"], name="part_open_idx",
                         condition=models.Q(status__in=["submitting", "submitted"])),
        ]

    def __str__(self):
        return f"{self.message_id}/{self.seq} [{self.status}]"


class ReceiptInbox(models.Model):
    """A delivery receipt as it arrived, stored before deliver_sm_resp is answered, matched later."""

    route = models.ForeignKey(Route, on_delete=models.PROTECT, related_name="+")
    smsc_message_id = models.CharField(max_length=65, db_index=True)
    stat = models.CharField(max_length=16)
    error = models.CharField(max_length=16, blank=True)
    raw = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "receipt inbox"

    def __str__(self):
        return f"{self.smsc_message_id} {self.stat}"


class InboundMessage(models.Model):
    """A mobile-originated SMS that arrived on a route's bind; `client` owns the sender it answers."""

    route = models.ForeignKey(Route, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("accounts.Client", null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound")
    source = models.CharField(max_length=32)
    destination = models.CharField(max_length=32)
    text = models.TextField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["client", "received_at", "id"], name="inbound_client_list_idx")]

    def __str__(self):
        return f"{self.source} → {self.destination}"


class InboundPart(models.Model):
    """One part of a concatenated inbound SMS, stored (before its deliver_sm is answered) until
    every part has come; then they are joined into one InboundMessage and deleted."""

    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=32)
    destination = models.CharField(max_length=32)
    ref = models.PositiveIntegerField(help_text="Concatenation reference of the sender's phone.")
    total = models.PositiveSmallIntegerField()
    seq = models.PositiveSmallIntegerField()
    text = models.TextField()
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["route", "source", "destination", "ref", "total", "seq"],
                                               name="inbound_part_unique")]

    def __str__(self):
        return f"{self.source} → {self.destination} part {self.seq}/{self.total}"



class WebhookEndpoint(models.Model):
    """Where a client wants its delivery-status webhooks, and the secret they are signed with.

    The secret is stored encrypted (SMSPORTAL_ENCRYPTION_KEYS, smsportal.crypto) and is plain in
    Python: it signs every POST (HMAC needs it). It is shown to the client once, when it is made,
    and can be regenerated. An empty `url` turns the client's webhooks off (a per-send
    `callback_url` still gets them: the secret is what matters)."""

    client = models.OneToOneField("accounts.Client", on_delete=models.CASCADE, related_name="webhook")
    url = models.CharField("webhook URL", max_length=500, blank=True)  # checked by webhook_url_check
    secret = EncryptedCharField(max_length=255)  # a 49-character secret is a 164-character token
    submitted_events = models.BooleanField(default=False,
                                           help_text="Also send an event when a message reaches the operator.")
    secret_created_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["client_id"]

    def __str__(self):
        return self.url or f"webhook of client {self.client_id} (no URL)"


class WebhookEvent(models.Model):
    """The outbox: one status event of one message, waiting to be POSTed (several to one client
    in one request), delivered, or given up. Written by one set-based INSERT per status batch."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False,
                                 help_text="The event's id in the payload: receivers dedupe on it.")
    client = models.ForeignKey("accounts.Client", on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
                                null=True, blank=True)
    url = models.CharField(max_length=500)
    event = models.CharField(max_length=32, help_text="The message status it reports.")
    payload = models.JSONField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["next_attempt_at", "id"], name="webhook_event_due_idx",
                         condition=models.Q(state="pending")),
            models.Index(fields=["client", "-id"], name="webhook_event_client_idx"),
        ]

    def __str__(self):
        return f"{self.event} → {self.url} [{self.state}]"


class WebhookDelivery(models.Model):
    """One POST of a batch of events: what the client's server answered (the website shows these)."""

    client = models.ForeignKey("accounts.Client", on_delete=models.CASCADE, related_name="+")
    url = models.CharField(max_length=500)
    events = models.PositiveIntegerField()
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self):
        return f"{self.url} {self.http_status or self.error}"


class IdempotencyKey(models.Model):
    """The answer to an API POST sent with an `Idempotency-Key` header, kept so that the same key
    from the same client on the same endpoint gets that answer again instead of a second send,
    campaign, invoice… (messaging.services.idempotency).

    The row is inserted first, in the transaction that does the work, and the unique constraint
    is the lock: a concurrent request with the same key waits on the uncommitted row, then reads
    the stored answer. A request refused with a 4xx leaves no row (the key can be retried with a
    corrected request). Rows older than 48 hours (`RETENTION`) are purged nightly."""

    client = models.ForeignKey("accounts.Client", on_delete=models.CASCADE, related_name="+")
    endpoint = models.CharField(max_length=64, help_text="The operation the key belongs to (messages.send, …).")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request's parameters.")
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # The answer's JSON as sent (text, not jsonb: a repeat gets the same bytes, keys in the same order).
    response_body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["client", "endpoint", "key"], name="idempotency_key_unique")]

    def __str__(self):
        return f"{self.endpoint} {self.key}"


class BindHeartbeat(models.Model):
    """What one bind of a running connector process last reported, every few seconds
    (messaging.services.binds): /healthz and /metrics read it. A row whose `heartbeat_at` is older
    than SMSPORTAL_BIND_STALE_SECONDS belongs to a process that is gone."""

    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="+")
    process = models.CharField(max_length=100, help_text="host:pid of the connector process.")
    bind = models.PositiveSmallIntegerField(help_text="The bind's number in its process.")
    bound_since = models.DateTimeField(null=True, blank=True, help_text="Empty while the bind is down.")
    window_in_use = models.PositiveIntegerField(default=0, help_text="submit_sm written and not yet answered.")
    window_size = models.PositiveIntegerField(default=0)
    submitted = models.PositiveBigIntegerField(default=0, help_text="Parts accepted since the process started.")
    throttled = models.PositiveBigIntegerField(default=0, help_text="Throttled answers since the process started.")
    heartbeat_at = models.DateTimeField()

    class Meta:
        ordering = ["route_id", "process", "bind"]
        constraints = [models.UniqueConstraint(fields=["route", "process", "bind"], name="bind_heartbeat_unique")]

    def __str__(self):
        return f"{self.route_id}/{self.process}/{self.bind} {'up' if self.bound_since else 'down'}"


class ReviewQueue(Message):
    """The staff review queue in admin (R-CMP-02): messages held for review, one item per client
    and text (messaging.services.review). A proxy: its own admin page and permissions
    (view to see the queue, change to decide)."""

    class Meta:
        proxy = True
        verbose_name = "review queue"
        verbose_name_plural = "review queue"


# --- Viber (R-VIB-01…10) -----------------------------------------------------------------------


class ViberTemplate(models.Model):
    """A client's transactional Viber template (R-VIB-05): a text with {placeholders}; Viber
    decides, staff record the decision. A transactional send must fill an approved one."""

    class State(models.TextChoices):
        NEW = "new", _("New")
        UNDER_REVIEW = "under_review", _("Under review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey("accounts.Client", on_delete=models.CASCADE, related_name="viber_templates")
    name = models.CharField(_("name"), max_length=100)
    text = models.TextField(_("text"), validators=[MaxLengthValidator(1000)],
                            # xgettext:no-python-brace-format
                            help_text=_("Fixed words with {placeholders} where each message puts its own values."))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.NEW, db_index=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=300, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Viber template")
        verbose_name_plural = _("Viber templates")

    def __str__(self):
        return self.name


class ChatSession(models.Model):
    """A Viber chat session (R-VIB-06): opened by the recipient's message in reply to the client's
    sender; 24 hours; at most 60 client messages, at most 5 in a row without a reply; charged once,
    at the client's first reply (`charged_at`, `price`, `rate`)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey("accounts.Client", on_delete=models.PROTECT, related_name="chat_sessions")
    sender = models.CharField(max_length=20, help_text="The client's Viber sender name the recipient wrote to.")
    recipient = models.CharField(max_length=20, help_text="E.164")
    opened_at = models.DateTimeField()
    expires_at = models.DateTimeField(help_text="24 hours after it opened.")
    client_messages = models.PositiveSmallIntegerField(default=0)
    in_a_row = models.PositiveSmallIntegerField(default=0, help_text="Client messages since the recipient's last one.")
    unread = models.PositiveIntegerField(default=0)
    last_message_at = models.DateTimeField(null=True, blank=True)
    charged_at = models.DateTimeField(null=True, blank=True)
    price = MoneyField(null=True, blank=True, **MONEY)
    rate = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True,
                               help_text="EUR/UAH rate the session was charged at (R-BILL-08).")

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("chat session")
        verbose_name_plural = _("chat sessions")
        indexes = [models.Index(fields=["client", "sender", "recipient", "-expires_at"], name="chat_session_open_idx")]

    def __str__(self):
        return f"{self.sender} ↔ {self.recipient}"


class ViberDetail(models.Model):
    """What a Viber message has beyond an SMS (its `Message` row carries the client, sender,
    recipient, text, status, price): the Viber type, rich content, the provider's id, seen and
    click times, the EUR price and rate it was charged at, and the SMS fallback leg."""

    message = models.OneToOneField(Message, primary_key=True, on_delete=models.CASCADE, related_name="viber")
    viber_type = models.CharField(max_length=16)
    image_url = models.CharField(max_length=500, blank=True)
    button_caption = models.CharField(max_length=30, blank=True)
    button_url = models.CharField(max_length=500, blank=True)
    ttl = models.PositiveIntegerField(help_text="Seconds.")
    template = models.ForeignKey(ViberTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(ChatSession, null=True, blank=True, on_delete=models.PROTECT, related_name="messages")
    provider_message_id = models.CharField(max_length=64, null=True, blank=True)
    eur_price = MoneyField(max_digits=19, decimal_places=4, default_currency="EUR", null=True, blank=True)
    rate = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True,
                               help_text="EUR/UAH rate of its charge (R-BILL-08).")
    delivered_at = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=32, blank=True, help_text="The provider's reason of a failure.")
    last_event_at = models.DateTimeField(null=True, blank=True)
    fallback_sender = models.CharField(max_length=20, blank=True)
    fallback_text = models.TextField(blank=True)
    fallback_message = models.OneToOneField(Message, null=True, blank=True, on_delete=models.SET_NULL,
                                            related_name="fallback_of", help_text="The SMS leg, once it was sent.")
    fallback_error = models.CharField(max_length=32, blank=True,
                                      help_text="Why the SMS leg could not be sent (its send's error code).")
    repriced_at = models.DateTimeField(null=True, blank=True, help_text="Re-charged as advertising (R-BILL-10).")

    class Meta:
        verbose_name = _("Viber details")
        verbose_name_plural = _("Viber details")
        constraints = [models.UniqueConstraint(fields=["provider_message_id"], name="viber_provider_id_unique",
                                               condition=models.Q(provider_message_id__isnull=False))]

    def __str__(self):
        return f"{self.viber_type} {self.provider_message_id or ''}"


class ViberInbound(models.Model):
    """A recipient's Viber message to a client's sender (text or media), as the provider reported it."""

    client = models.ForeignKey("accounts.Client", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="viber_inbound")
    session = models.ForeignKey(ChatSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound")
    provider_message_id = models.CharField(max_length=64, unique=True)
    sender = models.CharField(max_length=20, help_text="The client's Viber sender name it was written to.")
    phone = models.CharField(max_length=20, help_text="E.164 of the recipient who wrote.")
    text = models.TextField(blank=True)
    media_url = models.CharField(max_length=500, blank=True)
    reply_to = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("Viber inbound message")
        verbose_name_plural = _("Viber inbound messages")

    def __str__(self):
        return f"{self.phone} → {self.sender}"


class ViberEventSeen(models.Model):
    """A provider event already applied (de-duplication of webhooks and polling); purged after 30 days."""

    event_id = models.CharField(max_length=100, primary_key=True)
    received_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "Viber event seen"


class ViberLimit(models.Model):
    """Staff's per-client Viber volume (R-VIB-09): messages per Kyiv day; absent = no limit."""

    client = models.OneToOneField("accounts.Client", on_delete=models.CASCADE, related_name="viber_limit")
    daily_limit = models.PositiveIntegerField(_("Viber messages per day"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Viber limit")
        verbose_name_plural = _("Viber limits")

    def __str__(self):
        return f"{self.client_id}: {self.daily_limit}/day"


class ViberRepricing(ViberDetail):
    """Staff's list of transactional Viber messages to re-charge as advertising when Viber reports
    they did not match their template (R-BILL-10). A proxy: its own admin page and permissions."""

    class Meta:
        proxy = True
        verbose_name = "Viber transactional message (re-pricing)"
        verbose_name_plural = "Viber transactional messages (re-pricing)"
