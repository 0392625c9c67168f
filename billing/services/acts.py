"""Monthly acts of services rendered (акт наданих послуг), from the ledger.

An act covers one Kyiv calendar month of one client: what its wallet paid for services in that
month, net of what was credited back. Ledger kinds: captures and charges (messages, Viber sender
fees) less refunds are "messaging services"; re-charges of Viber messages as advertising
(R-BILL-10) are a line of their own. Penalties, adjustments, top-ups and payouts are not services.
The ledger does not record a capture's channel or message type, so the act does not split by them.

The part paid by the registration bonus (the provider's money, R-BILL-05) is shown and taken
off: the act's amount is what the client's own money paid. One act per client and month (a
database constraint); generating again returns the existing act. A month with no services has
no act.
"""
from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext
from djmoney.money import Money

from accounts.models import Client
from accounts.services import audit_record
from smsportal.kyiv import kyiv_date, kyiv_midnight

from ..documents import parties_snapshot
from ..exceptions import BillingError
from ..models import LedgerEntry, ServiceAct
from .config import billing_config_get

Kind = LedgerEntry.Kind
LINES = (("messaging", (Kind.CAPTURE, Kind.CHARGE, Kind.REFUND)), ("reprice", (Kind.REPRICE,)))
SERVICE_KINDS = [k for _name, kinds in LINES for k in kinds]
ZERO = Decimal("0")


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(period: date) -> date:
    return (period.replace(day=28) + timedelta(days=4)).replace(day=1)


def previous_month(today: date | None = None) -> date:
    """The first day of the Kyiv month before `today` (Kyiv today by default)."""
    return month_start(month_start(today or kyiv_date()) - timedelta(days=1))


def _month_entries(period: date):
    return LedgerEntry.objects.filter(kind__in=SERVICE_KINDS, created_at__gte=kyiv_midnight(period),
                                      created_at__lt=kyiv_midnight(next_month(period)))


def service_act_generate(*, client: Client, period: date, actor=None) -> ServiceAct | None:
    """The act of `client` for the month of `period`: the existing one, or a new one from the
    ledger; None when the month had no services. A month that has not ended yet is refused."""
    period = month_start(period)
    if next_month(period) > kyiv_date():
        raise BillingError(gettext("An act is made for a month that has ended."), code="month_not_ended")
    existing = ServiceAct.objects.filter(client=client, period=period).first()
    if existing is not None:
        return existing
    sums = dict((kind, (amount, bonus)) for kind, amount, bonus in
                _month_entries(period).filter(wallet__client=client).order_by().values("kind")
                .annotate(a=Sum("amount"), b=Sum("bonus_delta")).values_list("kind", "a", "b"))
    lines, services, bonus = [], ZERO, ZERO
    for name, kinds in LINES:
        amount = -sum((sums[k][0] for k in kinds if k in sums), ZERO)
        paid_by_bonus = -sum((sums[k][1] for k in kinds if k in sums), ZERO)
        if amount > 0:
            lines.append({"kind": name, "amount": str(amount.quantize(Decimal("0.01")))})
            services += amount.quantize(Decimal("0.01"))
            bonus += max(paid_by_bonus, ZERO).quantize(Decimal("0.01"))
    if services <= 0:
        return None
    bonus = min(bonus, services)
    year, month = period.year, period.month
    number = f"{billing_config_get().invoice_prefix}-A-{year}{month:02d}-{client.pk:06d}"
    try:
        with transaction.atomic():
            act = ServiceAct.objects.create(
                number=number, client=client, period=period, act_date=next_month(period) - timedelta(days=1),
                lines=lines, services_total=Money(services, "UAH"), bonus_total=Money(bonus, "UAH"),
                total=Money(services - bonus, "UAH"), parties=parties_snapshot(client),
                created_by=actor if getattr(actor, "pk", None) else None)
            audit_record(code="billing.act.generated", actor=actor, client=client, target=number,
                         details={"period": period.isoformat(), "total": str(services - bonus)})
    except IntegrityError:  # made meanwhile by the monthly job or another staff member
        return ServiceAct.objects.get(client=client, period=period)
    return act


def service_acts_generate(*, period: date | None = None, actor=None) -> list[ServiceAct]:
    """The acts of every client with services in the month of `period` (the previous Kyiv
    month by default): the monthly job and staff's "Generate acts". Idempotent."""
    period = month_start(period) if period else previous_month()
    client_ids = (_month_entries(period).order_by().values_list("wallet__client_id", flat=True).distinct())
    acts = []
    for client in Client.objects.filter(pk__in=list(client_ids)).order_by("pk"):
        act = service_act_generate(client=client, period=period, actor=actor)
        if act is not None:
            acts.append(act)
    return acts
