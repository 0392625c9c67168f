from dataclasses import dataclass

from accounts.models import Client
from smsportal.cache import VersionedCache, Versions
from smsportal.message_types import MessageType

from .models import OptOut


def opted_out_phones(*, client: Client) -> set[str]:
    """Phones that asked this client to stop (R-CMP-05): nothing more goes to them."""
    return set(OptOut.objects.filter(client=client).values_list("phone", flat=True))


_OPTED_OUT = VersionedCache(maxsize=1024)


def opted_out_phones_cached(*, client: Client, versions: Versions | None = None) -> frozenset[str]:
    """`opted_out_phones` from the process's cache: loaded again when the client's "optouts"
    counter moved (any opt-out of the client added, changed or removed; smsportal.cache)."""
    versions = versions or Versions(client.pk)
    return _OPTED_OUT.get(versions.key("optouts", per_client=True),
                          lambda: frozenset(opted_out_phones(client=client)))


def opted_out_sql(*, client: str, phone: str) -> str:
    """An SQL condition, true when the phone in column `phone` is on the stop list of the client
    in column `client` (R-CMP-05): for the set-based statements that check the stop list again
    when a message leaves for its connector. One probe of the (client, phone) unique index per
    row: a scalar subquery (at most one row, by that index), never an EXISTS, which PostgreSQL
    may run as a hash of the whole table, read again by every statement."""
    return (f"coalesce((SELECT true FROM {OptOut._meta.db_table} AS stop "
            f"WHERE stop.client_id = {client} AND stop.phone = {phone}), false)")


@dataclass(frozen=True)
class RecipientGate:
    """Which recipients of one send may not receive it, and why (R-CMP-05, 06): built once per
    send from the process's caches, asked once per recipient. `refusal(phone)` is None for a
    recipient who may receive it, else (reason code, client-facing detail), e.g.
    ("opted_out", "the recipient opted out (STOP)")."""

    opted_out: frozenset[str]

    def refusal(self, phone: str) -> tuple[str, str] | None:
        if phone in self.opted_out:
            return ("opted_out", "the recipient opted out (STOP)")
        return None


def recipient_gate(*, client: Client, message_type: str = MessageType.SERVICE, channel: str = "sms",
                   versions: Versions | None = None) -> RecipientGate:
    """The gate of one send of `client` (its stop list; the global stop list and consent where
    they apply), for `message_type` on `channel` ("sms" or "viber")."""
    return RecipientGate(opted_out=opted_out_phones_cached(client=client, versions=versions))
