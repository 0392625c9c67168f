"""A client set up for Viber (signed contract, Viber on, an approved Viber sender, Viber prices in
EUR and the day's rate, an approved transactional template, a verified phone): the fixtures of
tests/messaging/test_viber_*.py (imported there)."""
from decimal import Decimal

import pytest
from django.utils import timezone
from djmoney.money import Money

from billing.models import ExchangeRate, TariffPrice
from compliance.services import consent_record
from messaging.models import ViberTemplate
from messaging.viber.service import ViberRequest
from tests.factories import SenderNameFactory

OWN_PHONE = "+380501112233"
KYIVSTAR = "+380671234567"
VODAFONE = "+380661234567"
TEMPLATE = "Your order {number} is ready. Info: +380441234567"
RATE = Decimal("45.000000")


@pytest.fixture
def viber_client(client_account, tariff):
    client = client_account
    type(client).objects.filter(pk=client.pk).update(contract_status=client.Contract.SIGNED, viber_enabled=True)
    client.refresh_from_db()
    client.users.update(phone=OWN_PHONE, phone_verified=True)
    SenderNameFactory(client=client, name="ViberShop", approved=True, viber=True)
    TariffPrice.objects.create(tariff=tariff, channel="viber", message_type="service", price=Money("0.0200", "EUR"))
    TariffPrice.objects.create(tariff=tariff, channel="viber", message_type="advertising",
                               price=Money("0.0300", "EUR"))
    ExchangeRate.objects.update_or_create(date=timezone.localdate(), currency="EUR", defaults={"rate": RATE})
    ViberTemplate.objects.create(client=client, name="Order ready", text=TEMPLATE, state=ViberTemplate.State.APPROVED)
    return client


def consent(client, *phones):
    for phone in phones:
        consent_record(client=client, phone=phone, sms=True, viber=True, source="tests")


def req(**kw) -> ViberRequest:
    kw.setdefault("sender", "ViberShop")
    kw.setdefault("viber_type", "welcome")
    kw.setdefault("text", "Welcome to ViberShop! Questions: +380441234567")
    return ViberRequest(**kw)
