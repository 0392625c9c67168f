"""A real browser on the send form: the live preview asks the server (send/estimate.json) and
shows each recipient's operator, parts and price, and the total, before anything is sent
(R-MSG-02, R-BILL-07). Skipped without Playwright or a Chromium binary."""
from decimal import Decimal

import pytest
from djmoney.money import Money

from tests.browser import logged_in_page, sync_api  # skips this module without Playwright or Chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_r_msg_02_live_preview_prices_each_recipient_by_operator(client_account, tariff, live_server):
    from billing.models import TariffPrice
    from messaging.models import Message

    TariffPrice.objects.create(tariff=tariff, country="UA", operator="vodafone", price=Money(Decimal("0.75"), "UAH"))
    with logged_in_page(live_server, client_account.users.first()) as (page, errors):
        page.goto(f"{live_server.url}/send/")
        page.fill("textarea[name=text]", "Sale -20% today")
        page.fill("textarea[name=recipients]", "0671234567\n0501234567\n12345")
        rows = page.locator("#est-rows tbody tr")
        sync_api.expect(rows).to_have_count(2)
        sync_api.expect(rows.nth(0)).to_contain_text("+380671234567")
        sync_api.expect(rows.nth(0)).to_contain_text("kyivstar")
        sync_api.expect(rows.nth(0)).to_contain_text("0.85")
        sync_api.expect(rows.nth(1)).to_contain_text("vodafone")
        sync_api.expect(rows.nth(1)).to_contain_text("0.75")
        sync_api.expect(page.locator("#est-cost")).to_have_text("1.60 UAH")
        sync_api.expect(page.locator("#est-invalid")).to_contain_text("12345")
        assert errors == []
    assert not Message.objects.exists()


def test_r_bill_07_live_preview_follows_the_message_type(client_account, tariff, live_server):
    """Choosing Advertising re-prices the preview at the advertising rate and, without a signed
    contract, shows the R-CMP-11 hint; the New campaign form's flat price follows the type too."""
    from billing.models import TariffPrice

    TariffPrice.objects.create(tariff=tariff, country="UA", message_type="advertising",
                               price=Money(Decimal("1.1235"), "UAH"))
    with logged_in_page(live_server, client_account.users.first()) as (page, errors):
        page.goto(f"{live_server.url}/send/")
        page.fill("textarea[name=text]", "Sale -20% today")
        page.fill("textarea[name=recipients]", "0671234567\n0501234567")
        sync_api.expect(page.locator("#est-cost")).to_have_text("1.70 UAH")
        sync_api.expect(page.locator("#contract-warning")).to_be_hidden()
        page.check("input[name=message_type][value=advertising]")
        sync_api.expect(page.locator("#est-rows tbody tr").nth(0)).to_contain_text("1.12")
        sync_api.expect(page.locator("#est-cost")).to_have_text("2.25 UAH")  # 2 × 1.1235, shown to kopecks
        sync_api.expect(page.locator("#est-unit")).to_have_text("1.1235 UAH")
        sync_api.expect(page.locator("#contract-warning")).to_be_visible()
        page.check("input[name=message_type][value=service]")
        sync_api.expect(page.locator("#est-cost")).to_have_text("1.70 UAH")

        page.goto(f"{live_server.url}/campaigns/new/")
        page.check("input[name=source][value=paste]")
        page.fill("textarea[name=text]", "Sale -20% today")
        page.fill("textarea[name=numbers]", "0671234567\n0501234567")
        sync_api.expect(page.locator("#est-cost")).to_have_text("1.70 UAH")
        page.check("input[name=message_type][value=advertising]")
        sync_api.expect(page.locator("#est-cost")).to_have_text("2.25 UAH")
        sync_api.expect(page.locator("#contract-warning")).to_be_visible()
        assert errors == []
