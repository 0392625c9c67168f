"""The website in Ukrainian (the default) and English (issue 13).

- Translated templates have no visible English outside {% translate %} / {% blocktranslate %}.
- Pages render in the language the browser asks for, with <html lang>, Ukrainian money (1 234,56 грн).
- The language switch remembers a logged-in user's choice; emails and system SMS follow it.
- locale/uk has no fuzzy or empty translations, and the compiled .mo matches the .po.
"""
import ast
import gettext
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from smsportal.money import money_text
from tests.factories import make_client

ROOT = Path(settings.BASE_DIR)
TEMPLATES = ROOT / "templates"
LOCALE = ROOT / "locale" / "uk" / "LC_MESSAGES"

# Templates whose every visible text is translated. Extend the list as pages are translated.
TRANSLATED_TEMPLATES = [
    "base.html", "403.html", "404.html", "500.html",
    *sorted(str(p.relative_to(TEMPLATES)) for p in (TEMPLATES / "account").glob("*.html")),
    *sorted(str(p.relative_to(TEMPLATES)) for p in (TEMPLATES / "mfa").rglob("*.html")),
    *sorted(str(p.relative_to(TEMPLATES)) for pattern in (
        "account_*.html", "billing_*.html", "invoice_*.html", "sender*.html", "no_client.html", "_field.html",
        "_form_errors.html", "_pagination.html", "_status_badge.html", "_language_switch.html",
        "dashboard.html", "send.html", "messages.html", "message_detail.html", "_send_blockers.html",
        "_send_estimate.html", "_sms_counter.html", "_message_type.html",
        "campaign_list.html", "campaign_new.html", "campaign_upload_preview.html", "campaign_state_badge.html",
        "campaign_source_field.html", "campaign_review.html", "campaign_detail.html", "contacts.html",
        "contacts_group.html", "contacts_import.html", "statistics.html", "_webhooks.html",
    ) for p in (TEMPLATES / "portal").glob(pattern)),
    *sorted(str(p.relative_to(TEMPLATES)) for p in (TEMPLATES / "compliance").glob("*.html")),
    *sorted(str(p.relative_to(TEMPLATES)) for p in (TEMPLATES / "lifecycle").glob("*.html")),
]

# Words that read the same in both languages: brand and product names, units, code.
ALLOWED_WORDS = {
    "smsportal", "SMS", "API", "Viber", "EUR", "IBAN", "EDI", "PDF", "CSV", "IP", "IPs", "QR", "URL",
    "EN", "sp", "Kyivstar", "Vodafone", "lifecell", "Ctrl", "CIDR", "TOTP",
}
VISIBLE_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "data-confirm")


