"""R-ACC-08: a year after termination personal data and recipient lists are destroyed everywhere
they were copied to (ledger texts, raw receipts, the audit trail), and the ledger's sums stay."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import AuditEvent
from billing.models import LedgerEntry
from lifecycle.services import client_personal_data_destroy, client_terminate, clients_destroy_personal_data
from messaging.models import Campaign, Message, MessagePart, ReceiptInbox

pytestmark = pytest.mark.django_db
KYIV = ZoneInfo("Europe/Kyiv")


def test_r_acc_08_copies_of_personal_data_are_destroyed_too(api, client_account):
    owner = client_account.users.get()
    owner.phone, owner.phone_verified = "+380671112233", True
    owner.save()
    r = api.post("/api/v1/campaigns/", {"sender": "TestShop", "text": "Hi Olena", "name": "Olena Petrenko VIP",
                                        "recipients": ["+380501112233"]}, format="json")
    assert r.status_code in (200, 201, 202), r.content
    campaign = Campaign.objects.get(client=client_account)
    api.post("/api/v1/messages/", {"sender": "TestShop", "recipients": ["+380671234567"], "text": "Secret"},
             format="json")
    message = Message.objects.filter(client=client_account).first()
    part = MessagePart.objects.create(message=message, seq=1, route=message.route, smsc_message_id="abc1",
                                      status="submitted")
    ReceiptInbox.objects.create(route=part.route, smsc_message_id="abc1", stat="DELIVRD",
                                raw="id:abc1 sub:001 dlvrd:001 stat:DELIVRD text:Secret")
    AuditEvent.objects.create(client=client_account, code="test.event", target=owner.email,
                              details={"note": f"called {owner.phone}", "amount": 5})
    LedgerEntry.objects.filter(wallet__client=client_account)  # noqa: B018 (the ledger before)
    ledger_sum = sum(e.amount.amount for e in LedgerEntry.objects.filter(wallet__client=client_account))
    with time_machine.travel(datetime(2026, 3, 1, tzinfo=KYIV)):
        client_terminate(client=client_account, reason="Contract ended")
    with time_machine.travel(datetime(2027, 3, 2, tzinfo=KYIV)):
        assert clients_destroy_personal_data() == 1
    texts = list(LedgerEntry.objects.filter(wallet__client=client_account).values_list("description", flat=True))
    assert not any("Olena" in t for t in texts)
    assert any(t.startswith(f"Campaign {campaign.public_id}") for t in texts)
    assert sum(e.amount.amount for e in LedgerEntry.objects.filter(wallet__client=client_account)) == ledger_sum
    assert ReceiptInbox.objects.get(smsc_message_id="abc1").raw == ""
    event = AuditEvent.objects.get(code="test.event")
    assert event.target == "[deleted]" and event.details == {"note": "called [deleted]", "amount": 5}
    assert not AuditEvent.objects.filter(client=client_account, target__contains="@example.com").exists()
    assert Campaign.objects.get(pk=campaign.pk).name == ""


def test_r_acc_08_destroying_twice_changes_nothing(client_account):
    client_terminate(client=client_account, reason="x")
    client_personal_data_destroy(client=client_account)
    counts = client_personal_data_destroy(client=client_account)
    assert counts["messages"] == 0 and counts["receipts"] == 0
