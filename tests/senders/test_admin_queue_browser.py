"""The staff moderation pages in a real browser, in Ukrainian and English at 1280 and 390 px: the
admin index with its counters, the sender-name queue and the message review queue never scroll
sideways. Skipped without Playwright or a Chromium binary."""
import datetime

import pytest
from django.utils import timezone

from tests.browser import logged_in_page, sync_api  # skips this module without Playwright or Chromium
from tests.factories import SenderNameFactory, make_client
from tests.messaging.test_pages_browser import assert_fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["uk", "en"])
def test_moderation_pages_fit(client_account, live_server, django_user_model, language):
    from messaging.services import message_send, messages_transition
    from messaging.status import Status

    held = message_send(client=client_account, sender="TestShop", recipients=["+380671234567"],
                        text="Кредит готівкою під 0% на 30 днів",
                        send_at=timezone.now() + datetime.timedelta(minutes=5)).messages
    messages_transition(ids=[m.pk for m in held], new=Status.PENDING_REVIEW, error_code="content_review",
                        error_detail="Held for a content review.")
    company = make_client(name="Квітка ТОВ з дуже довгою назвою компанії")
    SenderNameFactory(client=company, name="KvitkaShop")
    SenderNameFactory(client=company, name="Approved1", approved=True)
    staff = django_user_model.objects.create_superuser("boss@example.com", "pw-12345-staff", language=language)
    with logged_in_page(live_server, staff) as (page, errors):
        page.goto(f"{live_server.url}/admin/")
        counts = page.locator("#moderation-queues .moderation-count")
        sync_api.expect(counts).to_have_count(3)  # sender names, held messages, Viber templates
        sync_api.expect(counts.nth(0)).to_have_text("1")
        sync_api.expect(counts.nth(1)).to_have_text("1")
        sync_api.expect(counts.nth(2)).to_have_text("0")
        assert_fits(page, f"admin index ({language})")
        page.goto(f"{live_server.url}/admin/senders/sendername/")
        sync_api.expect(page.locator("#result_list tbody tr")).to_have_count(1)
        assert_fits(page, f"sender names ({language})")
        page.goto(f"{live_server.url}/admin/messaging/reviewqueue/")
        sync_api.expect(page.locator(f"select[name=canned_{held[0].pk}]")).to_be_visible()
        assert_fits(page, f"review queue ({language})")
        assert errors == []
