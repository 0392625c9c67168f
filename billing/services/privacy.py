"""The one change billing ever makes to written ledger rows: forgetting a terminated client's
personal data (R-ACC-08).

The ledger is append-only: amounts, kinds, references, wallets and dates of an entry never
change, and no entry is ever deleted. An entry's `description` is a label for people and may quote
what the client named (a campaign's name, e.g. "Campaign Spring sale: 120 SMS"). When the client's
personal data is destroyed, those quotes are replaced by the campaign's id here, by billing and
nowhere else, and the change is audited (`billing.ledger.personal_data_destroyed`, with how many
entries changed). Nothing else of the entry is touched.
"""
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Replace

from accounts.models import Client
from accounts.services import audit_record

from ..models import LedgerEntry


def ledger_personal_data_destroy(*, client: Client, labels: dict[str, str]) -> int:
    """Replaces `Campaign <name>` by `Campaign <id>` in the descriptions of the client's entries,
    for each `labels` {name: id}. Returns how many entry descriptions changed."""
    changed = 0
    with transaction.atomic():
        for name, label in labels.items():
            changed += LedgerEntry.objects.filter(
                wallet__client=client, description__contains=f"Campaign {name}").update(
                description=Replace("description", Value(f"Campaign {name}"), Value(f"Campaign {label}")))
        audit_record(code="billing.ledger.personal_data_destroyed", client=client, target=str(client.public_id),
                     details={"descriptions": changed, "fields": ["description"]})
    return changed
