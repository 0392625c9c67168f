"""Reads of the senders app (other apps call these, never the models directly)."""
from dataclasses import dataclass

from django.db.models import Q

from accounts.models import Client
from smsportal.cache import VersionedCache, Versions

from .models import Channel, NationalRegistration, SenderName


def approved_sender_get(*, client: Client, name: str, channel: str = Channel.SMS) -> SenderName | None:
    """The client's approved sender with this exact name, or None (only approved names send)."""
    return SenderName.objects.filter(client=client, name=name, channel=channel,
                                     status=SenderName.Status.APPROVED).first()


_SENDERS = VersionedCache(maxsize=4096)


@dataclass(frozen=True)
class SenderRights:
    """A client's approved SMS names and which of them are national with which operator, as
    `approved_sender_get` and `sender_class` answer them, loaded once per change of the client's
    names or registrations (its "senders" counter, smsportal.cache)."""

    approved: frozenset[str]
    national: frozenset[tuple[str, str]]  # (name, operator)

    def sender_class(self, name: str, operator: str | None = None) -> str:
        if operator:
            return "national" if (name, operator) in self.national else "international"
        return "national" if any(n == name for n, _ in self.national) else "international"


def sender_rights(*, client: Client, versions: Versions | None = None) -> SenderRights:
    versions = versions or Versions(client.pk)

    def load():
        approved = SenderName.objects.filter(client=client, channel=Channel.SMS, status=SenderName.Status.APPROVED)
        return SenderRights(approved=frozenset(approved.values_list("name", flat=True)),
                            national=frozenset(_national_registrations(client).values_list("sender__name", "operator")))

    return _SENDERS.get(versions.key("senders", per_client=True), load)


def sender_names_for_client(*, client: Client, channel: str | None = None):
    qs = SenderName.objects.filter(client=client)
    if channel:
        qs = qs.filter(channel=channel)
    return qs.order_by("name")


def sender_get(*, client: Client, public_id) -> SenderName | None:
    return SenderName.objects.filter(client=client, public_id=public_id).prefetch_related("registrations").first()


def sender_class(client: Client, name: str, operator: str | None = None) -> str:
    """'national' or 'international' for pricing an SMS from `name` (R-SND-05, R-BILL-07).

    National only when the client's approved SMS name was accepted as national by the operator
    (any operator when `operator` is None) and staff do not keep it international. Everything
    else, including a name the client does not own, is international."""
    qs = _national_registrations(client).filter(sender__name=name)
    if operator:
        qs = qs.filter(operator=operator)
    return "national" if qs.exists() else "international"


def _national_registrations(client: Client):
    return NationalRegistration.objects.filter(
        sender__client=client, sender__channel=Channel.SMS, sender__status=SenderName.Status.APPROVED,
        sender__international_reason="", status=NationalRegistration.Status.NATIONAL)


def national_sender_names(*, client: Client) -> frozenset[str]:
    """The client's SMS names whose `sender_class` (any operator) is national, in one query: for
    lists of names, instead of one sender_class call per name."""
    return frozenset(_national_registrations(client).values_list("sender__name", flat=True))


def viber_sender_allowed(*, client: Client, name: str, is_test: bool = False) -> bool:
    """May the client send a Viber message from `name` (R-SND-07)? Its own approved Viber name;
    or the provider's shared sender for test messages and until the client's own is registered."""
    from .services import viber_shared_sender  # noqa: PLC0415

    own = SenderName.objects.filter(client=client, channel=Channel.VIBER, status=SenderName.Status.APPROVED)
    if name.lower() == viber_shared_sender().lower():
        return is_test or not own.exists()
    return own.filter(name=name).exists()


def approved_names(senders) -> list[str]:
    """The names of the approved sender names among `senders` (in their order)."""
    return [s.name for s in senders if s.status == SenderName.Status.APPROVED]


def sender_name_owners(destinations) -> dict[str, int]:
    """Upper-cased sender name → client id of the names inbound messages were sent to (a number
    sender also with and without its '+')."""
    wanted = {d.strip().upper() for d in destinations if d and d.strip()}
    if not wanted:
        return {}
    q = Q()
    for name in wanted:
        q |= Q(name__iexact=name)
        if _is_number(name):  # a number sender: the SMSC writes it with or without the '+'
            q |= Q(name=name.lstrip("+")) | Q(name="+" + name.lstrip("+"))
    # names are unique whatever the letter case (senders' constraint): one owner per name
    owners = {}
    for name, client_id in SenderName.objects.filter(q).values_list("name", "client_id"):
        owners[name.upper()] = client_id
        if _is_number(name):
            owners[name.lstrip("+")] = owners["+" + name.lstrip("+")] = client_id
    return owners


def _is_number(name: str) -> bool:
    digits = name[1:] if name.startswith("+") else name
    return digits.isdigit() and digits.isascii()


def viber_sender_owner(name: str) -> int | None:
    """The client id owning the approved Viber sender name `name` (any letter case), or None
    (the shared sender, a rejected or unknown name): whose chat a recipient's Viber message is."""
    name = (name or "").strip()
    if not name:
        return None
    return (SenderName.objects.filter(channel=Channel.VIBER, status=SenderName.Status.APPROVED, name__iexact=name)
            .values_list("client_id", flat=True).first())


def sender_names_waiting_count() -> int:
    """Sender name requests waiting for a staff decision — pending, or a Viber name submitted to
    Viber that staff approve once Viber registers it — as the queue's default view lists them:
    the admin index's counter."""
    return SenderName.objects.filter(status__in=(SenderName.Status.PENDING, SenderName.Status.SUBMITTED)).count()
