"""Every client page, and the public ones, in Ukrainian and English at 1280 and 390 px in a real
Chromium: a screenshot of each goes to $SMSPORTAL_ARTIFACTS (default artifacts/screenshots/ at
the repository's root, ignored by git), and no page scrolls sideways. One browser, one page per
language, a client with something in every list. Skipped without Playwright or Chromium."""
import contextlib
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client as DjangoClient
from django.utils import timezone

from tests.browser import ARGS, CHROMIUM, sync_api  # skips this module without Playwright or Chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("SMSPORTAL_ARTIFACTS") or ROOT / "artifacts" / "screenshots")
WIDTHS = (1280, 390)
# The page's width against the window's, and the first elements that stick out on the right.
OVERFLOW = """() => { const w = window.innerWidth; const out = [];
  document.querySelectorAll('body *').forEach(e => { const r = e.getBoundingClientRect();
    if (r.width && r.right > w + 1) out.push(e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(r.right)); });
  return {scroll: document.documentElement.scrollWidth, width: w, out: out.slice(0, 6)}; }"""


def _seed(client_account):
    """Something in every list of `client_account`; the paths of the pages with an id."""
    from accounts.services import api_key_create, invitation_create
    from billing.services import invoice_issue
    from compliance.services import consent_record, stop_list_add
    from lifecycle.announcements import announcement_publish
    from lifecycle.models import Announcement
    from messaging.models import Message
    from messaging.services import campaign_accept, campaign_create, inbound_store, message_send
    from messaging.services.contacts import contact_add, contact_group_create
    from messaging.services.webhooks import webhook_endpoint_set
    from messaging.models import Route
    from tests.messaging.test_viber_inbox_browser import _chat

    now = timezone.now()
    sent = message_send(client=client_account, sender="TestShop",
                        recipients=["+380671234567", "+380501234567", "+380931234567"],
                        text="Ваше замовлення №48213 готове до видачі у відділенні №12. Дякуємо, що обрали нас!").messages
    for k, m in enumerate(sent):
        Message.objects.filter(pk=m.pk).update(status=("delivered", "undelivered", "queued")[k],
                                               created_at=now - timedelta(days=k))
    inbound_store(route_id=Route.objects.first().pk,
                  messages=[("+380671112233", "TestShop", "Дякую, буду вчасно!")])
    campaign = campaign_create(client=client_account, sender="TestShop", text="Знижка 20% на всі букети до неділі",
                               name="Осінній розпродаж для постійних клієнтів мережі квіткових магазинів")
    campaign_accept(campaign=campaign, rows=["0931234567", "0671234500"])
    group = contact_group_create(client=client_account, name="Постійні клієнти")
    contact_add(client=client_account, group_id=group.pk, phone="0671234567", name="Олена Коваленко")
    stop_list_add(client=client_account, phone="+380501230000", note="Попросив не писати")
    consent_record(client=client_account, phone="+380671234567", name="Олена Коваленко", sms=True, source="tests")
    invoice = invoice_issue(client=client_account, amount=1500)
    api_key_create(client=client_account, name="Інтернет-магазин")
    webhook_endpoint_set(client=client_account, url="https://shop.example.com/smsportal/webhook")
    invitation_create(client=client_account, email="manager@acme.example", role="member",
                      accept_url=lambda token: f"/invite/{token}/")
    notice = Announcement.objects.create(kind="maintenance", title="Оновлення каналів до операторів",
                                         body="Повідомлення чекатимуть у черзі й підуть одразу після.",
                                         starts_at=now + timedelta(days=4), ends_at=now + timedelta(days=4, hours=2))
    announcement_publish(announcement_id=notice.pk)
    session_id = _chat(client_account)
    return {"message": sent[0].public_id, "campaign": campaign.public_id, "group": group.pk,
            "invoice": invoice.public_id, "thread": session_id}


