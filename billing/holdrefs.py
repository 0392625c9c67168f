"""What other apps tell billing about the money a send reserved, in billing's own terms.

A send reserves its price at accept: one hold per request or per campaign (`HoldRef`). As the
things it paid for (messages, in messaging's words; items here) move on, their app reports each
one's `Outcome` (`SettleItem`), and billing alone decides what that means for the money: capture,
release, refund or nothing (`billing.services.hold_settle`). No other app composes a hold's key,
parses one back, or reads the ledger to find out what a hold still reserves.
"""
from django.utils.translation import gettext
import uuid
from dataclasses import dataclass
from decimal import Decimal


class Outcome:
    """What happened to one paid item."""

    REACHED_OPERATOR = "reached_operator"  # the operator took it (paid: captured)
    NOT_SENT = "not_sent"  # the operator never took it (refused, failed, cancelled): all money back
    DELIVERED = "delivered"  # final: delivered to the recipient
    NOT_DELIVERED = "not_delivered"  # final: the operator took it, the recipient never got it

    ALL = frozenset({REACHED_OPERATOR, NOT_SENT, DELIVERED, NOT_DELIVERED})
    FINAL = frozenset({NOT_SENT, DELIVERED, NOT_DELIVERED})


@dataclass(frozen=True, slots=True)
class HoldRef:
    """The hold that pays for a send: `kind` "send" (one API or website request, `id` its batch id)
    or "campaign" (`id` the campaign's public id)."""

    kind: str
    id: uuid.UUID

    KINDS = ("send", "campaign")

    def __post_init__(self):
        if self.kind not in self.KINDS:
            raise ValueError(gettext("A hold pays for a send or a campaign, not '%(kind)s'.") % {"kind": self.kind})
        if not isinstance(self.id, uuid.UUID):
            object.__setattr__(self, "id", uuid.UUID(str(self.id)))

    @property
    def key(self) -> str:
        """The hold's idempotency key in the ledger (billing's own business)."""
        return f"{self.kind}:{self.id}"

    @classmethod
    def from_key(cls, key: str) -> "HoldRef | None":
        """The reference of a hold key, or None for a hold that pays for no send."""
        kind, _, ref = key.partition(":")
        if kind not in cls.KINDS:
            return None
        try:
            return cls(kind, uuid.UUID(ref))
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class SettleItem:
    """One paid item whose outcome moves money: `amount` is its share of the hold `reference` of
    client `client_id`. `earlier`: the outcome reported for it before (None: its money is still
    only held). `domestic`: it went to a Ukrainian number (R-BILL-06). `label`: the word the
    client's statement uses for the outcome ("undelivered", "expired")."""

    item_id: int
    client_id: int
    reference: HoldRef
    amount: Decimal
    outcome: str
    earlier: str | None = None
    domestic: bool = False
    label: str = ""


@dataclass(frozen=True, slots=True)
class OpenHold:
    """A send's hold that still reserves `rest`."""

    client_id: int
    reference: HoldRef
    rest: Decimal
