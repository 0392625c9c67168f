"""A real browser on the send form: the live preview asks the server (send/estimate.json) and
shows each recipient's operator, parts and price, and the total, before anything is sent
(R-MSG-02, R-BILL-07). Skipped without Playwright or a Chromium binary."""
import os
import shutil
from decimal import Decimal

import pytest
from django.test import Client
from djmoney.money import Money

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("SMSPORTAL_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="no Chromium binary"),
    pytest.mark.django_db(transaction=True),
]


def test_r_msg_02_live_preview_prices_each_recipient_by_operator(client_account, tariff, live_server):
    from billing.models import TariffPrice
    from messaging.models import Message

    TariffPrice.objects.create(tariff=tariff, country="UA", operator="vodafone", price=Money(Decimal("0.75"), "UAH"))
    browser = Client()
    browser.force_login(client_account.users.first())
    host = live_server.url.split("//", 1)[1].split(":")[0]
    cookie = {"name": "sessionid", "value": browser.cookies["sessionid"].value, "domain": host, "path": "/"}
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = chromium.new_context()
            context.add_cookies([cookie])
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
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
        finally:
            chromium.close()
    assert not Message.objects.exists()
