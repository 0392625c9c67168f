"""The Viber inbox and templates pages in a real browser at 1280 and 390 px: nothing overflows
sideways; on a phone the inbox shows either the chat list or one chat (R-VIB-06, R-VIB-05).
Skipped without Playwright or a Chromium binary."""
import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.browser import logged_in_page, sync_api  # skips this module without Playwright or Chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("SMSPORTAL_SCREENSHOTS", "")
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def _chat(client_account):
    from billing.models import ExchangeRate
    from messaging.models import ChatSession
    from messaging.viber.provider import InboundEvent
    from messaging.viber.sessions import inbound_apply, session_reply
    from messaging.viber.templates import template_approve, template_reject, template_submit
    from tests.billing.factories import make_tariff
    from tests.factories import SenderNameFactory

    SenderNameFactory(client=client_account, name="AcmeViber", channel="viber", approved=True)
    make_tariff(valid_from=timezone.now() - timedelta(hours=5),
                lines=[{"channel": "viber", "message_type": "session", "price": "0.0500"}])
    ExchangeRate.objects.create(date=timezone.localdate() - timedelta(days=1), rate=Decimal("45"))
    now = timezone.now()
    inbound_apply([
        InboundEvent(event_id="e1", provider_id="p1", phone="+380671234567", sender="AcmeViber",
                     at=now - timedelta(hours=2), text="Добрий день! Де моє замовлення №48213? Чекаю вже третій день."),
        InboundEvent(event_id="e2", provider_id="p2", phone="+380501234567", sender="AcmeViber", at=now,
                     text="Чи можна змінити адресу доставки?"),
    ])
    session = ChatSession.objects.get(recipient="+380671234567")
    session_reply(client=client_account, session_id=session.public_id,
                  text="Вітаємо! Замовлення №48213 передано до служби доставки, очікуйте сьогодні до 18:00.")
    ok = template_submit(client=client_account, name="Замовлення готове",
                         text="Замовлення {number} готове до видачі за адресою {address} до {date}.")
    template_approve(template_id=ok.pk)
    bad = template_submit(client=client_account, name="Знижки", text="Знижка {percent} на все до {date}!")
    template_reject(template_id=bad.pk, reason="Advertising content is not allowed in a transactional template.")
    template_submit(client=client_account, name="Код входу", text="Ваш код: {code}. Нікому його не повідомляйте.")
    return str(session.public_id)


@pytest.mark.parametrize("width, height", [(1280, 900), (390, 844)])
def test_r_vib_06_inbox_and_templates_fit_the_screen(client_account, live_server, width, height):
    session_id = _chat(client_account)
    with logged_in_page(live_server, client_account.users.first()) as (page, errors):
        page.set_viewport_size({"width": width, "height": height})
        page.context.add_cookies([{"name": "django_language", "value": "uk",
                                   "url": live_server.url}])
        page.goto(f"{live_server.url}/viber/inbox/")
        sync_api.expect(page.locator("#thread-list")).to_be_visible()
        assert page.evaluate(OVERFLOW) <= 0
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/inbox-{width}.png", full_page=True)
        page.goto(f"{live_server.url}/viber/inbox/{session_id}/")
        sync_api.expect(page.locator("#reply-limits")).to_be_visible()
        sync_api.expect(page.locator("#thread")).to_contain_text("48213")
        if width < 760:  # a phone shows the chat alone, with the way back
            sync_api.expect(page.locator("#thread-list")).to_be_hidden()
        else:
            sync_api.expect(page.locator("#thread-list")).to_be_visible()
        assert page.evaluate(OVERFLOW) <= 0
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/thread-{width}.png", full_page=True)
        page.goto(f"{live_server.url}/viber/templates/")
        sync_api.expect(page.locator("#template-list")).to_be_visible()
        assert page.evaluate(OVERFLOW) <= 0
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/templates-{width}.png", full_page=True)
        assert errors == []
