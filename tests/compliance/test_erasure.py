"""Erasure of one recipient's personal data at the client's request (R-CMP-05, R-CMP-13): contacts
and consents deleted, message history anonymized with its amounts kept, what has not gone out
refused and its hold released, the number kept on the stop list; audited; other recipients and
other clients untouched."""
import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from billing.models import Wallet
from compliance.models import Consent, OptOut
from compliance.selectors import recipient_gate
from compliance.services import consent_record, opt_out_record
from messaging.models import Contact, InboundMessage, Message, MessagePart, WebhookEvent
from messaging.services import contact_add, contact_group_create, message_send, messages_transition
from messaging.services.erasure import ERASED_TEXT, phone_mask, recipient_erase
from messaging.services.webhooks import webhook_endpoint_set
from messaging.status import Status
from tests.factories import SenderNameFactory, make_client

pytestmark = pytest.mark.django_db
PHONE = "+380671234567"
OTHER = "+380501234567"
MASK = "+380*******67"


def _delivered(route, message):
    messages_transition(ids=[message.pk], new=Status.SUBMITTING)
    MessagePart.objects.create(message=message, seq=1, route=route, status=Status.SUBMITTED,
                               smsc_message_id=f"x{message.pk}", submitted_at=timezone.now())
    messages_transition(ids=[message.pk], new=Status.SUBMITTED)
    messages_transition(ids=[message.pk], new=Status.DELIVERED)


def _setup(client, route):
    webhook_endpoint_set(client=client, url="http://127.0.0.1:9/hooks")
    sent = message_send(client=client, sender="TestShop", text="Your code 1234, Olha", recipients=[PHONE, OTHER])
    for m in sent.messages:
        _delivered(route, m)
    later = message_send(client=client, sender="TestShop", text="See you tomorrow, Olha", recipients=[PHONE],
                         send_at=timezone.now() + datetime.timedelta(hours=2)).messages[0]
    group = contact_group_create(client=client, name="Customers")
    contact_add(client=client, group_id=group.pk, phone=PHONE, name="Olha")
    contact_add(client=client, group_id=group.pk, phone=OTHER, name="Petro")
    consent_record(client=client, phone=PHONE, name="Olha", proof_text="signed")
    InboundMessage.objects.create(route=route, client=client, source="380671234567", destination="TestShop",
                                  text="Thanks, Olha here")
    return {m.recipient: m.pk for m in sent.messages}, later.pk


def test_phone_mask():
    assert phone_mask(PHONE) == MASK
    assert phone_mask("+4812") == "*****"


def test_r_cmp_13_erasure_anonymizes_history_keeps_amounts(client_account, route):
    sent, later = _setup(client_account, route)
    prices = dict(Message.objects.filter(client=client_account).values_list("pk", "price"))
    wallet_before = Wallet.objects.get(client=client_account)
    assert wallet_before.held.amount > 0  # the scheduled message's hold

    counts = recipient_erase(client=client_account, phone="0671234567")

    assert counts["messages"] == 2 and counts["refused"] == 1 and counts["contacts"] == 1
    assert counts["consents"] == 1 and counts["inbound"] == 1 and counts["stop_list_added"] is True
    delivered = Message.objects.get(pk=sent[PHONE])
    assert (delivered.recipient, delivered.text, delivered.status) == (MASK, ERASED_TEXT, Status.DELIVERED)
    scheduled = Message.objects.get(pk=later)
    assert (scheduled.recipient, scheduled.text, scheduled.status, scheduled.error_code) == (
        MASK, ERASED_TEXT, Status.REFUSED, "opted_out")
    # amounts kept: every price as it was; the refused message's hold released, nothing else moved
    assert dict(Message.objects.filter(client=client_account).values_list("pk", "price")) == prices
    wallet = Wallet.objects.get(client=client_account)
    assert wallet.held.amount == 0 and wallet.balance == wallet_before.balance
    # the other recipient untouched
    assert Message.objects.get(pk=sent[OTHER]).recipient == OTHER
    assert list(Contact.objects.values_list("phone", flat=True)) == [OTHER]
    # nothing of the number left in messages, inbound SMS, consents or webhook events
    assert not Message.objects.filter(recipient=PHONE).exists()
    assert not Message.objects.filter(recipient=MASK).exclude(text=ERASED_TEXT).exists()
    assert not InboundMessage.objects.filter(text__contains="Olha").exists()
    assert not Consent.objects.exists()
    assert not WebhookEvent.objects.filter(payload__recipient=PHONE).exists()
    assert WebhookEvent.objects.filter(payload__recipient=MASK).exists()
    # the stop stays: nothing more goes to it
    assert OptOut.objects.filter(client=client_account, phone=PHONE).exists()
    assert recipient_gate(client=client_account).refusal(PHONE)[0] == "opted_out"
    event = AuditEvent.objects.get(code="compliance.recipient.erased", client=client_account)
    assert event.details["messages"] == 2


def test_r_cmp_13_erasure_keeps_an_existing_stop_reply(client_account, route):
    opt_out_record(client=client_account, phone=PHONE, source="reply", note="Reply 'STOP'")
    counts = recipient_erase(client=client_account, phone=PHONE)
    assert counts["stop_list_added"] is False
    assert OptOut.objects.get(client=client_account, phone=PHONE).source == "reply"


def test_r_cmp_13_web_erasure_needs_confirmation(web, route):
    sent, _later = _setup(web.account, route)
    r = web.post(reverse("recipient_erase"), {"phone": PHONE}, follow=True)
    assert r.status_code == 200 and b"This field is required" in r.content
    assert Message.objects.get(pk=sent[PHONE]).recipient == PHONE
    r = web.post(reverse("recipient_erase"), {"phone": PHONE, "confirm": "on"}, follow=True)
    assert r.status_code == 200 and b"erased" in r.content
    assert Message.objects.get(pk=sent[PHONE]).recipient == MASK
    assert web.post(reverse("recipient_erase"), {"phone": "abc", "confirm": "on"}).status_code == 302


def test_r_cmp_12_api_erasure_touches_only_the_own_client(api, route):
    sent, _later = _setup(api.account, route)
    other = make_client(name="Other LLC", balance=10)
    SenderNameFactory(client=other, name="OtherCo", approved=True)
    theirs = message_send(client=other, sender="OtherCo", text="Hi Olha", recipients=[PHONE]).messages[0]
    consent_record(client=other, phone=PHONE)

    r = api.post(f"/api/v1/recipients/{PHONE}/erase/")
    assert r.status_code == 200, r.content
    assert r.json()["messages"] == 2 and r.json()["contacts"] == 1
    assert Message.objects.get(pk=sent[PHONE]).recipient == MASK
    theirs.refresh_from_db()
    assert (theirs.recipient, theirs.text) == (PHONE, "Hi Olha")
    assert Consent.objects.filter(client=other).exists()
    assert not OptOut.objects.filter(client=other).exists()
    assert api.post("/api/v1/recipients/nonsense/erase/").json()["code"] == "invalid_phone"
