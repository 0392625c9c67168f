"""Prices by destination, message type and sender class, dated price lists (R-BILL-07, R-BILL-13)."""
import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps as global_apps
from django.core.exceptions import ValidationError
from django.utils import timezone
from djmoney.money import Money

from billing.exceptions import NoPrice, NoTariff
from billing.models import LedgerEntry, Tariff, TariffPrice
from billing.services import (price_table_for_client, sms_price, tariff_current, tariff_upcoming, unit_price,
                              viber_price)
from tests.billing.factories import kyiv, make_tariff
from tests.factories import SenderNameFactory, make_client

pytestmark = pytest.mark.django_db

KYIVSTAR, VODAFONE, LIFECELL, INTERTELECOM = "+380671234567", "+380501234567", "+380631234567", "+380941234567"


@pytest.fixture
def prices(db):
    """Regular SMS prices differing by every dimension, a default, and Viber in EUR."""
    return make_tariff(valid_from=timezone.now() - timedelta(days=1), default="3.00", lines=[
        {"country": "UA", "price": "1.20"},  # Ukraine, other operators, anything
        {"country": "UA", "operator": "kyivstar", "price": "1.10"},
        {"country": "UA", "operator": "vodafone", "price": "1.05"},
        {"country": "UA", "operator": "lifecell", "price": "1.00"},
        {"country": "UA", "sender_class": "national", "price": "0.80"},
        {"country": "UA", "operator": "kyivstar", "sender_class": "national", "price": "0.85"},
        {"country": "UA", "message_type": "advertising", "price": "1.40"},
        {"country": "PL", "price": "1.90"},
        {"country": "", "price": "2.50"},  # every other country
        {"channel": "viber", "message_type": "service", "price": "0.0150"},
        {"channel": "viber", "message_type": "advertising", "price": "0.0190"},
    ])


def _p(client, recipient, segments=1, **kw):
    return sms_price(client=client, recipient=recipient, segments=segments, **kw).amount


def test_r_bill_07_sms_price_by_ukrainian_operator(prices):
    client = make_client()
    assert _p(client, KYIVSTAR) == Decimal("1.10")
    assert _p(client, VODAFONE) == Decimal("1.05")
    assert _p(client, LIFECELL) == Decimal("1.00")
    assert _p(client, INTERTELECOM) == Decimal("1.20")  # "other UA"


def test_r_bill_07_sms_price_by_country_with_an_international_default(prices):
    client = make_client()
    assert _p(client, "+48512345678") == Decimal("1.90")
    assert _p(client, "+491711234567") == Decimal("2.50")


def test_r_bill_07_sms_price_by_sender_class_and_message_type(prices):
    client = make_client()
    assert _p(client, INTERTELECOM, sender_class="national") == Decimal("0.80")
    assert _p(client, INTERTELECOM, message_type="advertising") == Decimal("1.40")
    assert _p(client, KYIVSTAR, sender_class="national") == Decimal("0.85")  # fixes 3 fields: beats 2
    # A tie (Ukraine+operator vs Ukraine+class): the operator line wins; staff give both to mean both.
    assert _p(client, VODAFONE, sender_class="national") == Decimal("1.05")
    # International sender name and service messages are the defaults until the sender app supplies them.
    assert _p(client, VODAFONE) == _p(client, VODAFONE, sender_class="international", message_type="service")


def test_r_bill_07_price_is_segments_times_segment_price_exact(prices):
    client = make_client()
    assert _p(client, KYIVSTAR, segments=3) == Decimal("3.3000")
    assert sms_price(client=client, recipient=KYIVSTAR, segments=3).currency.code == "UAH"


def test_r_bill_07_callers_may_pass_the_parsed_destination(prices):
    client = make_client()
    assert _p(client, "+380671234567", country="UA", operator="lifecell") == Decimal("1.00")
    assert _p(client, "+380671234567", country="UA", operator="trimob") == Decimal("1.20")


