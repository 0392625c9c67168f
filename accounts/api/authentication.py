"""`Authorization: Bearer <api key>` for the integrator API."""
from dataclasses import dataclass

from django.utils import translation
from rest_framework import authentication, exceptions

from accounts.models import ApiKey, Client
from accounts.selectors import user_language_get
from accounts.services import api_key_authenticate
from smsportal.http import client_ip


@dataclass
class ApiPrincipal:
    """What `request.user` is for an API call: the client behind the key."""

    client: Client
    api_key: ApiKey
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_staff: bool = False

    @property
    def pk(self):
        return None

    def __str__(self):
        return f"api:{self.api_key.prefix}"


def _language_activate(request, key: ApiKey) -> None:
    """The API's codes and field names stay English; its `detail` texts follow the request's
    Accept-Language (LocaleMiddleware), else the language of the login that created the key
    (selected with the key: no extra query), else the website's default."""
    if request.META.get("HTTP_ACCEPT_LANGUAGE"):
        return
    language = user_language_get(key.created_by)
    translation.activate(language)
    request.LANGUAGE_CODE = language


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: use 'Bearer <api key>'.")
        try:
            raw = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("The API key has invalid characters.") from None
        return self.authenticate_key(request, raw)

    def authenticate_key(self, request, raw: str):
        """The principal of the API key `raw`, however the request carried it (the TurboSMS
        facade, messaging.turbosms, also takes it from `?token=` and `Authorization: Basic`)."""
        # R-ACC-04: a key with an IP allow-list refuses other addresses (403 ip_not_allowed).
        key = api_key_authenticate(raw, ip=client_ip(request))
        if key is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
        _language_activate(request, key)
        return ApiPrincipal(client=key.client, api_key=key), key

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'
