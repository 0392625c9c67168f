"""Viber in EUR: NBU rates, the base rate and the 2 % rule (R-BILL-08, T 4.10)."""
import json
from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.core.management import CommandError, call_command

from accounts.models import AuditEvent
from billing.exceptions import NoExchangeRate
from billing.models import BaseRate, ExchangeRate
from billing.services import base_rate_set, eur_to_uah, rate_for
from billing.services.rates import RatesFileInvalid, RepriceRefused, nbu_rates_parse, rate_deviation
from smsportal.kyiv import KYIV
from tests.billing.factories import make_staff

pytestmark = pytest.mark.django_db


def _rates(**by_day):
    """_rates(d20261101="45.00", …): NBU EUR rates by day."""
    for key, rate in by_day.items():
        day = date(int(key[1:5]), int(key[5:7]), int(key[7:9]))
        ExchangeRate.objects.create(date=day, rate=Decimal(rate))


def test_r_bill_08_load_nbu_rates_command_reads_nbus_json(tmp_path):
    path = tmp_path / "nbu.json"
    path.write_text(json.dumps([
        {"r030": 978, "txt": "Євро", "rate": 45.1234, "cc": "EUR", "exchangedate": "24.11.2026"},
        {"r030": 840, "txt": "Долар США", "rate": 41.5, "cc": "USD", "exchangedate": "24.11.2026"},
    ], ensure_ascii=False), encoding="utf-8")
    call_command("load_nbu_rates", str(path))
    rate = ExchangeRate.objects.get()
    assert (rate.currency, rate.date, rate.rate, rate.source) == ("EUR", date(2026, 11, 24), Decimal("45.1234"), "nbu")
    # Loading the day again replaces it; the float in the file never became a float here.
    path.write_text('[{"r030":978,"txt":"Євро","rate":45.98765432,"cc":"EUR","exchangedate":"24.11.2026"}]')
    call_command("load_nbu_rates", str(path))
    assert ExchangeRate.objects.get().rate == Decimal("45.987654")
    assert AuditEvent.objects.filter(code="billing.rates.loaded").count() == 2


