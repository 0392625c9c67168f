"""A real browser on the send form: the live segment counter (our JavaScript twin of
messaging/segments.py) and the price follow a Cyrillic text as it is typed, and the form sends.

Runs only where Playwright for Python and a Chromium binary are installed (this machine: Debian's
/usr/bin/chromium); elsewhere it is skipped. It does not download browsers."""
from decimal import Decimal

import pytest

from tests.browser import logged_in_page, sync_api  # skips this module without Playwright or Chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "Вітаємо! Ваше замовлення №1234 готове до видачі. Дякуємо, що обрали нас!"  # 72 chars: 2 UCS-2 parts


def test_r_msg_02_send_form_counts_cyrillic_live_and_sends(client_account, live_server):
    from messaging.models import Message

    available_before = client_account.wallet.available.amount
    with logged_in_page(live_server, client_account.users.first()) as (page, errors):
        page.goto(f"{live_server.url}/send/")
        page.fill("textarea[name=recipients]", "0671234567")
        page.locator("textarea[name=text]").press_sequentially(TEXT[:60])
        counter = page.locator("#counter-text")
        sync_api.expect(counter).to_contain_text("UCS-2 · 1 SMS · 10 left")
        page.locator("textarea[name=text]").press_sequentially(TEXT[60:])
        assert len(TEXT) == 72
        sync_api.expect(counter).to_have_text("72 characters · UCS-2 · 2 SMS · 61 left")  # 2 parts: 133
        sync_api.expect(page.locator("#est-parts")).to_have_text("2")
        sync_api.expect(page.locator("#est-recipients")).to_have_text("1")
        page.locator("main form button[type=submit]").last.click()
        page.wait_for_url(f"{live_server.url}/messages/*/")
        sync_api.expect(page.locator(".flash")).to_contain_text("Accepted 1 message for sending")
        assert errors == []

    message = Message.objects.get()
    assert (message.recipient, message.segments, message.encoding) == ("+380671234567", 2, "ucs2")
    client_account.wallet.refresh_from_db()
    # charged (or held until delivery) once, exactly the message's price
    assert available_before - client_account.wallet.available.amount == message.price.amount > Decimal("0")
