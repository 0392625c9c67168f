"""The client admin with its block and termination actions, which stop the account in every app."""
from django.contrib import admin
from django.urls import path

from accounts.admin import ClientAdmin as AccountsClientAdmin
from accounts.models import Client

from . import services
from .admin_views import spot_checks_view

admin.site.unregister(Client)


@admin.register(Client)
class ClientAdmin(AccountsClientAdmin):
    client_block = staticmethod(services.client_block)
    client_block_with_linked = staticmethod(services.client_block_with_linked)
    client_terminate = staticmethod(services.client_terminate)

    def get_urls(self):
        return [path("spot-checks/", self.admin_site.admin_view(self.spot_checks_view),
                     name="accounts_client_spot_checks")] + super().get_urls()

    def spot_checks_view(self, request):
        """R-CMP-08: a random sample of each client's recent texts, with one-click block of the
        text, its campaign or the account."""
        return spot_checks_view(request, model_admin=self)
