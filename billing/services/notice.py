"""Notice periods of price lists (R-BILL-13, R-SVC-02, T 3.3.1, 5.6).

A new price list takes effect only after clients were told, 7 calendar days ahead (Kyiv dates,
`smsportal.periods`). It is announced once (`tariff_announce`, called when staff publish the
announcement); from then on its prices are locked (`models._assert_tariff_open`) and its start
can move later but never closer: an earlier start, or other prices, need a new list and a new
announcement. Messages already charged keep the price they were charged (the ledger holds it).
"""
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.services import audit_record
from smsportal.periods import kyiv_shift

from ..exceptions import BillingError
from ..models import ANNOUNCE_DAYS, Tariff


class NoticeTooShort(BillingError):
    code = "notice_too_short"
    status = 409


def tariff_notice_earliest(announced_at=None):
    """The earliest start of a list announced at `announced_at` (default now): 7 calendar days later."""
    return kyiv_shift(announced_at or timezone.now(), days=ANNOUNCE_DAYS)


def tariff_notice_errors(tariff: Tariff) -> dict:
    """Field errors of a list about to be saved: what `Tariff.clean()` raises."""
    stored = Tariff.objects.filter(pk=tariff.pk).first() if tariff.pk else None
    others = Tariff.objects.exclude(pk=tariff.pk).exists()
    when = "%d.%m.%Y %H:%M"
    if stored is not None and stored.announced_at is not None:
        if tariff.valid_from < stored.valid_from:
            return {"valid_from": gettext(
                "This price list was announced to clients to start on %(start)s: it cannot start earlier. "
                "A new announcement is needed.") % {"start": f"{timezone.localtime(stored.valid_from):{when}}"}}
        if stored.valid_from <= timezone.now() and tariff.valid_from != stored.valid_from:
            return {"valid_from": gettext("This price list is in force: its start cannot change.")}
        return {}
    if others and stored is None:
        earliest = tariff_notice_earliest()
        if tariff.valid_from < earliest - timezone.timedelta(minutes=5):
            return {"valid_from": gettext(
                "New prices are announced %(days)s days ahead (R-BILL-13): start this list on %(earliest)s or "
                "later.") % {"days": ANNOUNCE_DAYS, "earliest": f"{timezone.localtime(earliest):{when}}"}}
    return {}


def tariff_announce(*, tariff_id: int, at=None, actor=None) -> Tariff:
    """Marks the list announced at `at` (default now). Refused when it starts less than 7 calendar
    days after (R-BILL-13), unless it is the very first list (there is no change to announce).
    Idempotent: an announced list keeps its first announcement."""
    at = at or timezone.now()
    with transaction.atomic():
        tariff = Tariff.objects.select_for_update().get(pk=tariff_id)
        if tariff.announced_at is not None:
            return tariff
        earliest = tariff_notice_earliest(at)
        first = not Tariff.objects.exclude(pk=tariff.pk).filter(announced_at__isnull=False).exists()
        if tariff.valid_from < earliest and not first:
            raise NoticeTooShort(gettext(
                "The price list starts on %(start)s, less than %(days)s days after this announcement: move its "
                "start to %(earliest)s or later.") % {
                "start": f"{timezone.localtime(tariff.valid_from):%d.%m.%Y %H:%M}", "days": ANNOUNCE_DAYS,
                "earliest": f"{timezone.localtime(earliest):%d.%m.%Y %H:%M}"})
        tariff.announced_at = at
        tariff.save(update_fields=["announced_at"])
        audit_record(code="billing.tariff.announced", actor=actor, target=str(tariff),
                     details={"announced_at": at.isoformat(), "valid_from": tariff.valid_from.isoformat()})
    return tariff
