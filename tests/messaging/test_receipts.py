"""Delivery receipts: parsing both forms, matching to parts, settling messages (R-MSG-04, R-MSG-05)."""
import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from messaging.models import Message, MessagePart, ReceiptInbox
from messaging.services import (message_send, messages_expire_stale, messages_transition, receipts_apply,
                                receipts_store)
from messaging.smpp.receipts import is_receipt, parse_receipt
from messaging.status import Status


def pdu(**kw):
    return SimpleNamespace(**({"short_message": b"", "receipted_message_id": None, "message_state": None} | kw))


def test_parse_text_receipt():
    p = pdu(short_message=b"id:5F3A01 sub:001 dlvrd:001 submit date:2611241200 done date:2611241201 "
                          b"stat:DELIVRD err:000 text:Hello")
    assert parse_receipt(p)[:3] == ("5f3a01", "DELIVRD", "000")


def test_parse_tlv_receipt_wins_over_text():
    p = pdu(short_message=b"id:zzz stat:UNDELIV err:001", receipted_message_id=b"ABC123", message_state=2)
    assert parse_receipt(p)[:2] == ("abc123", "DELIVRD")


def test_unreadable_receipt_is_none_and_esm_class_detects_receipts():
    assert parse_receipt(pdu(short_message=b"garbage")) is None
    assert is_receipt(0x04) and is_receipt(0x44) and not is_receipt(0x00) and not is_receipt(0x40)


def _submitted(client_account, route, text="Hi", n_parts=1, smsc_ids=("a1",)):
    m = message_send(client=client_account, sender="TestShop", recipients=["+380671234567"], text=text).messages[0]
    messages_transition(ids=[m.pk], new=Status.SUBMITTING)
    for seq, sid in enumerate(smsc_ids, start=1):
        MessagePart.objects.create(message=m, seq=seq, route=route, status=Status.SUBMITTED, smsc_message_id=sid,
                                   submitted_at=timezone.now())
    if len(smsc_ids) == n_parts:
        messages_transition(ids=[m.pk], new=Status.SUBMITTED)
    return m


@pytest.mark.django_db
def test_receipt_settles_single_part_message(client_account, route):
    m = _submitted(client_account, route)
    receipts_store(route_id=route.pk, receipts=[("a1", "DELIVRD", "000", "raw")])
    assert receipts_apply() == 1
    m.refresh_from_db()
    assert m.status == Status.DELIVERED and m.done_at
    assert ReceiptInbox.objects.get().processed_at is not None


@pytest.mark.django_db
def test_multipart_delivered_only_when_all_parts_are(client_account, route):
    m = _submitted(client_account, route, text="A" * 200, n_parts=2, smsc_ids=("p1", "p2"))
    receipts_store(route_id=route.pk, receipts=[("p1", "DELIVRD", "000", "")])
    receipts_apply()
    assert Message.objects.get(pk=m.pk).status == Status.SUBMITTED
    receipts_store(route_id=route.pk, receipts=[("p2", "DELIVRD", "000", "")])
    receipts_apply()
    assert Message.objects.get(pk=m.pk).status == Status.DELIVERED


@pytest.mark.django_db
def test_multipart_undelivered_when_one_part_fails(client_account, route):
    m = _submitted(client_account, route, text="A" * 200, n_parts=2, smsc_ids=("q1", "q2"))
    receipts_store(route_id=route.pk, receipts=[("q2", "UNDELIV", "001", "")])
    receipts_apply()
    m.refresh_from_db()
    assert m.status == Status.UNDELIVERED


@pytest.mark.django_db
def test_final_status_never_moves_back_and_duplicates_are_harmless(client_account, route):
    m = _submitted(client_account, route)
    receipts_store(route_id=route.pk, receipts=[("a1", "DELIVRD", "000", ""), ("a1", "DELIVRD", "000", ""),
                                                ("a1", "UNDELIV", "001", "")])
    receipts_apply()
    assert Message.objects.get(pk=m.pk).status == Status.DELIVERED


@pytest.mark.django_db
def test_receipt_before_submit_resp_is_matched_on_a_later_pass(client_account, route):
    receipts_store(route_id=route.pk, receipts=[("early", "DELIVRD", "000", "")])
    assert receipts_apply() == 0
    assert ReceiptInbox.objects.get().processed_at is None
    m = _submitted(client_account, route, smsc_ids=("early",))
    assert receipts_apply() == 1
    assert Message.objects.get(pk=m.pk).status == Status.DELIVERED


@pytest.mark.django_db
def test_r_msg_04_no_receipt_in_seven_days_expires_and_late_receipt_still_counts(client_account, route):
    m = _submitted(client_account, route, smsc_ids=("late",))
    assert messages_expire_stale() == 0
    assert messages_expire_stale(now=timezone.now() + datetime.timedelta(days=7, minutes=1)) == 1
    m.refresh_from_db()
    assert m.status == Status.EXPIRED and m.error_code == "no_receipt"
    receipts_store(route_id=route.pk, receipts=[("late", "DELIVRD", "000", "")])
    receipts_apply()
    assert Message.objects.get(pk=m.pk).status == Status.DELIVERED