def test_r_bill_08_bad_files_are_refused_with_a_reason(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('[{"cc": "EUR", "rate": "x", "exchangedate": "2026-11-24"}]')
    with pytest.raises(CommandError, match="exchangedate"):
        call_command("load_nbu_rates", str(path))
    with pytest.raises(RatesFileInvalid):
        nbu_rates_parse("not json")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("load_nbu_rates", str(tmp_path / "missing.json"))


def test_r_bill_08_base_rate_applies_while_nbu_stays_within_two_percent():
    _rates(d20261101="45.00", d20261102="45.80", d20261103="45.89")
    BaseRate.objects.create(effective_from=date(2026, 11, 1), rate=Decimal("45.00"), reason="initial")
    conv = eur_to_uah(Decimal("0.0190"), on=date(2026, 11, 3))  # 45.89 is +1.98 %
    assert (conv.rate, conv.source, conv.rate_date) == (Decimal("45.00"), "base", date(2026, 11, 1))
    assert conv.amount.amount == Decimal("0.8550")


def test_r_bill_08_the_rate_never_switches_by_itself_even_after_a_two_percent_move():
    _rates(d20261101="45.00", d20261104="45.90", d20261105="44.10")
    BaseRate.objects.create(effective_from=date(2026, 11, 1), rate=Decimal("45.00"), reason="initial")
    assert rate_for(date(2026, 11, 4)) == (Decimal("45.00"), date(2026, 11, 1), "base")  # +2.00 %: still the base
    assert rate_for(date(2026, 11, 5)) == (Decimal("45.00"), date(2026, 11, 1), "base")  # −2.00 %: still the base
    conv = eur_to_uah(Decimal("0.0150"), on=date(2026, 11, 5))
    assert (conv.rate, conv.amount.amount) == (Decimal("45.00"), Decimal("0.6750"))


def _at(text):
    return datetime.fromisoformat(text).replace(tzinfo=KYIV)


def test_r_bill_08_staff_reprice_sets_a_new_base_effective_that_day_and_is_audited():
    _rates(d20261101="45.00", d20261104="46.00", d20261105="46.20")
    BaseRate.objects.create(effective_from=date(2026, 11, 1), rate=Decimal("45.00"), reason="initial")
    base = base_rate_set(reason="NBU moved 2.2 %", now=_at("2026-11-04 11:59"))
    assert (base.rate, base.effective_from) == (Decimal("46.00"), date(2026, 11, 4))
    assert rate_for(date(2026, 11, 3)) == (Decimal("45.00"), date(2026, 11, 1), "base")
    assert rate_for(date(2026, 11, 5)) == (Decimal("46.00"), date(2026, 11, 4), "base")  # +0.4 % from the new base
    assert AuditEvent.objects.filter(code="billing.rates.base_set", details__reason="NBU moved 2.2 %").exists()
    with pytest.raises(Exception, match="reason"):
        base_rate_set(reason=" ", now=_at("2026-11-05 09:00"))


@pytest.mark.parametrize(("nbu", "allowed"), [("45.90", True), ("44.10", True), ("45.89", False), ("44.11", False)])
def test_r_bill_08_reprice_needs_a_move_of_two_percent_or_more(nbu, allowed):
    _rates(d20261101="45.00", d20261104=nbu)
    BaseRate.objects.create(effective_from=date(2026, 11, 1), rate=Decimal("45.00"), reason="initial")
    assert rate_deviation(now=_at("2026-11-04 10:00")).may_reprice is allowed
    if allowed:
        assert base_rate_set(reason="moved", now=_at("2026-11-04 10:00")).rate == Decimal(nbu)
    else:
        with pytest.raises(RepriceRefused) as exc:
            base_rate_set(reason="moved", now=_at("2026-11-04 10:00"))
        assert exc.value.code == "reprice_below_threshold"
        assert rate_for(date(2026, 11, 4))[0] == Decimal("45.00")


def test_r_vib_10_reprice_is_made_before_noon_kyiv_of_that_day():
    _rates(d20261101="45.00", d20261104="46.00")
    BaseRate.objects.create(effective_from=date(2026, 11, 1), rate=Decimal("45.00"), reason="initial")
    with pytest.raises(RepriceRefused) as exc:
        base_rate_set(reason="late", now=_at("2026-11-04 12:00"))  # 12:00 is already too late
    assert exc.value.code == "reprice_after_noon" and exc.value.status == 409
    with pytest.raises(RepriceRefused) as exc:
        base_rate_set(reason="for tomorrow", effective_from=date(2026, 11, 5), now=_at("2026-11-04 09:00"))
    assert exc.value.code == "reprice_not_today"
    assert base_rate_set(reason="in time", now=_at("2026-11-04 11:59:59")).effective_from == date(2026, 11, 4)


def test_r_vib_10_admin_shows_the_deviation_and_refuses_after_noon(client):
    admin_client = client
    admin_client.force_login(make_staff())
    _rates(d20261101="45.00", d20261104="46.00")
    BaseRate.objects.create(effective_from=date(2026, 11, 1), rate=Decimal("45.00"), reason="initial")
    with time_machine.travel(_at("2026-11-04 10:00"), tick=False):
        page = admin_client.get(reverse("admin:billing_exchangerate_changelist"))
        assert "deviation 2.22 %" in page.content.decode() and "Re-pricing is allowed now." in page.content.decode()
    with time_machine.travel(_at("2026-11-04 13:00"), tick=False):
        response = admin_client.post(reverse("admin:billing_exchangerate_reprice"), {"reason": "moved 2.2 %"})
        assert response.status_code == 200 and "before 12:00" in response.content.decode()
    assert BaseRate.objects.count() == 1


def test_r_bill_08_without_a_base_the_nbu_rate_of_the_day_applies_and_none_is_an_error():
    with pytest.raises(NoExchangeRate) as exc:
        eur_to_uah(Decimal("1"), on=date(2026, 11, 1))
    assert exc.value.status == 503
    _rates(d20261101="45.00")
    assert rate_for(date(2026, 11, 7)) == (Decimal("45.00"), date(2026, 11, 1), "nbu")  # the latest before
