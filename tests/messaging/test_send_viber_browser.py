"""A real browser on the Send page's Viber tab: the preview bubble follows the text (with its line
breaks), the picture and the button as the client types (R-VIB-02), and the recipients box says at
once when it holds more numbers than one send takes. Skipped without Playwright or Chromium."""
import pytest

from tests.browser import logged_in_page, sync_api  # skips this module without Playwright or Chromium
from tests.messaging.viber_fixtures import OWN_PHONE, viber_client  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_r_vib_02_preview_updates_live(viber_client, live_server):  # noqa: F811
    with logged_in_page(live_server, viber_client.users.first()) as (page, errors):
        page.set_viewport_size({"width": 390, "height": 900})
        page.goto(f"{live_server.url}/send/?channel=viber")
        bubble_text = page.locator("#vb-text")
        sync_api.expect(bubble_text).to_have_class("vb-text is-empty")
        page.fill("textarea[name=text]", "Spring sale!\n-20% on <b>everything</b>")
        sync_api.expect(bubble_text).to_have_text("Spring sale!\n-20% on <b>everything</b>")
        assert bubble_text.evaluate("el => el.getBoundingClientRect().height > 30")  # two lines
        sync_api.expect(page.locator("#viber-counter")).to_contain_text("38 of 1,000")
        sync_api.expect(page.locator("#vb-button")).to_be_hidden()
        page.fill("input[name=button_caption]", "Open the shop")
        sync_api.expect(page.locator("#vb-button")).to_have_text("Open the shop")
        sync_api.expect(page.locator("#vb-button")).to_be_visible()
        page.fill("input[name=image_url]", "https://cdn.example.ua/sale.png")
        sync_api.expect(page.locator("#vb-image-img")).to_have_attribute("src", "https://cdn.example.ua/sale.png")
        sync_api.expect(page.locator("#vb-image")).to_be_visible()
        # the server's estimate: the price, and the opt-out phone the message will carry (R-VIB-08)
        page.check("input[name=viber_type][value=welcome]")
        page.fill("textarea[name=recipients]", "0671234567")
        sync_api.expect(page.locator("#vb-cost")).to_contain_text("UAH")
        sync_api.expect(page.locator("#vb-appended")).to_have_text(OWN_PHONE)
        sync_api.expect(page.locator("#vb-refusals")).to_contain_text("A button needs both a caption and a URL.")
        page.locator("textarea[name=recipients]").evaluate(
            "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }",
            "\n".join(f"067{i:07d}" for i in range(1000000, 1001001)))
        sync_api.expect(page.locator("#too-many-warning")).to_be_visible()
        sync_api.expect(page.locator("#too-many-warning")).to_contain_text("1,001")
        sync_api.expect(page.locator("#vb-recipients")).to_have_text("1,001")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert errors == []


def test_sms_tab_says_too_many_numbers_and_empty_variables_before_sending(client_account, tariff, live_server):
    with logged_in_page(live_server, client_account.users.first()) as (page, errors):
        page.goto(f"{live_server.url}/send/")
        page.fill("textarea[name=text]", "Hello")
        pasted = "\r\n".join(f"067{i:07d}" for i in range(1000000, 1010000))  # 10,000 numbers, 119,998 chars
        # a paste: the value in one go and one input event (fill() types it through the IME path)
        page.locator("textarea[name=recipients]").evaluate(
            "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }", pasted)
        assert page.input_value("textarea[name=recipients]").count("\n") == 9999  # nothing cut
        sync_api.expect(page.locator("#too-many-warning")).to_contain_text("10,000")
        sync_api.expect(page.locator("#too-long-warning")).to_contain_text("109,999")
        sync_api.expect(page.locator("#est-detail")).to_be_hidden()
        page.fill("textarea[name=text]", "Hi {name}, your number {phone} is registered")
        sync_api.expect(page.locator("#empty-var-warning")).to_be_visible()
        sync_api.expect(page.locator("#empty-var-warning")).to_contain_text("{name} would be empty")
        page.fill("textarea[name=text]", "Your number {phone} is registered")
        sync_api.expect(page.locator("#empty-var-warning")).to_be_hidden()
        assert errors == []