def test_r_bill_07_default_price_when_no_line_matches():
    make_tariff(valid_from=timezone.now() - timedelta(days=1), default="0.85")
    client = make_client()
    assert _p(client, KYIVSTAR, segments=2) == Decimal("1.70")


def test_r_bill_07_price_lines_are_validated():
    tariff = make_tariff(announced=False)  # a draft: its lines can still change
    for fields, message in [
        ({"channel": "sms", "price": Money(1, "EUR")}, "UAH"),
        ({"channel": "viber", "price": Money(1, "UAH")}, "EUR"),
        ({"channel": "sms", "country": "PL", "operator": "kyivstar", "price": Money(1, "UAH")}, "Ukraine"),
        ({"channel": "viber", "country": "UA", "price": Money(1, "EUR")}, "message type only"),
        ({"channel": "sms", "country": "UKR", "price": Money(1, "UAH")}, "ISO"),
    ]:
        with pytest.raises(ValidationError, match=message):
            TariffPrice(tariff=tariff, **fields).full_clean()


def test_r_bill_13_a_new_list_takes_effect_from_its_date_and_paid_messages_keep_their_price():
    client = make_client(balance=100)
    make_tariff(name="Old", valid_from="2026-01-01 00:00", default="0.85")
    make_tariff(name="New", valid_from="2026-06-01 00:00", default="0.95")
    with time_machine.travel(kyiv("2026-05-31 23:59"), tick=False):
        assert tariff_current().name == "Old" and tariff_upcoming().name == "New"
        old_price = _p(client, KYIVSTAR)
        from django.db import transaction

        from billing.services import wallet_charge

        with transaction.atomic():
            wallet_charge(client=client, amount=old_price, key="paid-in-may", description="1 SMS")
    with time_machine.travel(kyiv("2026-06-01 00:00"), tick=False):
        assert tariff_current().name == "New" and tariff_upcoming() is None
        assert _p(client, KYIVSTAR) == Decimal("0.95")
    assert old_price == Decimal("0.85")
    assert LedgerEntry.objects.get(idempotency_key="paid-in-may").amount.amount == Decimal("-0.85")


def test_r_bill_13_new_prices_are_announced_seven_days_ahead():
    make_tariff(valid_from=timezone.now() - timedelta(days=30))
    soon = Tariff(name="Too soon", valid_from=timezone.now() + timedelta(days=6), sms_segment_price=Money(1, "UAH"))
    with pytest.raises(ValidationError, match="7 days ahead"):
        soon.full_clean()
    later = Tariff(name="Announced", valid_from=timezone.now() + timedelta(days=7, hours=1),
                   sms_segment_price=Money(1, "UAH"))
    later.full_clean()


def test_no_price_list_means_no_sending():
    Tariff.objects.all().delete()
    with pytest.raises(NoTariff) as exc:
        sms_price(client=make_client(), recipient=KYIVSTAR, segments=1)
    assert exc.value.status == 503


def test_r_bill_07_viber_prices_per_type_in_eur_charged_in_uah(prices):
    from billing.models import ExchangeRate

    ExchangeRate.objects.create(date=timezone.localdate(), rate=Decimal("45.123456"))
    client = make_client()
    price = viber_price(client=client, message_type="advertising")
    assert price.eur == Money(Decimal("0.0190"), "EUR")
    assert price.rate == Decimal("45.123456")
    assert price.amount == Money(Decimal("0.8573"), "UAH")  # 0.857345664 rounded half-up once
    assert price.details()["rate"] == "45.123456"
    with pytest.raises(NoPrice):
        viber_price(client=client, message_type="session")


def test_price_table_lists_every_line_with_the_clients_price(prices):
    client = make_client()
    table = price_table_for_client(client=client)
    rows = {(r.channel, r.country, r.operator, r.message_type, r.sender_class): r for r in table.rows}
    assert rows[("sms", "UA", "kyivstar", "", "")].yours == Decimal("1.10")
    assert rows[("sms", "", "", "", "")].destination == "Other countries"
    assert rows[("viber", "", "", "advertising", "")].currency == "EUR"
    assert table.rows[0].country == "UA"  # Ukraine first


