"""OpenAPI description of the Bearer API-key authentication (imported by AccountsConfig.ready)."""
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "sp_<prefix>_<secret>",
                "description": "An API key created on the website (API keys page)."}
