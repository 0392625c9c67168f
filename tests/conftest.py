import pytest
from django.utils import translation
from rest_framework.test import APIClient

from accounts.services import api_key_create
from billing.selectors import holds_overdrawn, wallets_out_of_balance
from tests.factories import RouteFactory, SenderNameFactory, TariffFactory, make_client


@pytest.fixture
def tariff(db):
    return TariffFactory()


@pytest.fixture
def route(db):
    return RouteFactory()


@pytest.fixture
def client_account(db, tariff, route):
    """A client with 100 UAH, an approved sender 'TestShop' and a route; the usual sender. Its
    service messages go round the clock (R-CMP-07), as the demo client's: tests pass at any hour."""
    client = make_client(name="Acme LLC", balance=100, round_the_clock=True)
    SenderNameFactory(client=client, name="TestShop", approved=True)
    return client


@pytest.fixture
def api(client_account):
    """An API client authenticated with a fresh key of `client_account`."""
    _key, raw = api_key_create(client=client_account, name="tests")
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    c.account = client_account
    return c


@pytest.fixture
def web(client, client_account):
    """Django's test client logged in as the owner of `client_account`."""
    client.force_login(client_account.users.first())
    client.account = client_account
    return client


@pytest.fixture(autouse=True)
def ledger_sums_to_balance(request):
    """After every database test, the billing invariants hold: each wallet's cached balance, bonus
    and held amount equal the sums of its ledger entries (and its last entry's balance_after),
    and no hold was captured or released beyond what it reserved."""
    marker = request.node.get_closest_marker("django_db")
    uses_db = marker is not None or {"db", "transactional_db"} & set(request.fixturenames)
    if uses_db:
        # Set the database up first so this check runs before it is torn down.
        transactional = "transactional_db" in request.fixturenames or (
            marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
        request.getfixturevalue("transactional_db" if transactional else "db")
    yield
    if uses_db:
        assert wallets_out_of_balance() == []
        assert holds_overdrawn() == []


@pytest.fixture(autouse=True)
def _language_back_to_default():
    """A request in Ukrainian (Accept-Language, a key owner's language) activates it for the
    thread that served it, which is the test's own with the test client: the next test starts
    in the settings' language again."""
    yield
    translation.deactivate()