def test_seeded_default_price_list_is_sensible():
    """The data migration's starting list: regular and grace prices for Ukraine, abroad, Viber."""
    Tariff.objects.all().delete()
    migration = importlib.import_module("billing.migrations.0005_default_price_list")
    migration.seed(global_apps, None)
    importlib.import_module("billing.migrations.0010_penalty_rates_refunds").announce_existing_lists(global_apps, None)
    tariff = Tariff.objects.get(name="Standard 2026")
    assert [s.min_amount.amount for s in tariff.steps.all()] == [1, 1000, 5000, 20000]
    client = make_client()
    assert _p(client, KYIVSTAR) == Decimal("1.19")
    assert _p(client, KYIVSTAR, sender_class="national") == Decimal("0.89")
    assert _p(client, "+491711234567") == Decimal("2.50")
    for step in (2, 3, 4):  # every step is cheaper than the one before, for every Ukrainian line
        lower = {(p.message_type, p.sender_class): p.price for p in tariff.prices.filter(step=step, channel="sms")}
        higher = {(p.message_type, p.sender_class): p.price for p in tariff.prices.filter(step=step - 1, channel="sms",
                                                                                          country="UA")}
        assert all(lower[k] < higher[k] for k in higher)
    viber = unit_price(client=None, channel="viber", tariff=tariff, message_type="advertising")
    assert viber.amount == Decimal("0.019")
    migration.unseed(global_apps, None)
    assert not Tariff.objects.exists()


def test_r_bill_07_sending_charges_the_operator_price(api, client_account):
    """Through the send API: a Kyivstar and a Vodafone number are priced by their operators."""
    make_tariff(valid_from=timezone.now() - timedelta(minutes=1), default="0.85", lines=[
        {"country": "UA", "operator": "kyivstar", "price": "0.70"}, {"country": "UA", "price": "0.90"}])
    r = api.post("/api/v1/messages/", {"sender": "TestShop", "recipients": [KYIVSTAR, VODAFONE], "text": "hi"},
                 format="json")
    assert r.status_code == 201, r.content
    prices = {m["recipient"]: m["price"]["amount"] for m in r.json()["messages"]}
    assert prices == {KYIVSTAR: "0.70", VODAFONE: "0.90"}
    assert r.json()["total_price"]["amount"] == "1.60"
    SenderNameFactory  # noqa: B018 (the fixture's approved sender sends)


def test_r_bill_07_a_send_prices_each_recipient_by_the_sender_names_class_with_its_operator(route):
    """The send path asks the senders app whether the name is national with the recipient's
    operator: national with Kyivstar only → the Kyivstar recipient gets the national price, the
    Vodafone one the international (regular) price."""
    from messaging.services import message_send
    from senders.models import NationalRegistration

    make_tariff(valid_from=timezone.now() - timedelta(days=1), default="3.00", lines=[
        {"country": "UA", "price": "1.20"},
        {"country": "UA", "operator": "kyivstar", "sender_class": "national", "price": "0.70"},
    ])
    client = make_client(balance=10)
    name = SenderNameFactory(client=client, name="NatShop", approved=True)
    NationalRegistration.objects.create(sender=name, operator="kyivstar", status="national",
                                        decided_at=timezone.now())
    sent = message_send(client=client, sender="NatShop", recipients=[KYIVSTAR, VODAFONE], text="Hi").messages
    assert {m.recipient: m.price.amount for m in sent} == {KYIVSTAR: Decimal("0.70"), VODAFONE: Decimal("1.20")}
    other = SenderNameFactory(client=client, name="IntShop", approved=True)  # international everywhere
    sent = message_send(client=client, sender=other.name, recipients=[KYIVSTAR], text="Hi").messages
    assert sent[0].price.amount == Decimal("1.20")
