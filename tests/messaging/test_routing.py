"""Routing by destination operator (phonenumbers' offline carrier data, overridden by the staff's
prefix table), prefix and country, with priority and fallback; phones normalized to E.164."""
from decimal import Decimal

import pytest
from djmoney.money import Money

from billing.models import TariffPrice
from messaging.exceptions import NoRoute
from messaging.models import OperatorPrefix, Route
from messaging.routing import Router
from messaging.services import message_send, route_for
from messaging.services.prepare import prepare_rows
from smsportal.phones import Recipient, parse_recipient
from tests.factories import RouteFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("raw", ["0671234567", "380671234567", "+380671234567", "+38 (067) 123-45-67",
                                 "067 123 45 67", "067-123-45-67", "(067) 1234567", "+38-067-123-45-67",
                                 "+380 67 123 4567", "38 067 123 45 67", "+38 067 123 45 67"])
def test_ukrainian_local_forms_become_e164(raw):
    parsed = parse_recipient(raw)
    assert isinstance(parsed, Recipient), (raw, parsed)
    assert parsed.phone == "+380671234567" and parsed.country == "UA" and parsed.operator == "kyivstar"


@pytest.mark.parametrize("raw, operator", [("0501112233", "vodafone"), ("0631112233", "lifecell"),
                                           ("0991112233", "vodafone"), ("0931112233", "lifecell"),
                                           ("0971112233", "kyivstar")])
def test_operator_from_phonenumbers_carrier_data(raw, operator):
    assert parse_recipient(raw).operator == operator


@pytest.mark.parametrize("raw", ["", "12345", "0441234567", "not a phone", "+380 67 123 45 67 89", "0" * 40])
def test_landlines_and_garbage_are_not_recipients(raw):
    assert isinstance(parse_recipient(raw), str)


def _routes():
    Route.objects.all().delete()
    ks = RouteFactory(name="ks", operators="kyivstar", priority=10)
    vf = RouteFactory(name="vf", operators="vodafone, lifecell", priority=10)
    pl = RouteFactory(name="pl", countries="PL", priority=20)
    other = RouteFactory(name="other", priority=100)
    return ks, vf, pl, other


def test_routing_by_operator_then_country_then_catch_all():
    ks, vf, pl, other = _routes()
    router = Router()
    assert router.route_for(parse_recipient("0671234567")) == ks
    assert router.route_for(parse_recipient("0501234567")) == vf
    assert router.route_for(parse_recipient("0631234567")) == vf
    assert router.route_for(parse_recipient("+48 512 345 678")) == pl
    assert router.route_for(parse_recipient("0911234567")) == other  # TriMob: nobody named it


def test_a_route_prefix_beats_operators_and_the_longest_prefix_wins():
    ks, vf, _pl, other = _routes()
    special = RouteFactory(name="special", prefixes="+38067", priority=500)
    narrow = RouteFactory(name="narrow", prefixes="380671", priority=900)  # '+' optional
    router = Router()
    assert router.route_for(parse_recipient("0672234567")) == special
    assert router.route_for(parse_recipient("0671234567")) == narrow
    assert router.route_for(parse_recipient("0681234567")) == ks


def test_priority_decides_between_routes_that_fit():
    Route.objects.all().delete()
    RouteFactory(name="slow", priority=50)
    fast = RouteFactory(name="fast", priority=5)
    assert Router().route_for(parse_recipient("0671234567")) == fast


def test_an_inactive_route_hands_over_to_its_fallback():
    ks, _vf, _pl, other = _routes()
    backup = RouteFactory(name="ks-backup", operators="none-such", priority=1000)
    Route.objects.filter(pk=ks.pk).update(is_active=False, fallback=backup)
    assert Router().route_for(parse_recipient("0671234567")) == backup
    Route.objects.filter(pk=ks.pk).update(fallback=None)
    assert Router().route_for(parse_recipient("0671234567")) == other  # no fallback: the next that fits


def test_no_route_is_a_clear_error():
    Route.objects.all().delete()
    RouteFactory(name="ks", operators="kyivstar")
    with pytest.raises(NoRoute):
        route_for("+48512345678")


def test_operator_prefix_table_overrides_phonenumbers_for_routing(client_account):
    ks, vf, _pl, _other = _routes()
    OperatorPrefix.objects.create(prefix="+3806712", operator="vodafone", note="ported range")
    OperatorPrefix.objects.create(prefix="+38067123", operator="kyivstar")  # longer wins
    assert route_for("+380671234567") == ks
    assert route_for("+380671299999") == vf
    assert route_for("+380681234567") == ks
    result = message_send(client=client_account, sender="TestShop", recipients=["+380671299999"], text="Hi")
    message = result.messages[0]
    assert message.route_id == vf.pk and message.operator == "vodafone"


def test_operator_prefix_table_overrides_phonenumbers_for_pricing(client_account, tariff):
    TariffPrice.objects.create(tariff=tariff, country="UA", operator="vodafone", price=Money(Decimal("0.60"), "UAH"))
    TariffPrice.objects.create(tariff=tariff, country="UA", operator="kyivstar", price=Money(Decimal("0.90"), "UAH"))
    before = prepare_rows(client=client_account, text="Hi", rows=["+380671299999"]).rows[0]
    OperatorPrefix.objects.create(prefix="+3806712", operator="vodafone")
    after = prepare_rows(client=client_account, text="Hi", rows=["+380671299999"]).rows[0]
    assert (before.recipient.operator, before.price) == ("kyivstar", Decimal("0.90"))
    assert (after.recipient.operator, after.price) == ("vodafone", Decimal("0.60"))
