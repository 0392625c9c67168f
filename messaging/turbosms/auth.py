"""The facade's credentials: the same API keys as /api/v1/, carried the four ways TurboSMS
clients carry a token: `?token=`, a `token` form field (or JSON body field), `Authorization:
Bearer <token>`, and `Authorization: Basic <token>` (the raw token; a base64 `user:password` whose
either half is the key is accepted too)."""
import base64
import binascii

from rest_framework import authentication, exceptions

from accounts.api.authentication import ApiKeyAuthentication


def _basic_token(value: str) -> str:
    """The key in a Basic credential: the raw token as TurboSMS documents it, else base64 of
    `user:password` with the key in either half."""
    if value.startswith("sp_"):
        return value
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeError, ValueError):
        return value
    return next((part for part in decoded.split(":", 1) if part.startswith("sp_")), value)


class TurboSmsTokenAuthentication(ApiKeyAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        raw = None
        if header:
            if len(header) != 2 or header[0].lower() not in (b"bearer", b"basic"):
                raise exceptions.AuthenticationFailed("Use 'Bearer <token>' or 'Basic <token>'.")
            try:
                raw = header[1].decode()
            except UnicodeError:
                raise exceptions.AuthenticationFailed("The token has invalid characters.") from None
            if header[0].lower() == b"basic":
                raw = _basic_token(raw)
        if raw is None:
            raw = request.query_params.get("token")
        if raw is None and request.method == "POST":
            data = request.data
            raw = data.get("token") if isinstance(data, dict) else None
        if raw in (None, ""):
            return None
        if not isinstance(raw, str):
            raise exceptions.AuthenticationFailed("The token is a string.")
        return self.authenticate_key(request, raw)

    def authenticate_header(self, request):
        return None
