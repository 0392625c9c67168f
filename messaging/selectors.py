from accounts.models import Client

from .models import Message


def message_get(*, client: Client, public_id) -> Message | None:
    """The client's message with this id; another client's message is as good as absent."""
    return Message.objects.filter(client=client, public_id=public_id).first()


def messages_for_client(*, client: Client, status: str | None = None):
    qs = Message.objects.filter(client=client).order_by("-created_at", "-id")
    if status:
        qs = qs.filter(status=status)
    return qs
