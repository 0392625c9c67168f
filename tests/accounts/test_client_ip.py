"""The client's address behind the TLS proxy (smsportal.http.client_ip): the per-IP login limit
counts each client, not the proxy; the per-login lock (R-ACC-03) stays; a forged X-Forwarded-For
is ignored unless proxies are configured; API key allow-lists (R-ACC-04) see the same address."""
import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.services import api_key_create
from smsportal.http import client_ip
from tests.factories import make_client

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"  # what every request behind the proxy has as REMOTE_ADDR
PASSWORD = "pass-word-123"  # make_client's


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def browser(forwarded_for: str | None) -> Client:
    extra = {"REMOTE_ADDR": PROXY}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return Client(**extra)


def login(browser_, email, password):
    return browser_.post(reverse("account_login"), {"login": email, "password": password})


def locked(response) -> bool:
    return response.status_code == 200 and "locked for a while" in response.content.decode()


def test_r_acc_03_behind_a_proxy_one_clients_failures_do_not_lock_out_another(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    victim = make_client(name="Victim", email="victim@example.com")
    guesser = browser("203.0.113.66")
    for i in range(19):  # 20 logins, one wrong password each: only the per-IP limit can trip
        assert not locked(login(guesser, f"nobody{i}@example.com", "wrong"))
    assert locked(login(guesser, "nobody19@example.com", "wrong"))  # said at the 20th
    assert locked(login(guesser, "victim@example.com", PASSWORD))  # the guesser's address is locked
    r = login(browser("198.51.100.7"), victim.users.first().email, PASSWORD)  # another client, same proxy
    assert r.status_code == 302


def test_r_acc_03_behind_a_proxy_three_wrong_passwords_lock_the_login_from_any_address(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    victim = make_client(name="Victim", email="victim@example.com")
    for i in range(3):  # a guesser changing address each time
        login(browser(f"203.0.113.{i + 1}"), "victim@example.com", "wrong")
    assert locked(login(browser("198.51.100.7"), victim.users.first().email, PASSWORD))


def test_r_acc_03_without_trusted_proxies_a_forged_forwarded_for_is_ignored(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    make_client(name="Victim", email="victim@example.com")
    for i in range(20):  # a new forged address each time: all are counted as REMOTE_ADDR's
        login(browser(f"203.0.113.{i + 1}"), f"nobody{i}@example.com", "wrong")
    assert locked(login(browser("198.51.100.99"), "victim@example.com", PASSWORD))


def test_r_acc_04_allow_list_sees_the_client_behind_the_proxy(settings):
    client = make_client(balance=1)
    _, raw = api_key_create(client=client, name="shop", allowed_ips="203.0.113.7")

    def balance(forwarded_for, remote=PROXY):
        api = APIClient(REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded_for)
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return api.get("/api/v1/balance/")

    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    assert balance("203.0.113.7").status_code == 200
    # The client cannot prepend its way in: only the proxy's own entry (the last) counts.
    r = balance("203.0.113.7, 198.51.100.1")
    assert r.status_code == 403 and r.json()["code"] == "ip_not_allowed"
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0  # no proxy: the header is the client's word only
    r = balance("203.0.113.7", remote="198.51.100.1")
    assert r.status_code == 403 and "198.51.100.1" in r.json()["detail"]


@pytest.mark.parametrize("count,header,meta,expected", [
    (0, None, {"HTTP_X_FORWARDED_FOR": "1.1.1.1"}, "10.0.0.2"),
    (1, None, {"HTTP_X_FORWARDED_FOR": "1.1.1.1"}, "1.1.1.1"),
    (1, None, {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 1.1.1.1"}, "1.1.1.1"),
    (2, None, {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 1.1.1.1, 10.0.0.9"}, "1.1.1.1"),
    (2, None, {"HTTP_X_FORWARDED_FOR": "1.1.1.1"}, "1.1.1.1"),  # came past the outer proxy
    (1, None, {}, "10.0.0.2"),  # straight to the server
    (1, None, {"HTTP_X_FORWARDED_FOR": "not-an-ip"}, "10.0.0.2"),
    (1, None, {"HTTP_X_FORWARDED_FOR": "[2001:db8::1]:443"}, "2001:db8::1"),
    (1, None, {"HTTP_X_FORWARDED_FOR": "1.1.1.1:5555"}, "1.1.1.1"),
    (0, "X-Real-IP", {"HTTP_X_REAL_IP": "1.1.1.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6"}, "1.1.1.1"),
    (0, "X-Real-IP", {}, "10.0.0.2"),
])
def test_client_ip_resolution(settings, count, header, meta, expected):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = count
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = header
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", **meta)
    assert client_ip(request) == expected
