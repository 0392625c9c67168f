"""The announcement banner and the refund page in a real Chromium at desktop and phone widths
(R-SVC-01, R-SVC-02, R-BILL-12): visible, nothing wider than the screen. Screenshots go to
$SMSPORTAL_SCREENSHOTS when set."""
import os
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser import logged_in_page, sync_api  # skips this module without Playwright or Chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def _shot(page, name):
    folder = os.environ.get("SMSPORTAL_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_r_svc_01_r_bill_12_banner_and_refund_page_fit_the_screen(client_account, live_server, width):
    from accounts.services.termination import client_termination_request
    from lifecycle.announcements import announcement_publish
    from lifecycle.models import Announcement

    now = timezone.now()
    maintenance = Announcement.objects.create(
        kind="maintenance", title="Upgrade of the operator links", body="Messages wait in the queue and go out after.",
        starts_at=now + timedelta(days=4), ends_at=now + timedelta(days=4, hours=2))
    terms = Announcement.objects.create(kind="terms", title="New edition of the public offer",
                                        body="Clause 6.8 on late payment changes.", starts_at=now + timedelta(days=8))
    announcement_publish(announcement_id=maintenance.pk)
    announcement_publish(announcement_id=terms.pk)
    client_termination_request(client=client_account)
    with logged_in_page(live_server, client_account.users.first()) as (page, errors):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/")
        banner = page.locator("#announcement-banner")
        sync_api.expect(banner).to_be_visible()
        sync_api.expect(banner).to_contain_text("Upgrade of the operator links")
        sync_api.expect(banner).to_contain_text("New edition of the public offer")
        assert page.evaluate(OVERFLOW) <= 0
        _shot(page, f"terms_banner_{width}")
        page.goto(f"{live_server.url}/billing/refund/")
        sync_api.expect(page.locator("#refund-form")).to_be_visible()
        sync_api.expect(page.locator("#refundable")).to_contain_text("100")
        assert page.evaluate(OVERFLOW) <= 0
        _shot(page, f"terms_refund_{width}")
        page.fill("input[name=iban]", "UA21 3223 1300 0002 6007 2335 6600 2")
        page.fill("input[name=account_holder]", "Acme LLC")
        page.fill("input[name=holder_tax_code]", "12345678")
        page.locator("#refund-form button[type=submit]").click()
        sync_api.expect(page.locator("#refund-form")).to_contain_text("check digits")
        page.goto(f"{live_server.url}/announcements/")
        sync_api.expect(page.locator("main")).to_contain_text("Clause 6.8")
        assert page.evaluate(OVERFLOW) <= 0
        assert errors == []
