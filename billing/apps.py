from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self):
        from . import checks  # noqa: F401 (registers the production settings checks)
        from . import receivers  # noqa: F401 (a new client's wallet, on accounts' client_created)
