from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Clients and users"

    def ready(self):
        from . import mfa, receivers  # noqa: F401 (the staff-MFA login signal, password notices)
        from .api import schema  # noqa: F401 (registers the OpenAPI auth extension)
        from smsportal import checks  # noqa: F401 (the production static files checks)
