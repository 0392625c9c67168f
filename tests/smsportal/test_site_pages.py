"""The website as a new client sees it: every section loads, is reachable from the top bar, and
unknown addresses get our own 404 page."""
import pytest
from django.urls import reverse
from djmoney.money import Money

SECTIONS = ["dashboard", "message_send", "campaign_list", "message_list", "contact_groups", "sender_list",
            "billing_overview", "api_key_list"]
OTHER_PAGES = ["campaign_new", "billing_statement", "invoice_list", "billing_prices", "account_profile",
               "account_team", "account_block", "account_change_password", "account_email", "mfa_index"]


@pytest.mark.django_db
def test_every_section_is_in_the_top_bar_and_loads(web):
    html = web.get(reverse("dashboard")).content.decode()
    for name in SECTIONS + ["account_profile"]:
        assert f'href="{reverse(name)}"' in html, f"{name} is not reachable from the top bar"
    for name in SECTIONS + OTHER_PAGES:
        response = web.get(reverse(name))
        assert response.status_code == 200, f"{name}: {response.status_code}"


@pytest.mark.django_db
def test_current_section_is_marked_in_the_top_bar(web):
    html = web.get(reverse("sender_list")).content.decode()
    assert f'href="{reverse("sender_list")}" aria-current="page"' in html
    assert f'href="{reverse("dashboard")}" aria-current="page"' not in html


@pytest.mark.django_db
def test_unknown_address_gets_the_branded_404(web):
    response = web.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert reverse("billing_overview") in response.content.decode()  # the usual top bar


def test_error_page_500_renders_without_a_request():
    from django.template.loader import render_to_string

    assert "Something went wrong" in render_to_string("500.html")


def test_money_reads_amount_then_currency_like_the_website():
    assert str(Money("476.2", "UAH")) == "476.20 UAH"
    assert str(Money("-0.015", "EUR")) == "-0.015 EUR"
    assert str(Money("1500", "UAH")) == "1,500.00 UAH"


@pytest.mark.django_db
def test_account_forms_use_sentence_case_like_the_rest_of_the_site(web, client):
    html = web.get(reverse("account_change_password")).content.decode()
    assert "New password (again)" in html and "New Password" not in html and "Current Password" not in html
    web.logout()
    assert "Remember me" in client.get(reverse("account_login")).content.decode()


@pytest.mark.django_db
def test_system_sms_text_is_shown_in_the_log_only_with_debug(settings, caplog, client_account):
    """`make run` (DEBUG): a new user reads the sign-up code in the web log; production never logs it."""
    from accounts.notify import sms_send

    settings.DEBUG = True
    with caplog.at_level("INFO", logger="smsportal.accounts"):
        sms_send("+380501112233", "smsportal code: 123456.")
    assert "system SMS to +380501112233: smsportal code: 123456." in caplog.text
    caplog.clear()
    settings.DEBUG = False
    with caplog.at_level("INFO", logger="smsportal.accounts"):
        sms_send("+380501112233", "smsportal code: 654321.")
    assert "654321" not in caplog.text
