"""The estimate without sending (R-MSG-02, R-BILL-07): POST /api/v1/messages/estimate/ and the send
form's live preview (send/estimate.json) give the same per-recipient parts, encoding and price."""
from decimal import Decimal

import pytest
from django.urls import reverse
from djmoney.money import Money

from billing.models import TariffPrice
from messaging.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_prices(tariff):
    TariffPrice.objects.create(tariff=tariff, country="UA", operator="kyivstar", price=Money(Decimal("0.90"), "UAH"))
    TariffPrice.objects.create(tariff=tariff, country="UA", operator="vodafone", price=Money(Decimal("0.75"), "UAH"))


def test_r_msg_02_live_preview_prices_each_recipient_by_operator_and_parts(web, operator_prices):
    text = "Привіт! Ваше замовлення готове, заберіть його сьогодні до 20:00. Дякуємо, що ви з нами!"  # 2 UCS-2
    r = web.post(reverse("message_send_estimate"),
                 {"text": text, "recipients": "0671234567\n+38 (050) 123-45-67, 067 123 45 67\n12345"})
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 2 and body["duplicates"] == 1
    assert [(row["recipient"], row["operator"], row["segments"], row["encoding"], row["price"]["amount"])
            for row in body["recipients"]] == [("+380671234567", "kyivstar", 2, "ucs2", "1.80"),
                                               ("+380501234567", "vodafone", 2, "ucs2", "1.50")]
    assert body["total_price"] == {"amount": "3.30", "currency": "UAH"}
    assert body["invalid"] == [{"row": 4, "value": "12345", "reason": "not a valid phone number"}]
    assert not Message.objects.exists()  # nothing sent


def test_live_preview_and_the_api_estimate_agree(web, api, operator_prices):
    numbers = ["0671234567", "0501234567", "+48512345678"]
    web_body = web.post(reverse("message_send_estimate"), {"text": "Sale -20%", "recipients": "\n".join(numbers)})
    api_body = api.post("/api/v1/messages/estimate/", {"text": "Sale -20%", "recipients": numbers}, format="json")
    assert web_body.json() == api_body.json()


def test_live_preview_errors_are_json_and_empty_input_is_zero(web):
    r = web.post(reverse("message_send_estimate"), {"text": "x" * 1600, "recipients": "0671234567"})
    assert r.status_code == 400 and r.json()["code"] == "text_too_long"
    r = web.post(reverse("message_send_estimate"), {"text": "", "recipients": ""})
    assert r.status_code == 200 and r.json()["count"] == 0


def test_live_preview_needs_a_login_and_post(client, web):
    client.logout()
    assert client.post(reverse("message_send_estimate"), {"text": "x", "recipients": "0671234567"}).status_code == 302
    assert web.get(reverse("message_send_estimate")).status_code == 405


def test_send_page_wires_the_live_preview(web):
    page = web.get(reverse("message_send"))
    assert page.context["send_config"]["estimateUrl"] == reverse("message_send_estimate")
    assert 'id="est-rows"' in page.content.decode()
