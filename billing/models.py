"""Billing data: wallets and their append-only ledger, invoices, price lists with top-up steps and
grace periods, exchange rates for Viber, and the billing settings staff edit in admin.

Money is `MoneyField(max_digits=19, decimal_places=4)`: UAH for everything charged, EUR for Viber
list prices. Rules about one row live here (constraints, `clean()`); rules across rows live in
`billing.services`.
"""
import uuid
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext
from djmoney.models.fields import MoneyField
from djmoney.money import Money

from accounts.models import Client
from smsportal.kyiv import KYIV
from smsportal.message_types import TariffMessageType

MONEY = {"max_digits": 19, "decimal_places": 4, "default_currency": "UAH"}
ZERO_UAH = Money(Decimal("0"), "UAH")
ANNOUNCE_DAYS = 7  # R-BILL-13 / R-SVC-02: price changes are announced a week ahead


class BillingConfig(models.Model):
    """The billing settings staff change without a deploy (one row, edited in admin)."""

    registration_bonus = MoneyField(
        default=ZERO_UAH, **MONEY,
        help_text=_("Credited once to every new client's wallet as a bonus (R-BILL-05). It is the provider's "
                  "money: spent first, never refunded. 0 turns the bonus off."))
    provider_name = models.CharField(max_length=200, default="smsportal LLC")
    provider_requisites = models.TextField(
        default="EDRPOU 00000000\nIBAN UA00 000000 00000 0000000000000\nJSC \"Bank\", MFO 000000\n"
                "1 Khreshchatyk St., Kyiv, 01001, Ukraine",
        help_text=_("Printed on every invoice: legal code, IBAN, bank, address."))
    invoice_prefix = models.CharField(max_length=8, default="SP", help_text=_("Invoice numbers look like SP-2026-000123."))
    invoice_due_days = models.PositiveSmallIntegerField(default=5, help_text=_("Days to pay, printed on invoices."))
    penalty_per_message = MoneyField(default=Money(Decimal("100"), "UAH"), **MONEY,
                                     help_text=_("Default penalty per violating message (R-BILL-11, T 6.14)."))
    overdraft_repay_days = models.PositiveSmallIntegerField(
        default=10, help_text=_("Calendar days to repay an overdraft before sending stops (R-BILL-09, T 5.5)."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("billing settings")
        verbose_name_plural = _("billing settings")

    def __str__(self):
        return "Billing settings"

    def clean(self):
        if self.registration_bonus.amount < 0 or self.penalty_per_message.amount < 0:
            raise ValidationError(gettext("Amounts cannot be negative."))


class Wallet(models.Model):
    """A client's prepaid account in UAH (R-BILL-01).

    `balance` (all money, the bonus included), `bonus` (its unspent registration-bonus part) and
    `held` (reserved for accepted sends) cache sums of the ledger entries and change only in the
    same transaction as a new entry, under the row lock. `available = balance − held + overdraft`.
    """

    client = models.OneToOneField(Client, on_delete=models.PROTECT, related_name="wallet")
    balance = MoneyField(default=Decimal("0"), **MONEY)
    bonus = MoneyField(default=Decimal("0"), **MONEY)
    held = MoneyField(default=Decimal("0"), **MONEY)
    overdraft_limit = MoneyField(default=Decimal("0"), **MONEY,
                                 help_text=_("Approved by staff (R-BILL-09); 0 = no overdraft."))
    overdraft_approved_at = models.DateTimeField(null=True, blank=True)
    overdraft_approved_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                              related_name="+")
    negative_since = models.DateTimeField(null=True, blank=True, help_text=_("When the balance last went below zero."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["client_id"]
        constraints = [
            models.CheckConstraint(condition=Q(held__gte=0), name="wallet_held_not_negative"),
            models.CheckConstraint(condition=Q(bonus__gte=0), name="wallet_bonus_not_negative"),
            models.CheckConstraint(condition=Q(bonus=0) | Q(bonus__lte=F("balance")),
                                   name="wallet_bonus_within_balance"),
            models.CheckConstraint(condition=Q(overdraft_limit__gte=0), name="wallet_overdraft_not_negative"),
            models.CheckConstraint(condition=Q(balance__gte=0, negative_since__isnull=True)
                                   | Q(balance__lt=0, negative_since__isnull=False), name="wallet_negative_since_set"),
        ]

    def __str__(self):
        return f"Wallet of {self.client}"

    @property
    def available(self) -> Money:
        return Money(self.balance.amount - self.held.amount + self.overdraft_limit.amount, "UAH")

    @property
    def debt(self) -> Money:
        return Money(max(-self.balance.amount, Decimal("0")), "UAH")


class LedgerEntry(models.Model):
    """One movement of money. Append-only: never updated, never deleted.

    `amount` moves the balance (credits positive, debits negative), `bonus_delta` its bonus part,
    `held_delta` the held amount. A hold moves only `held`; a capture moves both.
    """

    class Kind(models.TextChoices):
        TOPUP = "topup", _("Top-up")
        BONUS = "bonus", _("Bonus")
        CHARGE = "charge", _("Charge")
        REFUND = "refund", _("Refund")
        PENALTY = "penalty", _("Penalty")
        ADJUSTMENT = "adjustment", _("Adjustment")
        REPRICE = "reprice", _("Re-pricing")
        PAYOUT = "payout", _("Payout")
        HOLD = "hold", _("Hold")
        CAPTURE = "capture", _("Capture")
        RELEASE = "release", _("Release")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount = MoneyField(**MONEY)  # signed: credits positive, debits negative
    bonus_delta = MoneyField(default=Decimal("0"), **MONEY)
    held_delta = MoneyField(default=Decimal("0"), **MONEY)
    balance_after = MoneyField(**MONEY)
    available_after = MoneyField(default=Decimal("0"), **MONEY)
    related = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="followups",
                                help_text=_("The charge a refund returns, the hold a capture or release settles."))
    idempotency_key = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.UniqueConstraint(fields=["wallet", "idempotency_key"], name="ledger_entry_idempotent"),
            # R-BILL-14: a charge or a hold never spends beyond the balance plus the approved overdraft.
            models.CheckConstraint(condition=~Q(kind__in=["charge", "hold"]) | Q(available_after__gte=0),
                                   name="ledger_spend_within_available"),
            models.CheckConstraint(condition=~Q(kind="hold") | Q(amount=0, held_delta__gt=0),
                                   name="ledger_hold_moves_held_only"),
            models.CheckConstraint(condition=~Q(kind__in=["capture", "release"]) | Q(held_delta__lt=0),
                                   name="ledger_settlement_reduces_held"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    VIBER = "viber", _("Viber")


MessageType = TariffMessageType  # a tariff line's type: the types of a text and Viber chat sessions


class SenderClass(models.TextChoices):
    NATIONAL = "national", _("National sender name")
    INTERNATIONAL = "international", _("International sender name")


class UaOperator(models.TextChoices):
    KYIVSTAR = "kyivstar", _("Kyivstar")
    VODAFONE = "vodafone", _("Vodafone")
    LIFECELL = "lifecell", _("lifecell")


class Tariff(models.Model):
    """A dated price list (R-BILL-07, R-BILL-13). The newest one whose `valid_from` has come
    applies to new messages; a message keeps the price it was charged. Its lines (`prices`) are
    per top-up step; its `steps` are the top-up amount ranges (R-BILL-04)."""

    name = models.CharField(max_length=100)
    valid_from = models.DateTimeField()
    sms_segment_price = MoneyField(
        "default price of one SMS segment", **MONEY,
        help_text=_("Charged when no line of this list matches the destination."))
    notes = models.TextField(blank=True, help_text=_("The announcement shown to clients with the list."))
    viber_sender_fee = MoneyField(
        "Viber sender-name registration fee", **MONEY, null=True, blank=True,
        help_text=_("Charged when a client requests a Viber sender name, refunded if it is refused (R-SND-07). "
                  "Empty: the SMSPORTAL_VIBER_SENDER_FEE setting."))
    announced_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text=_("When clients were told (a published announcement). Unannounced lists never take effect; an "
                  "announced one takes effect no sooner than 7 calendar days after, and its prices are locked "
                  "(R-BILL-13)."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-valid_from", "-id"]
        verbose_name = _("price list")

    def __str__(self):
        return f"{self.name} (from {timezone.localtime(self.valid_from):%Y-%m-%d})"

    def clean(self):
        if self.sms_segment_price is not None and self.sms_segment_price.amount < 0:
            raise ValidationError({"sms_segment_price": "A price cannot be negative."})
        if not self.valid_from:
            return
        from billing.services.notice import tariff_notice_errors  # noqa: PLC0415 (the rule across rows)

        if errors := tariff_notice_errors(self):
            raise ValidationError(errors)


def _assert_tariff_open(line) -> None:
    """Steps and prices of an announced list are locked: clients were told them (R-BILL-13)."""
    tariff = Tariff.objects.filter(pk=line.tariff_id).only("announced_at").first() if line.tariff_id else None
    if tariff is not None and tariff.announced_at is not None:
        raise ValidationError(gettext(
            "This price list was announced to clients: its prices cannot change. Copy it into a new list and "
            "announce that one (7 days ahead)."))


class TopupStep(models.Model):
    """A top-up amount range of a price list: from `min_amount` up to the next step's minimum.
    Step 1 is the regular price; a single top-up reaching step 2 or higher opens a grace period."""

    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="steps")
    number = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    min_amount = MoneyField(_("top-up from"), **MONEY)

    class Meta:
        ordering = ["tariff", "number"]
        constraints = [
            models.UniqueConstraint(fields=["tariff", "number"], name="topup_step_number_unique"),
            models.UniqueConstraint(fields=["tariff", "min_amount"], name="topup_step_amount_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="topup_step_number_positive"),
        ]

    def __str__(self):
        return f"Step {self.number}: from {self.min_amount.amount:.0f} UAH"

    def clean(self):
        _assert_tariff_open(self)
        if self.min_amount is not None:
            amount = self.min_amount.amount
            if amount < 1 or amount != amount.to_integral_value():
                raise ValidationError({"min_amount": "A step starts at a whole number of hryvnias (at least 1)."})


class TariffPrice(models.Model):
    """One line of a price list. Blank fields match anything; the matching line that fixes the
    most fields wins (between equals: country, then operator, then message type, then sender class).
    SMS lines are UAH per segment; Viber lines are EUR per message (R-BILL-08)."""

    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="prices")
    step = models.PositiveSmallIntegerField(default=1, help_text=_("1 = regular price; 2+ = grace-period prices."))
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.SMS)
    country = models.CharField(max_length=2, blank=True,
                               help_text=_("ISO code (UA, PL …); blank = every country without its own line."))
    operator = models.CharField(max_length=16, blank=True, choices=UaOperator.choices,
                                help_text=_("Ukrainian operator; blank = the other operators of the country."))
    message_type = models.CharField(max_length=16, blank=True, choices=MessageType.choices)
    sender_class = models.CharField(max_length=16, blank=True, choices=SenderClass.choices)
    price = MoneyField(**MONEY)

    class Meta:
        ordering = ["tariff", "channel", "step", "country", "operator", "message_type", "sender_class"]
        verbose_name = _("price")
        constraints = [
            models.UniqueConstraint(fields=["tariff", "step", "channel", "country", "operator", "message_type",
                                            "sender_class"], name="tariff_price_line_unique"),
            models.CheckConstraint(condition=Q(price__gte=0), name="tariff_price_not_negative"),
            models.CheckConstraint(condition=Q(step__gte=1), name="tariff_price_step_positive"),
        ]

    def __str__(self):
        where = " ".join(x for x in [self.country or "*", self.operator, self.message_type, self.sender_class] if x)
        return f"{self.get_channel_display()} step {self.step} {where}: {self.price}"

    def clean(self):
        _assert_tariff_open(self)
        errors = {}
        if self.country:
            self.country = self.country.upper()
            if len(self.country) != 2 or not self.country.isalpha():
                errors["country"] = "A two-letter ISO country code, e.g. UA."
        if self.operator and self.country != "UA":
            errors["operator"] = "Operators are priced for Ukraine (country UA) only."
        currency = str(self.price.currency) if self.price is not None else None
        if self.channel == Channel.SMS and currency != "UAH":
            errors["price"] = "SMS prices are in UAH."
        if self.channel == Channel.VIBER:
            if currency != "EUR":
                errors["price"] = "Viber prices are in EUR (R-BILL-08)."
            if self.country or self.operator or self.sender_class:
                errors["channel"] = "Viber prices depend on the message type only."
        if self.channel == Channel.SMS and self.message_type == MessageType.SESSION:
            errors["message_type"] = "Chat sessions are a Viber service."
        if errors:
            raise ValidationError(errors)

    @property
    def specificity(self) -> tuple[int, int]:
        """The line fixing more fields wins; between equals, country > operator > type > sender class."""
        fixed = [bool(self.country), bool(self.operator), bool(self.message_type), bool(self.sender_class)]
        return sum(fixed), sum(w for w, f in zip((8, 4, 2, 1), fixed, strict=True) if f)


class GracePeriod(models.Model):
    """Reduced prices of `step` from a qualifying top-up to the end of the 30th day after the
    top-up day, Kyiv time (R-BILL-04). Periods never stack or extend: each top-up has its own."""

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="grace_periods")
    topup = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="grace_period")
    tariff = models.ForeignKey(Tariff, null=True, on_delete=models.SET_NULL, related_name="+",
                               help_text=_("The price list whose steps the top-up reached."))
    step = models.PositiveSmallIntegerField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(help_text=_("Exclusive: midnight (Kyiv) after the last valid day."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["wallet", "ends_at"], name="grace_wallet_ends")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="grace_ends_after_start"),
            models.CheckConstraint(condition=Q(step__gte=2), name="grace_step_two_or_more"),
        ]

    def __str__(self):
        return f"Step {self.step} grace until {self.valid_through:%d.%m.%Y}"

    @property
    def valid_through(self):
        """The last day (Kyiv calendar) the period is valid, inclusive."""
        return (self.ends_at.astimezone(KYIV) - timedelta(days=1)).date()

    def is_active(self, at=None) -> bool:
        at = at or timezone.now()
        return self.starts_at <= at < self.ends_at


