"""Viber in EUR: NBU rates, the base rate and the 2 % rule (R-BILL-08, T 4.10)."""
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from accounts.models import AuditEvent
from billing.exceptions import NoExchangeRate
from billing.models import BaseRate, ExchangeRate
from billing.services import base_rate_set, eur_to_uah, rate_for
from billing.services.rates import RatesFileInvalid, nbu_rates_parse

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


def test_r_bill_08_current_rate_applies_from_the_day_it_moves_two_percent():
    _rates(d20261101="45.00", d20261104="45.90", d20261105="45.50", d20261106="45.70")
    BaseRate.objects.create(effective_from=date(2026, 11, 1), rate=Decimal("45.00"), reason="initial")
    assert rate_for(date(2026, 11, 3)) == (Decimal("45.00"), date(2026, 11, 1), "base")
    assert rate_for(date(2026, 11, 4)) == (Decimal("45.90"), date(2026, 11, 4), "nbu")  # +2.00 %: moved
    # From that day on the current NBU rate applies, even if it comes back within 2 %, until staff re-price.
    assert rate_for(date(2026, 11, 5)) == (Decimal("45.50"), date(2026, 11, 5), "nbu")
    conv = eur_to_uah(Decimal("0.0150"), on=date(2026, 11, 6))
    assert (conv.rate, conv.amount.amount) == (Decimal("45.70"), Decimal("0.6855"))


def test_r_bill_08_a_fall_of_two_percent_counts_too():
    _rates(d20261101="45.00", d20261102="44.10")
    BaseRate.objects.create(effective_from=date(2026, 11, 1), rate=Decimal("45.00"), reason="initial")
    assert rate_for(date(2026, 11, 2))[2] == "nbu"


def test_r_bill_08_staff_reprice_sets_a_new_base_effective_that_day_and_is_audited():
    _rates(d20261101="45.00", d20261104="46.00", d20261105="46.20")
    BaseRate.objects.create(effective_from=date(2026, 11, 1), rate=Decimal("45.00"), reason="initial")
    base = base_rate_set(reason="NBU moved 2.2 %", effective_from=date(2026, 11, 4))
    assert base.rate == Decimal("46.00")
    assert rate_for(date(2026, 11, 3)) == (Decimal("45.00"), date(2026, 11, 1), "base")
    assert rate_for(date(2026, 11, 5)) == (Decimal("46.00"), date(2026, 11, 4), "base")  # +0.4 % from the new base
    assert AuditEvent.objects.filter(code="billing.rates.base_set", details__reason="NBU moved 2.2 %").exists()
    with pytest.raises(Exception, match="reason"):
        base_rate_set(reason=" ", effective_from=date(2026, 11, 5))


def test_r_bill_08_without_a_base_the_nbu_rate_of_the_day_applies_and_none_is_an_error():
    with pytest.raises(NoExchangeRate) as exc:
        eur_to_uah(Decimal("1"), on=date(2026, 11, 1))
    assert exc.value.status == 503
    _rates(d20261101="45.00")
    assert rate_for(date(2026, 11, 7)) == (Decimal("45.00"), date(2026, 11, 1), "nbu")  # the latest before
