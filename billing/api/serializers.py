"""Input checks (shape and type only) and JSON shapes of the billing API."""
from decimal import Decimal

from django.urls import reverse
from rest_framework import serializers

from smsportal import boundary
from smsportal.api_schema import MoneyOutput
from smsportal.money import money_json

from ..models import Invoice, LedgerEntry


def uah(amount: Decimal) -> dict:
    return money_json(amount, "UAH")


def grace_json(summary) -> dict | None:
    if summary is None:
        return None
    period = summary.period
    return {
        "step": period.step,
        "started_at": period.starts_at.isoformat(),
        "valid_through": period.valid_through.isoformat(),
        "ends_at": period.ends_at.isoformat(),
        "price_per_segment": uah(summary.price) if summary.price is not None else None,
        "regular_price_per_segment": uah(summary.regular) if summary.regular is not None else None,
        "other_active": [{"step": g.step, "valid_through": g.valid_through.isoformat()} for g in summary.others],
    }


def entry_json(e: LedgerEntry) -> dict:
    return {
        "id": str(e.public_id),
        "created_at": e.created_at.isoformat(),
        "kind": e.kind,
        "amount": money_json(e.amount),
        "bonus_part": money_json(e.bonus_delta),
        "held_change": money_json(e.held_delta),
        "balance_after": money_json(e.balance_after),
        "description": e.description,
    }


def invoice_json(i: Invoice, request=None) -> dict:
    url = reverse("invoice_detail", args=[i.public_id])
    return {
        "id": str(i.public_id),
        "number": i.number,
        "amount": money_json(i.amount),
        "status": i.status,
        "due_date": i.due_date.isoformat(),
        "created_at": i.created_at.isoformat(),
        "paid_at": i.paid_at.isoformat() if i.paid_at else None,
        "url": request.build_absolute_uri(url) if request is not None else url,
    }


class _KindsField(serializers.CharField):
    """`kind=charge,refund` (or the parameter repeated)."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        kinds = [k.strip() for k in text.split(",") if k.strip()]
        valid = set(LedgerEntry.Kind.values)
        bad = [k for k in kinds if k not in valid]
        if bad:
            raise serializers.ValidationError(f"Unknown kind {', '.join(bad)}; use {', '.join(sorted(valid))}.")
        return kinds


class TransactionFilter(serializers.Serializer):
    kind = _KindsField(required=False, help_text="Comma-separated entry kinds: " + ", ".join(LedgerEntry.Kind.values))
    date_from = boundary.DateField(required=False, help_text="YYYY-MM-DD, Kyiv day, inclusive.")
    date_to = boundary.DateField(required=False, help_text="YYYY-MM-DD, Kyiv day, inclusive.")
    page = serializers.IntegerField(required=False, min_value=1, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=200, default=50)

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError("date_from is after date_to.")
        return attrs


class InvoiceInput(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("1"),
                                      help_text="Whole hryvnias (R-BILL-03), e.g. 1500.")


# --- response shapes (OpenAPI only) ---------------------------------------------------------------

class OverdraftOutput(serializers.Serializer):
    limit = MoneyOutput(help_text="Approved by staff; 0 = no overdraft.")
    used = MoneyOutput(help_text="Debt: how far the balance is below zero.")
    due = serializers.DateField(allow_null=True, help_text="Last day to repay the debt (R-BILL-09).")
    overdue = serializers.BooleanField(help_text="True: sending is stopped until the debt is paid.")


class GraceOutput(serializers.Serializer):
    step = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    valid_through = serializers.DateField(help_text="Last valid day (Kyiv), inclusive.")
    ends_at = serializers.DateTimeField()
    price_per_segment = MoneyOutput(allow_null=True, help_text="Service SMS to Kyivstar, per segment.")
    regular_price_per_segment = MoneyOutput(allow_null=True)
    other_active = serializers.ListField(child=serializers.DictField())


class BalanceOutput(serializers.Serializer):
    balance = MoneyOutput()
    held = MoneyOutput()
    bonus = MoneyOutput()
    overdraft = OverdraftOutput()
    available = MoneyOutput()
    grace_period = GraceOutput(allow_null=True)


class EntryOutput(serializers.Serializer):
    id = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=LedgerEntry.Kind.values)
    amount = MoneyOutput(help_text="Signed: credits positive, debits negative.")
    bonus_part = MoneyOutput(help_text="Change of the bonus part of the balance.")
    held_change = MoneyOutput(help_text="Change of the held amount (holds, captures, releases).")
    balance_after = MoneyOutput()
    description = serializers.CharField()


class TransactionPageOutput(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    pages = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = EntryOutput(many=True)


class InvoiceOutput(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.CharField()
    amount = MoneyOutput()
    status = serializers.ChoiceField(choices=Invoice.Status.values)
    due_date = serializers.DateField()
    created_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)
    url = serializers.URLField(help_text="The printable invoice on the website.")


class InvoiceListOutput(serializers.Serializer):
    invoices = InvoiceOutput(many=True)


class PriceListRef(serializers.Serializer):
    name = serializers.CharField()
    valid_from = serializers.DateTimeField()


class SmsPriceOutput(serializers.Serializer):
    country = serializers.CharField(allow_null=True, help_text="ISO code; null = every other country.")
    operator = serializers.CharField(allow_null=True, help_text="kyivstar, vodafone, lifecell; null = others.")
    message_type = serializers.CharField(allow_null=True)
    sender_class = serializers.CharField(allow_null=True)
    regular = MoneyOutput()
    price = MoneyOutput()
    step = serializers.IntegerField()


class ViberPriceOutput(serializers.Serializer):
    message_type = serializers.CharField(allow_null=True)
    regular = MoneyOutput()
    price = MoneyOutput()
    step = serializers.IntegerField()


class StepOutput(serializers.Serializer):
    step = serializers.IntegerField()
    to = MoneyOutput(allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = MoneyOutput()
        return fields


class RateOutput(serializers.Serializer):
    rate = serializers.CharField()
    date = serializers.DateField()
    source = serializers.ChoiceField(choices=["base", "nbu"])


class PricesOutput(serializers.Serializer):
    price_list = PriceListRef()
    upcoming = PriceListRef(allow_null=True)
    grace_period = GraceOutput(allow_null=True)
    sms_default = MoneyOutput()
    sms = SmsPriceOutput(many=True)
    viber = ViberPriceOutput(many=True)
    viber_rate = RateOutput(allow_null=True)
    steps = StepOutput(many=True)


class PaymentCallbackInput(serializers.Serializer):
    invoice_number = serializers.CharField()
    amount = serializers.CharField(help_text="Decimal, e.g. \"1500.00\" (a JSON number is read exactly too).")
    payment_id = serializers.CharField()


class PaymentCallbackOutput(serializers.Serializer):
    invoice_number = serializers.CharField()
    status = serializers.CharField()
    credited = serializers.BooleanField(help_text="False when this payment was already applied.")
    paid_at = serializers.DateTimeField(allow_null=True)