class Invoice(models.Model):
    """An invoice the client generates for a top-up (R-BILL-02, R-BILL-03). Paying it credits
    the wallet exactly once."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("Awaiting payment")
        PARTLY_PAID = "partly_paid", _("Partly paid")
        PAID = "paid", _("Paid")
        OVERPAID = "overpaid", _("Overpaid")
        CANCELLED = "cancelled", _("Cancelled")

    PAYMENT_RECEIVED = ("partly_paid", "paid", "overpaid")

    class PaidVia(models.TextChoices):
        STAFF = "staff", _("Bank transfer (staff)")
        CALLBACK = "callback", _("Payment system")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(max_length=32, unique=True)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="invoices")
    amount = MoneyField(**MONEY)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ISSUED)
    provider_name = models.CharField(max_length=200)
    provider_requisites = models.TextField()
    client_name = models.CharField(max_length=200)
    client_requisites = models.TextField(blank=True)
    due_date = models.DateField()
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_via = models.CharField(max_length=16, choices=PaidVia.choices, blank=True)
    payment_reference = models.CharField(max_length=120, blank=True)
    paid_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    entry = models.OneToOneField(LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="invoice",
                                 help_text=_("The ledger entry of the first payment received."))
    paid_amount = MoneyField(default=Decimal("0"), **MONEY, help_text=_("The sum of the payments received."))
    # The supplier and the buyer as printed on the document when it was issued (billing.documents).
    parties = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="invoice_year_sequence_unique"),
            models.CheckConstraint(condition=Q(amount__gte=1), name="invoice_amount_positive"),
            models.CheckConstraint(condition=~Q(status__in=["partly_paid", "paid", "overpaid"])
                                   | Q(paid_at__isnull=False, entry__isnull=False),
                                   name="invoice_paid_has_entry"),
            models.CheckConstraint(condition=Q(paid_amount__gte=0), name="invoice_paid_amount_not_negative"),
        ]

    def __str__(self):
        return self.number


class Payment(models.Model):
    """Money received by bank transfer for an invoice, recorded by staff by hand or from a bank
    statement (R-BILL-02). The amount is what arrived, which may differ from the invoice's; the
    wallet is credited with it once: the bank reference is unique."""

    class Source(models.TextChoices):
        STAFF = "staff", _("Recorded by staff")
        STATEMENT = "statement", _("Bank statement")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = MoneyField(**MONEY)
    paid_on = models.DateField(help_text=_("The value date in the bank statement."))
    reference = models.CharField(max_length=120, unique=True, help_text=_("The bank's reference of the payment."))
    payer_tax_code = models.CharField(max_length=10, blank=True)
    purpose = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.STAFF)
    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-paid_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")]

    def __str__(self):
        return f"{self.reference}: {self.amount}"


class ServiceAct(models.Model):
    """A monthly act of services rendered (акт наданих послуг): what the client's wallet paid for
    messaging services in one Kyiv calendar month, from the ledger. One per client and month."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(max_length=40, unique=True)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="service_acts")
    period = models.DateField(help_text=_("The first day of the month the act covers."))
    act_date = models.DateField(help_text=_("The last day of the month."))
    lines = models.JSONField(default=list)
    services_total = MoneyField(**MONEY, help_text=_("The price of the services rendered."))
    bonus_total = MoneyField(default=Decimal("0"), **MONEY,
                             help_text=_("The part paid by the registration bonus (the provider's money)."))
    total = MoneyField(**MONEY, help_text=_("The amount of the act: the services less the bonus part."))
    parties = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period", "-id"]
        verbose_name = _("act of services rendered")
        verbose_name_plural = _("acts of services rendered")
        constraints = [
            models.UniqueConstraint(fields=["client", "period"], name="service_act_one_per_month"),
            models.CheckConstraint(condition=Q(period__day=1), name="service_act_period_first_day"),
        ]

    def __str__(self):
        return self.number


