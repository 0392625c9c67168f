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


def user_language_get(user, default: str | None = None) -> str:
    """The language of a login's emails and system SMS: its own choice (User.language), else
    `default` (the page's language when there is one), else the website's default (Ukrainian)."""
    from django.conf import settings  # noqa: PLC0415

    language = getattr(user, "language", "") or ""
    if language in dict(settings.LANGUAGES):
        return language
    return default or settings.LANGUAGE_CODE


def client_language_get(client: Client) -> str:
    """The language of notices to a client (blocks, moderation decisions, termination): its
    first owner's."""
    owner = (User.objects.filter(client=client, role=User.Role.OWNER, is_active=True)
             .order_by("date_joined", "id").first())
    return user_language_get(owner)


def client_verified_phones(client: Client) -> set[str]:
    """The phones (E.164) the account's users verified by an SMS code (R-ACC-01)."""
    return set(client.users.filter(phone_verified=True).exclude(phone="").values_list("phone", flat=True))


def client_contact_phone(client: Client) -> str:
    """The account's contact phone: its owner's verified phone, else any user's verified one, else ""."""
    users = client.users.filter(phone_verified=True).exclude(phone="").order_by("id")
    owner = users.filter(role=User.Role.OWNER).first()
    first = owner or users.first()
    return first.phone if first else ""
