"""The main journey of a new customer, in Ukrainian, in a real Chromium through the real pages, with
the real SMSC simulator, SMPP connector and Celery worker: sign up (with the public offer) → confirm
the phone with the code the platform sent by SMS → confirm the email → create an invoice → staff
marks it paid and approves the sender name in the admin → send an SMS from the Send page → it
reaches «Доставлено» → download the messages report (CSV) with it delivered.

Playwright's sync API keeps an event loop running in this thread, where Django refuses the ORM:
database reads and writes during the journey run in a helper thread (`orm`)."""
import csv
import io
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core import mail
from django.db import connection
from django.test import Client as DjangoClient

from tests.browser import ARGS, CHROMIUM, sync_api  # skips this module without Playwright or Chromium
from tests.e2e.processes import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-Pass-2026"
PHONE = "+380671112233"
RECIPIENT = "+380501234567"
TEXT = "Ваше замовлення №48213 готове до видачі. Дякуємо, що обрали Квітку!"


def orm(fn):
    """`fn()` in a thread without an event loop (its own database connection, closed after)."""
    def run():
        try:
            return fn()
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def eventually(fn, timeout: float, interval: float = 0.3):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def _last_code():
    from messaging.models import Message

    sms = Message.objects.filter(recipient=PHONE).order_by("-created_at").first()
    found = sms and re.search(r"\b(\d{6})\b", sms.text)
    return found and found.group(1)


def _sender_pending_for_signed_up_client():
    """What a customer does in the sender-name form, set up directly (the form is not this
    journey's subject); and the round-the-clock exemption staff give service messages, so the
    journey passes at any hour (R-CMP-07)."""
    from accounts.models import User
    from compliance.services import sending_hours_exemption_grant
    from tests.factories import SenderNameFactory

    client = User.objects.get(email="owner@kvitka.example").client
    sending_hours_exemption_grant(client=client, note="e2e journey")
    SenderNameFactory(client=client, name="KvitkaShop", described=True)
    return client.pk


def _admin_action(page, url, row_text, action):
    """Ticks the changelist row containing `row_text`, runs `action` and returns the messages."""
    page.goto(url)
    row = page.locator("#result_list tbody tr", has_text=row_text)
    row.locator("input.action-select").check()
    page.select_option("select[name=action]", action)
    page.locator("button[name=index]").click()
    page.wait_for_load_state()
    return page.locator("ul.messagelist").inner_text()


