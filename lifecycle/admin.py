"""The client admin with its block and termination actions, which stop the account in every app."""
from django.contrib import admin

from accounts.admin import ClientAdmin as AccountsClientAdmin
from accounts.models import Client

from . import services

admin.site.unregister(Client)


@admin.register(Client)
class ClientAdmin(AccountsClientAdmin):
    client_block = staticmethod(services.client_block)
    client_block_with_linked = staticmethod(services.client_block_with_linked)
    client_terminate = staticmethod(services.client_terminate)