def visible_english(source: str) -> list[str]:
    """The English words a person would read in a template, outside translation tags."""
    text = re.sub(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", " ", source, flags=re.S)
    text = re.sub(r"\{#.*?#\}", " ", text, flags=re.S)
    text = re.sub(r"\{%\s*block (main_class|body_class)\s*%\}.*?\{%\s*endblock", " ", text, flags=re.S)  # CSS classes
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"\{%\s*blocktranslate\b.*?\{%\s*endblocktranslate\s*%\}", " ", text, flags=re.S)
    problems = []
    # Literal English passed to an include (help="…") or a filter (|default:"…", |yesno:"…").
    for tag in re.findall(r"\{%.*?%\}|\{\{.*?\}\}", text, flags=re.S):
        if tag.startswith("{%") and not re.match(r"\{%\s*include\b", tag):
            continue
        for literal in re.findall(r'(?:\b(?:help|label|previous_label|next_label|title|hint|placeholder|text)='
                                  r'|\|(?:default|default_if_none|yesno):)"([^"]*)"', tag):
            if _words(literal):
                problems.append(literal)
    text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}", " ", text, flags=re.S)
    text = re.sub(r"<(script|style|pre|code)\b.*?</\1>", " ", text, flags=re.S)
    for tag in re.findall(r"<[^>]*>", text):
        for name, value in re.findall(r'\s([\w-]+)="([^"]*)"', tag):
            if name in VISIBLE_ATTRIBUTES and _words(value):
                problems.append(f'{name}="{value}"')
    text = re.sub(r"<[^>]*>", " ", text)
    text = re.sub(r"&\w+;", " ", text)
    for line in text.splitlines():
        if _words(line):
            problems.append(line.strip())
    return problems


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[A-Za-z][A-Za-z'’]+", text) if w not in ALLOWED_WORDS]


def test_i18n_checker_finds_english():
    """The check can fail: it sees plain text, attributes and literal arguments, and lets
    translated ones through."""
    assert visible_english("<p>Hello there</p>")
    assert visible_english('<button title="Close it">×</button>')
    assert visible_english('{% include "portal/_field.html" with help="Your phone" %}')
    assert visible_english('{{ x|default:"never" }}')
    assert not visible_english("<p>{% translate 'Hello there' %}</p>")
    assert not visible_english("<p>{% blocktranslate with n=x %}Hello {{ n }}{% endblocktranslate %}</p>")
    assert not visible_english('<p class="muted small">smsportal · SMS · 1 234 {% translate "UAH" %}</p>')
    assert visible_english("<td>{{ price }} UAH</td>")  # грн in Ukrainian
    assert not visible_english('{{ x|default:_("never") }}')


@pytest.mark.parametrize("name", TRANSLATED_TEMPLATES)
def test_translated_template_has_no_visible_english(name):
    assert visible_english((TEMPLATES / name).read_text(encoding="utf-8")) == []


# ---- pages in both languages -----------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["account_login", "account_signup"])
def test_entrance_pages_in_the_browsers_language(client, url_name):
    uk = client.get(reverse(url_name), HTTP_ACCEPT_LANGUAGE="uk-UA,uk;q=0.9,en;q=0.5")
    assert uk.status_code == 200
    html = uk.content.decode()
    assert '<html lang="uk">' in html
    assert ("Увійти" if url_name == "account_login" else "Створити акаунт") in html
    assert uk["Content-Language"] == "uk"

    en = client.get(reverse(url_name), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    html = en.content.decode()
    assert '<html lang="en">' in html
    assert ("Log in" if url_name == "account_login" else "Create account") in html


@pytest.mark.django_db
def test_first_visit_without_a_preference_is_ukrainian(client):
    with override_settings(LANGUAGE_CODE="uk"):
        html = client.get(reverse("account_login")).content.decode()
    assert '<html lang="uk">' in html and "Вхід до smsportal" in html


@pytest.fixture
def rich_web(client, tariff, route):
    """Logged in as the owner of a client with 1,234.00 UAH."""
    account = make_client(name="Kvitka LLC", balance=1234)
    client.force_login(account.users.first())
    client.account = account
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("url_name, uk_text, en_text", [
    ("billing_overview", "Доступно до витрачання", "Available to spend"),
    ("sender_list", "Ваші імена відправника", "Your sender names"),
    ("account_profile", "Реквізити", "Legal details"),
    ("invoice_list", "Ваші рахунки", "Your invoices"),
    ("billing_statement", "Виписка", "Statement"),
    ("billing_prices", "Тип повідомлення", "Message type"),
    ("api_key_list", "Як користуватися API", "Using the API"),
    ("account_team", "Запросити колегу", "Invite a colleague"),
    ("message_list", "Усі статуси", "All statuses"),
    ("campaign_list", "Нова розсилка", "New campaign"),
    ("stop_list", "Додати номер", "Add a number"),
    ("consent_list", "Записати згоду", "Record a consent"),
    ("compliance_overview", "Скарги на ваші повідомлення", "Complaints about your messages"),
])
def test_portal_pages_in_ukrainian_and_english(rich_web, url_name, uk_text, en_text):
    uk = rich_web.get(reverse(url_name), HTTP_ACCEPT_LANGUAGE="uk")
    assert uk.status_code == 200
    html = uk.content.decode()
    assert '<html lang="uk">' in html
    assert uk_text in html
    assert "1\xa0234,00 грн" in html  # the header's balance
    assert "Log out" not in html and "Вийти" in html

    en = rich_web.get(reverse(url_name), HTTP_ACCEPT_LANGUAGE="en")
    html = en.content.decode()
    assert '<html lang="en">' in html
    assert en_text in html
    assert "1,234.00 UAH" in html


@pytest.mark.django_db
def test_money_text_follows_the_language():
    with translation.override("uk"):
        assert money_text(Decimal("-1234567.555")) == "-1\xa0234\xa0567,56"
        assert money_text(Decimal("0.845"), None) == "0,8450"
    with translation.override("en"):
        assert money_text(Decimal("1234.5")) == "1,234.50"


# ---- the switch ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_language_switch_remembers_a_logged_in_users_choice(rich_web):
    user = rich_web.account.users.first()
    assert user.language == ""
    response = rich_web.post(reverse("set_language"), {"language": "en", "next": reverse("billing_overview")})
    assert response.status_code == 302 and response["Location"] == reverse("billing_overview")
    user.refresh_from_db()
    assert user.language == "en"

    # The choice wins over the browser (and follows the user to another browser: no cookie here).
    rich_web.cookies.clear()
    rich_web.force_login(user)
    html = rich_web.get(reverse("billing_overview"), HTTP_ACCEPT_LANGUAGE="uk").content.decode()
    assert '<html lang="en">' in html and "Available to spend" in html

    rich_web.post(reverse("set_language"), {"language": "uk", "next": reverse("account_profile")})
    user.refresh_from_db()
    assert user.language == "uk"
    html = rich_web.get(reverse("account_profile"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="uk">' in html and 'id="language"' in html


@pytest.mark.django_db
def test_language_switch_for_a_visitor_sets_the_cookie_only(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="uk").content.decode()
    assert '<html lang="en">' in html


@pytest.mark.django_db
def test_language_switch_refuses_unknown_languages(rich_web):
    rich_web.post(reverse("set_language"), {"language": "ru", "next": "/"})
    assert rich_web.account.users.first().language == ""


# ---- system SMS in the reader's language ------------------------------------------------------

SENT: list[tuple[str, str]] = []


def record_sms(*, recipient, text):
    SENT.append((recipient, text))


@pytest.mark.django_db
@override_settings(SMSPORTAL_SYSTEM_SMS_FUNCTION="tests.smsportal.test_i18n.record_sms")
def test_verification_code_sms_in_the_users_language(rich_web):
    from accounts.adapter import AccountAdapter

    user = rich_web.account.users.first()
    SENT.clear()
    user.language = "uk"
    AccountAdapter().send_verification_code_sms(user, "+380671234567", "123456")
    user.language = "en"
    AccountAdapter().send_verification_code_sms(user, "+380671234567", "654321")
    assert SENT[0][1].startswith("smsportal: код 123456.")
    assert SENT[1][1].startswith("smsportal code: 654321.")


# ---- the API: English codes, details in the request's or the key owner's language -------------

@pytest.mark.django_db
def test_api_detail_follows_accept_language_then_the_key_owners_language(client_account):
    from rest_framework.test import APIClient

    from accounts.services import api_key_create

    owner = client_account.users.first()
    _key, raw = api_key_create(client=client_account, name="shop", created_by=owner)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    url = "/api/v1/invoices/NOPE-1/"
    english = api.get(url)
    assert english.status_code == 404
    assert english.json() == {"code": "not_found", "detail": "No invoice with this number."}

    owner.language = "uk"
    owner.save(update_fields=["language"])
    assert api.get(url).json() == {"code": "not_found", "detail": "Рахунку з таким номером немає."}
    assert api.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["detail"] == "No invoice with this number."


# ---- the catalogue ---------------------------------------------------------------------------

def _po_entries(path: Path) -> list[dict]:
    """msgid → msgstr (or the list of plural msgstr) with flags, from a .po file."""
    entries, current, key = [], None, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if current and "msgid" in current:
                entries.append(current)
            current, key = None, None
            continue
        current = current or {"flags": "", "msgstr": {}}
        if line.startswith("#,"):
            current["flags"] += line
        elif line.startswith("#"):
            continue
        elif m := re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d)\])?) (".*")$', line):
            key = m.group(1)
            value = ast.literal_eval(m.group(3))
            if key.startswith("msgstr"):
                key = ("msgstr", int(m.group(2) or 0))
                current["msgstr"][key[1]] = value
            else:
                current[key] = value
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if isinstance(key, tuple):
                current["msgstr"][key[1]] += value
            else:
                current[key] += value
    return entries


