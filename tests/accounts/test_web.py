"""The website's account pages: API keys and the allauth pages (sign-up with company, login, logout)."""
import pytest
from django.urls import reverse

from accounts.models import ApiKey, User
from accounts.services import api_key_authenticate, api_key_create
from accounts.views import NEW_KEY_SESSION
from tests.factories import make_client

# --- API keys -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_keys_require_login(client):
    response = client.get(reverse("api_key_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
def test_create_key_shows_raw_key_once(web):
    response = web.post(reverse("api_key_list"), {"name": "Shop backend"})
    assert response.status_code == 302
    key = ApiKey.objects.get(client=web.account)
    assert key.name == "Shop backend"

    page = web.get(reverse("api_key_list"))
    raw = page.context["new_key"]["raw"]
    html = page.content.decode()
    assert raw in html
    assert "won’t be shown again" in html
    assert f'curl -H "Authorization: Bearer {raw}" http://testserver/api/v1/balance/' in html
    assert api_key_authenticate(raw).pk == key.pk  # the shown key is the real one
    assert NEW_KEY_SESSION not in web.session

    again = web.get(reverse("api_key_list")).content.decode()
    assert raw not in again
    assert f"sp_{key.prefix}_…" in again


@pytest.mark.django_db
def test_create_key_without_name_is_a_form_error(web):
    response = web.post(reverse("api_key_list"), {"name": "  "})
    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    assert not ApiKey.objects.exists()


@pytest.mark.django_db
def test_revoke_key(web):
    key, raw = api_key_create(client=web.account, name="old")
    response = web.post(reverse("api_key_revoke", args=[key.prefix]), follow=True)
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert api_key_authenticate(raw) is None
    html = response.content.decode()
    assert "revoked" in html and "Revoked" in html


@pytest.mark.django_db
def test_revoke_needs_post(web):
    key, _raw = api_key_create(client=web.account, name="old")
    assert web.get(reverse("api_key_revoke", args=[key.prefix])).status_code == 405
    key.refresh_from_db()
    assert key.revoked_at is None


@pytest.mark.django_db
def test_cannot_see_or_revoke_another_clients_key(web):
    other = make_client(name="Other LLC")
    key, _raw = api_key_create(client=other, name="theirs")
    html = web.get(reverse("api_key_list")).content.decode()
    assert key.prefix not in html and "theirs" not in html
    assert web.post(reverse("api_key_revoke", args=[key.prefix])).status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None


# --- layout ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_layout_shows_company_balance_nav_and_post_logout(web):
    html = web.get(reverse("dashboard")).content.decode()
    assert "smsportal" in html and "Acme LLC" in html and "100.00 UAH" in html
    for label in ("Dashboard", "Send", "Inbox", "Messages", "API keys"):
        assert label in html
    assert f'method="post" action="{reverse("account_logout")}"' in html


@pytest.mark.django_db
def test_logout_by_post(web):
    response = web.post(reverse("account_logout"))
    assert response.status_code == 302
    assert web.get(reverse("dashboard")).status_code == 302


# --- allauth pages --------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("name", ["account_login", "account_signup", "account_reset_password"])
def test_entrance_pages_use_the_site_layout(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert "css/app.css" in html and 'class="topbar"' in html and "page entrance" in html


@pytest.mark.django_db
def test_signup_form_asks_for_company(client):
    html = client.get(reverse("account_signup")).content.decode()
    assert 'name="company"' in html and "Company name" in html


@pytest.mark.django_db
def test_signup_without_company_is_an_inline_error(client):
    response = client.post(reverse("account_signup"), {
        "company": "", "email": "x@kvitka.example", "password1": "a-long-Pass-2026", "password2": "a-long-Pass-2026",
        "phone": "0671112233", "tax_code": "14360570",
    })
    assert response.status_code == 200
    assert "company" in response.context["form"].errors
    assert 'class="error"' in response.content.decode()
    assert not User.objects.filter(email="x@kvitka.example").exists()


@pytest.mark.django_db
def test_login_with_verified_email_lands_on_dashboard(client, client_account):
    user = client_account.users.first()
    response = client.post(reverse("account_login"), {"login": user.email, "password": "pass-word-123"})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200


@pytest.mark.django_db
def test_wrong_password_is_a_form_error(client, client_account):
    user = client_account.users.first()
    response = client.post(reverse("account_login"), {"login": user.email, "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert 'class="form-errors"' in response.content.decode()
