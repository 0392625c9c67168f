"""A real browser on the statistics page, the campaign review, the public offer and sign-up, in
Ukrainian and English at 1280 and 390 px: nothing scrolls sideways, the charts are drawn, no
script error. Skipped without Playwright or a Chromium binary."""
import contextlib
import csv
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser import ARGS, CHROMIUM, logged_in_page, sync_api  # skips this module without Playwright

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTHS = (1280, 390)
LANGUAGES = ("uk", "en")
# The page's width against the window's, and the first elements that stick out on the right.
OVERFLOW = """() => { const w = document.documentElement.clientWidth; const out = [];
  document.querySelectorAll('body *').forEach(e => { const r = e.getBoundingClientRect();
    if (r.width && r.right > w + 1) out.push(e.tagName + '.' + e.className); });
  return {scroll: document.documentElement.scrollWidth, width: w, out: out.slice(0, 5)}; }"""


def assert_fits(page, what):
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        with contextlib.suppress(sync_api.TimeoutError):  # charts resize on the next frames: wait, with a deadline
            page.wait_for_function("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth",
                                   timeout=5000)
        found = page.evaluate(OVERFLOW)
        assert found["scroll"] <= found["width"], f"{what} at {width} px: {found}"


def _set_language(user, language):
    user.language = language
    user.save(update_fields=["language"])


@contextlib.contextmanager
def anonymous_page(live_server):
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = chromium.new_page()
            errors = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            yield page, errors
        finally:
            chromium.close()


@pytest.fixture
def traffic(client_account):
    """Messages over the last six months, through three operators and a campaign."""
    from messaging.models import Message
    from messaging.services import campaign_accept, campaign_create, message_send

    now = timezone.now()
    for day in range(0, 180, 9):
        sent = message_send(client=client_account, sender="TestShop", recipients=["+380671234567", "+380501234567"],
                            text="Order ready").messages
        Message.objects.filter(pk__in=[m.pk for m in sent]).update(
            created_at=now - timedelta(days=day), status="delivered" if day % 2 else "undelivered",
            operator="kyivstar" if day % 3 else "vodafone")
    campaign = campaign_create(client=client_account, sender="TestShop", text="Hi",
                               name="Осінній розпродаж для постійних клієнтів мережі квіткових магазинів")
    campaign_accept(campaign=campaign, rows=["0931234567"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_statistics_charts_drawn_and_fit(client_account, traffic, live_server, language):
    user = client_account.users.first()
    _set_language(user, language)
    with logged_in_page(live_server, user) as (page, errors):
        for query in ("", "?by=day", "?dimension=operator", "?dimension=campaign"):
            page.set_viewport_size({"width": 1280, "height": 900})
            page.goto(f"{live_server.url}/statistics/{query}")
            assert page.locator("html").get_attribute("lang") == language
            page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('statistics-chart'))")
            if "dimension" in query:
                page.wait_for_function(
                    "() => Chart.getChart(document.getElementById('statistics-breakdown')).data.labels.length > 0")
            points = page.evaluate(
                "() => Chart.getChart(document.getElementById('statistics-chart')).data.datasets.map(d => d.data.length)")
            assert len(points) == 3 and len(set(points)) == 1 and points[0] >= (180 if "day" in query else 7)
            assert page.locator("#statistics-table tbody tr").count() > 0
            assert_fits(page, f"statistics{query} ({language})")
        assert errors == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_campaign_review_with_a_wide_file_fits(client_account, live_server, tmp_path, language):
    user = client_account.users.first()
    _set_language(user, language)
    path = tmp_path / "recipients.csv"
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["phone", "name", "city", "order_number_long_column", "delivery_address_column", "comment"])
        for i in range(8):
            writer.writerow([f"06712345{i:02d}", "Олександра Костянтинопольська", "Дніпро", "ORD-2026-000000123456",
                             "вул. Велика Васильківська, 100, кв. 25", "Коментар_без_пробілів_" * 4])
    text = ("Вітаємо, {name}! Замовлення {order_number_long_column} доставлено: {delivery_address_column}. "
            "https://example.com/very/long/link/without/spaces/abcdefghijklmnopqrstuvwxyz0123456789")
    with logged_in_page(live_server, user) as (page, errors):
        page.goto(f"{live_server.url}/campaigns/new/")
        page.check("input[name=source][value=file]")
        page.set_input_files("input[type=file]", str(path))
        page.fill("textarea[name=text]", text)
        page.fill("input[name=name]", "Весняний розпродаж для постійних клієнтів 2026")
        page.locator("form button[type=submit]").last.click()
        page.wait_for_url("**/campaigns/new/*/")
        sync_api.expect(page.locator(".preview-table")).to_be_visible()
        assert_fits(page, f"campaign review ({language})")
        assert errors == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_offer_and_signup_fit(live_server, language):
    with anonymous_page(live_server) as (page, errors):
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page.goto(f"{live_server.url}/offer/")
        assert page.locator("html").get_attribute("lang") == language
        assert page.locator("article.offer h2").count() == 6
        assert_fits(page, f"offer ({language})")
        page.goto(f"{live_server.url}/accounts/signup/")
        checkbox = page.locator("input[name=accept_offer]")
        sync_api.expect(checkbox).to_be_visible()
        link = page.locator("label[for=id_accept_offer] a")
        assert link.get_attribute("href") == "/offer/"
        assert_fits(page, f"sign-up ({language})")
        assert errors == []