def test_ukrainian_catalogue_is_complete_and_compiled():
    entries = [e for e in _po_entries(LOCALE / "django.po") if e["msgid"]]
    assert len(entries) > 500
    assert [e["msgid"] for e in entries if "fuzzy" in e["flags"]] == []
    assert [e["msgid"] for e in entries if not all(e["msgstr"].values())] == []
    with open(LOCALE / "django.mo", "rb") as mo:
        catalog = gettext.GNUTranslations(mo)._catalog
    stale = []
    for e in entries:
        # An entry with a context (pgettext) is stored under "context\x04msgid".
        key = f"{e['msgctxt']}\x04{e['msgid']}" if "msgctxt" in e else e["msgid"]
        if "msgid_plural" in e:
            if any(catalog.get((key, i)) != s for i, s in e["msgstr"].items()):
                stale.append(e["msgid"])
        elif catalog.get(key) != e["msgstr"][0]:
            stale.append(e["msgid"])
    assert stale == [], "run `manage.py compilemessages` and commit locale/uk/LC_MESSAGES/django.mo"


def test_placeholders_survive_translation():
    for e in _po_entries(LOCALE / "django.po"):
        if not e["msgid"] or "msgid_plural" in e:
            continue
        assert sorted(re.findall(r"%\(\w+\)s", e["msgid"])) == sorted(re.findall(r"%\(\w+\)s", e["msgstr"][0])), \
            e["msgid"]
