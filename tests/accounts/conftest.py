import pytest


@pytest.fixture
def staff_browser(db):
    """A separate browser logged in as a superuser (so tests can use `web` alongside)."""
    from django.test import Client

    from tests.factories import UserFactory

    user = UserFactory(is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(user)
    browser.user = user
    return browser
