"""Money reads the same everywhere on the website: amounts grouped with 2 decimals (the estimate's
"7,140.00 UAH" and the insufficient-funds error beside it), prices with 2 or 4 decimals, one number
of decimals within a price table."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.exceptions import InsufficientFunds
from billing.services import wallet_hold
from smsportal.money import money_text, table_places
from tests.billing.factories import make_tariff
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def test_money_text_groups_amounts_and_keeps_fractions_of_a_kopeck_for_prices():
    assert money_text(Decimal("7140")) == "7,140.00"
    assert money_text(Decimal("1234567.895")) == "1,234,567.90"  # half up
    assert money_text(Decimal("-12.5")) == "-12.50"
    assert money_text(Decimal("0.8450"), None) == "0.8450" and money_text(Decimal("0.8500"), None) == "0.85"
    assert money_text(Decimal("0.05"), 4) == "0.0500"
    assert table_places([Decimal("0.05"), Decimal("0.0150")]) == 4 and table_places([Decimal("0.85")]) == 2


def test_r_bill_14_insufficient_funds_text_formats_money_as_the_estimate_does():
    client = make_client(balance=100)
    with pytest.raises(InsufficientFunds) as exc:
        wallet_hold(client=client, amount=Decimal("7140"), key="big-send", description="7,000 SMS")
    assert "cannot pay 7,140.00 UAH" in exc.value.detail and "100.00 UAH" in exc.value.detail
    assert exc.value.extra["required"] == {"amount": "7140", "currency": "UAH"}  # machine-readable stays plain


def test_r_bill_14_insufficient_funds_text_on_the_campaign_page(web):
    from messaging.models import Campaign
    from messaging.services import campaign_accept, campaign_create

    campaign = campaign_create(client=web.account, sender="TestShop", text="Sale")
    with pytest.raises(InsufficientFunds):
        campaign_accept(campaign=campaign, rows=[f"+38067{5000001 + i:07d}" for i in range(1200)])
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.FAILED and "cannot pay 1,020.00 UAH" in campaign.error_detail
    html = web.get(reverse("campaign_detail", args=[campaign.public_id])).content.decode()
    assert "cannot pay 1,020.00 UAH" in html


def test_r_bill_08_viber_prices_table_shows_one_number_of_decimals(web):
    make_tariff(valid_from=timezone.now() - timedelta(days=1), lines=[
        {"country": "UA", "price": "0.85"},
        {"channel": "viber", "message_type": "service", "price": "0.0150"},
        {"channel": "viber", "message_type": "advertising", "price": "0.05"},
    ])
    html = web.get(reverse("billing_prices")).content.decode()
    assert "<strong>0.0150</strong>" in html and "<strong>0.0500</strong>" in html
    assert "<strong>0.05</strong>" not in html
    assert "<strong>0.85</strong>" in html  # the SMS table needs only 2