class InvoiceSequence(models.Model):
    """The last invoice number used in a year: numbers are gapless per year (locked row)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["year"]

    def __str__(self):
        return f"{self.year}: {self.last}"


class ExchangeRate(models.Model):
    """An official NBU rate: UAH for one unit of `currency` on `date` (R-BILL-08)."""

    currency = models.CharField(max_length=3, default="EUR")
    date = models.DateField()
    rate = models.DecimalField(max_digits=12, decimal_places=6, validators=[MinValueValidator(Decimal("0.000001"))])
    source = models.CharField(max_length=16, default="nbu")
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "date"], name="exchange_rate_one_per_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchange_rate_positive"),
        ]

    def __str__(self):
        return f"{self.currency} {self.date:%d.%m.%Y}: {self.rate}"


class BaseRate(models.Model):
    """The rate Viber prices are charged at from `effective_from` (R-BILL-08). Staff set a new
    base when they re-price; while the NBU rate stays within 2 % of it, the base applies."""

    currency = models.CharField(max_length=3, default="EUR")
    effective_from = models.DateField()
    rate = models.DecimalField(max_digits=12, decimal_places=6, validators=[MinValueValidator(Decimal("0.000001"))])
    reason = models.CharField(max_length=300)
    set_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_from", "-id"]
        verbose_name = _("base exchange rate")
        constraints = [
            models.UniqueConstraint(fields=["currency", "effective_from"], name="base_rate_one_per_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="base_rate_positive"),
        ]

    def __str__(self):
        return f"{self.currency} base {self.rate} from {self.effective_from:%d.%m.%Y}"


class RepricedMessage(models.Model):
    """A transactional Viber message re-charged as advertising (R-BILL-10): at most once each."""

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="+")
    message_id = models.CharField(max_length=64, unique=True)
    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="repriced_messages")
    charged = MoneyField(**MONEY)
    repriced = MoneyField(**MONEY)
    difference = MoneyField(**MONEY)
    rate = models.DecimalField(max_digits=12, decimal_places=6)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.message_id}: +{self.difference}"


class DiscountRate(models.Model):
    """The NBU discount rate (облікова ставка), % a year, in force from `effective_from` (R-BILL-15).
    An overdraft not repaid in its term accrues a penalty of twice the rate in force each day."""

    effective_from = models.DateField(unique=True)
    rate = models.DecimalField(_("rate, % a year"), max_digits=6, decimal_places=3,
                               validators=[MinValueValidator(Decimal("0"))])
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("NBU discount rate")
        constraints = [models.CheckConstraint(condition=Q(rate__gte=0), name="discount_rate_not_negative")]

    def __str__(self):
        return f"{self.rate} % from {self.effective_from:%d.%m.%Y}"


class RefundRequest(models.Model):
    """The client's request to pay back the unused balance on termination (R-BILL-12, T 6.7): paid
    to the client's bank account within 10 calendar days of the request (`due_date`, Kyiv)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="refund_requests")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    amount = MoneyField(_("refundable when requested"), **MONEY)
    iban = models.CharField("IBAN", max_length=29)
    account_holder = models.CharField(_("account holder"), max_length=200)
    holder_tax_code = models.CharField(_("holder's tax code (EDRPOU / RNOKPP)"), max_length=10)
    requested_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    requested_at = models.DateTimeField()
    due_date = models.DateField(help_text=_("The last day to pay (Kyiv): 10 calendar days after the request."))
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    payment_reference = models.CharField(max_length=120, blank=True)
    entry = models.OneToOneField(LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("refund request")
        constraints = [
            models.UniqueConstraint(fields=["client"], condition=Q(status="requested"),
                                    name="refund_request_one_open_per_client"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_request_positive"),
        ]

    def __str__(self):
        return f"Refund {self.amount} to {self.client}"


class OverdraftPenalty(models.Model):
    """One day's penalty on an overdue overdraft (R-BILL-15): twice the NBU discount rate in force,
    a year's rate spread over the days of that year, on the debt of that day. One per wallet and day."""

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="overdraft_penalties")
    day = models.DateField()
    debt = MoneyField(**MONEY)
    rate = models.DecimalField(max_digits=6, decimal_places=3, help_text=_("NBU discount rate, % a year."))
    amount = MoneyField(**MONEY)
    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "-id"]
        constraints = [models.UniqueConstraint(fields=["wallet", "day"], name="overdraft_penalty_one_per_day")]

    def __str__(self):
        return f"{self.day:%d.%m.%Y}: {self.amount}"
