"""billing's answers to what accounts announces (accounts sits below billing and never imports it)."""
from django.dispatch import receiver

from accounts.signals import client_created

from .services import wallet_open


@receiver(client_created, dispatch_uid="billing.wallet_open")
def _wallet_open(sender, *, client, **kwargs) -> None:
    """A new client gets its wallet (and the registration bonus, R-BILL-05) in the same transaction."""
    wallet_open(client=client)