def test_journey_in_ukrainian_signup_to_delivered_report(live, live_server, tariff, route):
    from accounts.models import User
    from messaging.models import Message, Route
    from tests.billing.factories import make_staff

    port = free_port()
    Route.objects.filter(pk=route.pk).update(port=port)
    staff = make_staff()
    staff_session = DjangoClient()
    staff_session.force_login(staff)
    host = live_server.url.split("//", 1)[1].split(":")[0]
    staff_cookie = {"name": "sessionid", "value": staff_session.cookies["sessionid"].value, "domain": host, "path": "/"}
    live.simulator(port, receipt_delay=0.2)
    live.worker()
    live.connector("test-route")
    mail.outbox.clear()
    url = live_server.url
    expect = sync_api.expect

    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            ukrainian = {"locale": "uk-UA", "extra_http_headers": {"Accept-Language": "uk"}}
            page = chromium.new_context(accept_downloads=True, **ukrainian).new_page()
            errors = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            # sign up, in Ukrainian; the public offer must be accepted
            page.goto(f"{url}/accounts/signup/")
            assert page.locator("html").get_attribute("lang") == "uk"
            page.fill("input[name=company]", "ТОВ «Квітка»")
            page.fill("input[name=tax_code]", "14360570")
            page.fill("input[name=email]", "owner@kvitka.example")
            page.fill("input[name=phone]", "067 111 22 33")
            page.fill("input[name=password1]", PASSWORD)
            page.fill("input[name=password2]", PASSWORD)
            submit = page.get_by_role("button", name="Створити акаунт")
            submit.click()
            expect(page.locator("main")).to_contain_text("публічн")  # refused without the offer: said in Ukrainian
            page.fill("input[name=password1]", PASSWORD)
            page.fill("input[name=password2]", PASSWORD)
            page.check("input[name=accept_offer]")
            submit.click()
            page.wait_for_url(f"{url}/accounts/phone/verify/")
            expect(page.locator("main")).to_contain_text(PHONE)

            # the code came by SMS through our own pipeline (a system message to the phone)
            code = eventually(lambda: orm(_last_code), timeout=20)
            assert code, "no verification SMS"
            page.fill("#verify-phone-form input[name=code]", code)
            page.locator("#verify-phone-form button[type=submit]").click()
            page.wait_for_url(f"{url}/accounts/confirm-email/")

            # the email confirmation link, then logged in
            link = eventually(lambda: next((m for m in re.findall(r"https?://\S+/confirm-email/\S+/", " ".join(
                e.body for e in mail.outbox))), None), timeout=10)
            assert link, [e.subject for e in mail.outbox]
            page.goto(url + "/" + link.split("/", 3)[3])
            page.get_by_role("button", name="Підтвердити").click()
            page.wait_for_url(re.compile(r".*/(\?.*)?$"))
            page.goto(f"{url}/")
            expect(page.locator("main")).to_be_visible()
            assert "/accounts/" not in page.url

            orm(_sender_pending_for_signed_up_client)

            # an invoice from the billing page
            page.goto(f"{url}/billing/invoices/")
            page.fill("input[name=amount]", "500")
            page.get_by_role("button", name="Виставити рахунок").click()
            page.wait_for_url(re.compile(r".*/billing/invoices/[0-9a-f-]{36}/$"))
            number = page.locator(".crumbs .mono").inner_text().strip()
            assert number

            # staff, in a second browser: marks the invoice paid, approves the sender name
            admin = chromium.new_context(**ukrainian)
            admin.add_cookies([staff_cookie])
            staff_page = admin.new_page()
            said = _admin_action(staff_page, f"{url}/admin/billing/invoice/", number, "mark_paid_selected")
            assert "500" in said, said
            said = _admin_action(staff_page, f"{url}/admin/senders/sendername/", "KvitkaShop", "approve_selected")
            assert "KvitkaShop" in said or "1" in said, said
            admin.close()

            page.goto(f"{url}/billing/invoices/")
            expect(page.locator("main")).to_contain_text("Оплачено")

            # the customer sends an SMS from the Send page
            page.goto(f"{url}/send/")
            page.select_option("select[name=sender]", "KvitkaShop")
            page.fill("textarea[name=recipients]", "050 123 45 67")
            page.fill("textarea[name=text]", TEXT)
            page.locator("main form button[type=submit]").last.click()
            page.wait_for_url(re.compile(r".*/messages/[0-9a-f-]{36}/$"))
            detail = page.url

            # delivered through connector → simulator → receipt → worker; the page says so in Ukrainian
            def delivered():
                page.goto(detail)
                return "Доставлено" in page.locator("main").inner_text()

            assert eventually(delivered, timeout=60, interval=1), live.logs()

            # the report: CSV from the messages page
            page.goto(f"{url}/messages/")
            with page.expect_download() as download:
                page.locator("#messages-export a[href*='export.csv']").click()
            report = download.value.path().read_bytes().decode("utf-8-sig")
            assert errors == []
        finally:
            chromium.close()

    rows = list(csv.reader(io.StringIO(report)))
    line = next(r for r in rows if RECIPIENT in r)
    assert TEXT in line or any(TEXT[:20] in cell for cell in line)
    assert any(cell.lower() in ("delivered", "доставлено") for cell in line), rows[0:2]
    message = Message.objects.get(recipient=RECIPIENT)
    assert message.status == "delivered" and message.sender == "KvitkaShop"
    user = User.objects.get(email="owner@kvitka.example")
    assert user.phone_verified and message.client_id == user.client_id
