"""Reads of the accounts app."""
from django.db.models import Q

from .models import Client, ClientBlock, User


def clients_linked_to(client: Client) -> list[Client]:
    """Other accounts sharing a primary phone or a legal-entity code with `client` (R-ACC-02)."""
    phones = set(User.objects.filter(client=client).exclude(phone="").values_list("phone", flat=True))
    q = Q(users__phone__in=phones) if phones else Q()
    if client.tax_code:
        q |= Q(tax_code=client.tax_code)
    if not q:
        return []
    return list(Client.objects.filter(q).exclude(pk=client.pk).exclude(is_system=True).distinct().order_by("name"))


def client_open_block(client: Client) -> ClientBlock | None:
    return ClientBlock.objects.filter(client=client, lifted_at__isnull=True).order_by("-blocked_at").first()


def team_for_client(client: Client):
    return User.objects.filter(client=client).order_by("-is_active", "role", "email")


def user_get(*, email: str) -> User | None:
    """The login with this email (any case), with its client."""
    return User.objects.filter(email__iexact=(email or "").strip()).select_related("client").first()
