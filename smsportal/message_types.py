"""What a text is, for its price (R-BILL-07) and its rules (R-CMP-11: advertising needs a signed
contract): one list for the whole platform. Tariffs also price Viber chat sessions, a type a
client never chooses for a text."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageType(models.TextChoices):
    """The type a client gives a text (API `type`, the send and campaign forms)."""

    SERVICE = "service", _("Service (transactional)")
    ADVERTISING = "advertising", _("Advertising")


class TariffMessageType(models.TextChoices):
    """The types a tariff line prices: every `MessageType`, and Viber chat sessions."""

    SERVICE = MessageType.SERVICE.value, MessageType.SERVICE.label
    ADVERTISING = MessageType.ADVERTISING.value, MessageType.ADVERTISING.label
    SESSION = "session", _("Chat session (Viber)")
