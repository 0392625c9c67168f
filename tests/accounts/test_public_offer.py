"""Sign-up needs the public offer (terms of service) accepted; its version and the time are recorded
on the client and in the audit log. The offer is a public page at /offer/, linked from sign-up."""
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from accounts.models import AuditEvent, Client, User

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-Pass-2026"


@pytest.fixture(autouse=True)
def fresh_cache(route):
    cache.clear()
    yield


def signup(client, **extra):
    data = {"company": "Kvitka LLC", "tax_code": "14360570", "email": "owner@kvitka.example",
            "phone": "067 111 22 33", "password1": PASSWORD, "password2": PASSWORD, **extra}
    return client.post(reverse("account_signup"), data)


def test_offer_page_is_public_and_names_the_main_terms(client, settings):
    settings.SMSPORTAL_OFFER_VERSION = "2026-12-01"
    r = client.get("/offer/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "2026-12-01" in html
    for term in ("Prepayment", "Send only to people who agreed", "09:00–20:00", "6 months", "one year",
                 "end the contract"):
        assert term in html, term


def test_offer_page_in_ukrainian(client):
    r = client.get("/offer/", HTTP_ACCEPT_LANGUAGE="uk")
    assert r.status_code == 200
    assert 'lang="uk"' in r.content.decode()


def test_signup_page_links_the_offer_and_asks_to_accept_it(client):
    html = client.get(reverse("account_signup")).content.decode()
    assert 'name="accept_offer"' in html
    assert f'href="{reverse("public_offer")}"' in html


def test_signup_without_accepting_the_offer_is_refused(client):
    r = signup(client)
    assert r.status_code == 200
    assert "accept_offer" in r.context["form"].errors
    assert "accept the public offer" in r.content.decode()
    assert not User.objects.filter(email="owner@kvitka.example").exists()
    assert not Client.objects.filter(name="Kvitka LLC").exists()


def test_signup_records_the_offer_version_and_time(client, settings):
    settings.SMSPORTAL_OFFER_VERSION = "2026-12-01"
    moment = datetime(2026, 12, 5, 10, 30, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        r = signup(client, accept_offer="on")
    assert r.status_code == 302, r.context["form"].errors if r.context else r
    account = Client.objects.get(name="Kvitka LLC")
    assert account.offer_version == "2026-12-01"
    assert account.offer_accepted_at == moment
    event = AuditEvent.objects.get(code="accounts.offer.accepted", client=account)
    assert event.target == "2026-12-01"
    assert event.actor == User.objects.get(email="owner@kvitka.example")
    assert event.details["version"] == "2026-12-01"
