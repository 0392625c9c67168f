from accounts.models import Client

from .models import SenderName


def approved_sender_get(*, client: Client, name: str) -> SenderName | None:
    """The client's approved sender with this exact name, or None (only approved names send)."""
    return SenderName.objects.filter(client=client, name=name, status=SenderName.Status.APPROVED).first()


def sender_names_for_client(*, client: Client):
    return SenderName.objects.filter(client=client).order_by("name")
