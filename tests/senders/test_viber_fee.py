"""R-SND-07: the Viber sender-name registration fee comes from the price list, charged through billing."""
from decimal import Decimal

import pytest
from django.urls import reverse
from djmoney.money import Money

from billing.models import LedgerEntry
from billing.services import tariff_copy
from senders.services import sender_name_request, viber_sender_fee
from tests.factories import TariffFactory, make_client

pytestmark = pytest.mark.django_db


def test_r_snd_07_fee_is_the_price_lists(settings):
    settings.SMSPORTAL_VIBER_SENDER_FEE = "3000"
    assert viber_sender_fee() == Decimal("3000")  # no price list yet: the setting
    tariff = TariffFactory(viber_sender_fee=Money("2400", "UAH"))
    assert viber_sender_fee() == Decimal("2400")
    assert tariff_copy(tariff=tariff).viber_sender_fee == Money("2400", "UAH")
    client = make_client(balance=2500)
    sender = sender_name_request(client=client, name="KvitkaViber", channel="viber")
    entry = LedgerEntry.objects.get(idempotency_key=sender.fee_charge_key)
    assert entry.kind == "charge" and abs(entry.amount.amount) == Decimal("2400")
    client.wallet.refresh_from_db()
    assert client.wallet.balance.amount == Decimal("100")


def test_r_snd_07_website_shows_the_fee_and_the_shared_sender(web):
    TariffFactory(viber_sender_fee=Money("2400", "UAH"))
    html = web.get(reverse("sender_list")).content.decode()
    assert "2400" in html or "2 400" in html


def test_r_snd_07_refund_is_what_was_charged_even_after_a_price_change():
    from senders.services import sender_name_reject

    tariff = TariffFactory(viber_sender_fee=Money("2400", "UAH"))
    client = make_client(balance=3000)
    sender = sender_name_request(client=client, name="KvitkaViber", channel="viber")
    tariff.viber_sender_fee = Money("2900", "UAH")
    tariff.save()
    sender_name_reject(sender_id=sender.pk, reason="Viber refused the name")
    client.wallet.refresh_from_db()
    assert client.wallet.balance.amount == Decimal("3000")
