"""The message pages in a real browser at desktop and phone widths: the detail page's Cancel
(with its confirmation) cancels a scheduled message, and no page scrolls sideways at 390 px.
Screenshots go to $SMSPORTAL_SCREENSHOTS when it is set."""
import os
from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.models import Message
from messaging.services import inbound_store, message_send
from messaging.status import Status
from tests.browser import logged_in_page

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = os.environ.get("SMSPORTAL_SCREENSHOTS", "")


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def _no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_message_pages_at_1280_and_390_and_cancel(live_server, client_account, route):
    user = client_account.users.first()
    later = timezone.now() + timedelta(days=1)
    m = message_send(client=client_account, sender="TestShop", recipients=["+380671111111", "+380672222222"],
                     text="Нагадуємо про запис на завтра о 10:00.", send_at=later).messages[0]
    inbound_store(route_id=route.pk, messages=[("+380671112233", "TestShop", "Дякую, буду вчасно!"),
                                               ("+380671112244", "TestShop", "СТОП")])
    with logged_in_page(live_server, user) as bp:
        page = bp.page
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            for name, path in (("list", "/messages/"), ("detail", f"/messages/{m.public_id}/"),
                               ("replies", "/messages/replies/")):
                page.goto(live_server.url + path)
                _shot(page, f"{name}-{width}")
                assert _no_sideways_scroll(page), (name, width)
        page.set_viewport_size({"width": 390, "height": 900})
        page.goto(f"{live_server.url}/messages/{m.public_id}/")
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("#cancel-form button")
        page.wait_for_selector(".notice, .messages, [role=status], [role=alert]", timeout=10_000)
        _shot(page, "detail-cancelled-390")
        assert page.locator("#cancel-form").count() == 0
        assert bp.errors == []
    assert Message.objects.get(pk=m.pk).status == Status.CANCELLED