def _pages(ids):
    return [
        ("dashboard", "/"), ("send-sms", "/send/"), ("send-viber", "/send/?channel=viber"),
        ("messages", "/messages/"), ("message-detail", f"/messages/{ids['message']}/"),
        ("campaigns", "/campaigns/"), ("campaign-new", "/campaigns/new/"),
        ("campaign-detail", f"/campaigns/{ids['campaign']}/"),
        ("contacts", "/contacts/"), ("contact-group", f"/contacts/{ids['group']}/"),
        ("stop-list", "/stop-list/"), ("consents", "/consents/"), ("statistics", "/statistics/"),
        ("senders", "/senders/"), ("compliance", "/compliance/"),
        ("billing", "/billing/"), ("billing-statement", "/billing/statement/"), ("billing-prices", "/billing/prices/"),
        ("invoices", "/billing/invoices/"), ("invoice-detail", f"/billing/invoices/{ids['invoice']}/"),
        ("invoice-document", f"/billing/invoices/{ids['invoice']}/document/"), ("refund", "/billing/refund/"),
        ("api-keys", "/api-keys/"), ("account", "/account/"), ("team", "/account/team/"),
        ("announcements", "/announcements/"), ("viber-templates", "/viber/templates/"),
        ("viber-inbox", "/viber/inbox/"), ("viber-thread", f"/viber/inbox/{ids['thread']}/"),
        ("sms-replies", "/messages/replies/"), ("offer", "/offer/"),
    ]


UKRAINIAN_ONLY = {"invoice-document"}  # the invoice itself is a Ukrainian legal document in either language
PUBLIC = [("login", "/accounts/login/"), ("signup", "/accounts/signup/"), ("offer-public", "/offer/")]


def _session_cookie(live_server, user):
    session = DjangoClient()
    session.force_login(user)
    host = live_server.url.split("//", 1)[1].split(":")[0]
    return {"name": "sessionid", "value": session.cookies["sessionid"].value, "domain": host, "path": "/"}


def test_every_page_in_uk_and_en_at_1280_and_390_fits_and_is_saved(client_account, live_server):
    from accounts.models import User
    from tests.factories import UserFactory

    ids = _seed(client_account)
    owner = client_account.users.first()
    User.objects.filter(pk=owner.pk).update(language="uk", first_name="Олена", last_name="Коваленко")
    english = UserFactory(email="admin@acme.example", client=client_account, role=User.Role.OWNER, language="en")
    cookies = {"uk": _session_cookie(live_server, owner), "en": _session_cookie(live_server, english)}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    failures, errors, seen, latin = [], [], 0, {}
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for language in ("uk", "en"):
                for logged_in, pages in ((True, _pages(ids)), (False, PUBLIC)):
                    context = chromium.new_context(locale=language, extra_http_headers={"Accept-Language": language})
                    if logged_in:
                        context.add_cookies([cookies[language]])
                    page = context.new_page()
                    page.on("pageerror", lambda exc, lang=language: errors.append(f"{lang}: {exc}"))
                    for name, path in pages:
                        # loaded once at the first width, then the window narrows (media queries and
                        # the charts' resize follow it, as when a phone is turned)
                        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
                        response = page.goto(live_server.url + path)
                        assert response.status == 200, (name, language, response.status)
                        if name not in UKRAINIAN_ONLY:
                            assert page.locator("html").get_attribute("lang") == language, (name, language)
                        if language == "uk":
                            latin[name] = sorted(set(re.findall(r"[A-Za-z][A-Za-z'’-]{2,}", page.inner_text("body"))))
                        for width in WIDTHS:
                            page.set_viewport_size({"width": width, "height": 900})
                            with contextlib.suppress(sync_api.TimeoutError):  # resize handlers run on later frames
                                page.wait_for_function(f"document.documentElement.scrollWidth <= {width}", timeout=2000)
                            page.screenshot(path=str(ARTIFACTS / f"{name}-{language}-{width}.png"), full_page=True)
                            found = page.evaluate(OVERFLOW)
                            seen += 1
                            if found["scroll"] > width:
                                failures.append((name, language, width, found))
                    context.close()
        finally:
            chromium.close()
    # Latin words on the Ukrainian pages, for a reader of the screenshots: brand and sender names,
    # "SMS", "Viber", "API" are expected; an English sentence is not.
    (ARTIFACTS / "latin-words-uk.txt").write_text("".join(f"{k}: {' '.join(v)}\n" for k, v in latin.items()))
    assert seen == 2 * 2 * (len(_pages(ids)) + len(PUBLIC))
    assert failures == [], "\n".join(map(str, failures))
    assert errors == []
