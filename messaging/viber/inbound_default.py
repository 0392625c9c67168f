"""A recipient's Viber messages as the provider reports them, stored when no chat-session module
(``messaging.viber.sessions.inbound_apply``) handles them: each once, by the provider's id, with
the client whose sender it was written to."""
from __future__ import annotations

from ..models import Message, ViberDetail, ViberInbound


def inbound_store(events) -> int:
    """Stores the inbound events not stored yet; returns how many were new."""
    new = 0
    for event in events:
        reply_to = None
        client_id = None
        if event.reply_to:
            detail = ViberDetail.objects.filter(provider_message_id=event.reply_to).select_related("message").first()
            if detail is not None:
                reply_to, client_id = detail.message, detail.message.client_id
        if client_id is None:
            last = (Message.objects.filter(channel="viber", recipient=event.phone, sender=event.sender)
                    .order_by("-id").only("client_id").first())
            client_id = last.client_id if last else None
        _obj, created = ViberInbound.objects.get_or_create(
            provider_message_id=event.provider_id,
            defaults={"client_id": client_id, "sender": event.sender[:20], "phone": event.phone[:20],
                      "text": event.text, "media_url": event.media_url[:500], "reply_to": reply_to,
                      "received_at": event.at})
        new += created
    return new


def inbound_apply(events) -> int:
    """The inbound events to the chat sessions when that module exists, else stored here."""
    try:
        from .sessions import inbound_apply as sessions_inbound_apply  # noqa: PLC0415
    except ImportError:
        return inbound_store(events)
    return sessions_inbound_apply(events)
