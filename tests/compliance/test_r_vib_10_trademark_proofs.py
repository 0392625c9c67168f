"""R-VIB-10 (T 4.12): a client whose Viber texts name a trademark proves its right to it within 1
Kyiv business day of staff's request; staff accept or reject the proof; while a request is overdue
or rejected, the client's Viber texts naming the trademark are refused `trademark_proof_required`."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEvent, User
from compliance.models import TrademarkProof
from compliance.services import TrademarkProofRequired, trademark_proof_assert
from compliance.trademarks import (TrademarkProofError, trademark_proof_decide, trademark_proof_provide,
                                   trademark_proof_request)
from messaging.models import Message
from tests.messaging.viber_fixtures import KYIVSTAR, viber_client  # noqa: F401

pytestmark = pytest.mark.django_db
KYIV = ZoneInfo("Europe/Kyiv")
FRIDAY_EVENING = datetime(2026, 12, 4, 22, 30, tzinfo=KYIV)  # Friday in Kyiv (20:30 UTC)
LAST_MONTH = datetime(2026, 11, 23, 10, tzinfo=KYIV)  # a Monday: due Tuesday 24.11, overdue since
TEXT = "Welcome to ViberShop! New Nike sneakers in stock. +380441234567"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _pdf(name="certificate.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 trademark certificate", content_type="application/pdf")


def test_r_vib_10_due_one_business_day_later_in_kyiv(client_account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        proof = trademark_proof_request(client=client_account, trademark="Nike", at=FRIDAY_EVENING)
    assert proof.due_on == date(2026, 12, 7)  # Friday → Monday (the weekend does not count)
    assert proof.status == "requested"
    assert len(mail.outbox) == 1 and "Nike" in mail.outbox[0].subject and "07.12.2026" in mail.outbox[0].body
    assert AuditEvent.objects.filter(code="compliance.trademark_proof.requested").exists()
    # Christmas, Friday 25.12.2026: a request on Thursday 24 is due Monday 28.
    xmas = trademark_proof_request(client=client_account, trademark="Adidas", at=datetime(2026, 12, 24, 10, tzinfo=KYIV))
    assert xmas.due_on == date(2026, 12, 28)


def test_r_vib_10_boundary_last_business_day_allowed_first_after_refused(client_account):
    proof = trademark_proof_request(client=client_account, trademark="Nike", at=FRIDAY_EVENING)
    for today in (date(2026, 12, 5), date(2026, 12, 6), date(2026, 12, 7)):  # the weekend and the due Monday
        trademark_proof_assert(client=client_account, text=TEXT, today=today)
        assert proof.status_on(today) == "requested"
    with pytest.raises(TrademarkProofRequired) as exc:
        trademark_proof_assert(client=client_account, text=TEXT, today=date(2026, 12, 8))
    assert exc.value.code == "trademark_proof_required" and exc.value.extra == {"trademark": "Nike"}
    assert proof.status_on(date(2026, 12, 8)) == "overdue"
    # texts without the trademark still go; a word merely starting like it is no mention
    trademark_proof_assert(client=client_account, text="Welcome! New sneakers in stock", today=date(2026, 12, 8))
    # another client's texts are not affected
    from tests.factories import make_client
    trademark_proof_assert(client=make_client(name="Other"), text=TEXT, today=date(2026, 12, 8))
    # the trademark in Cyrillic, in capitals, is found too
    with pytest.raises(TrademarkProofRequired):
        trademark_proof_assert(client=client_account, text="НОВІ NIKE вже тут", today=date(2026, 12, 8))


def test_r_vib_10_client_uploads_the_proof_on_the_website(web):
    proof = trademark_proof_request(client=web.account, trademark="Nike", at=LAST_MONTH)
    page = web.get(reverse("trademark_proofs"))
    assert page.status_code == 200 and b"Nike" in page.content and b"24.11.2026" in page.content
    assert b"Overdue" in page.content  # today is long after the due day
    r = web.post(reverse("trademark_proof_upload", args=[proof.pk]), {"proof_file": _pdf(), "comment": "Licence 12/2026"})
    assert r.status_code == 302
    proof.refresh_from_db()
    assert proof.status == "provided" and proof.proof_file and proof.proof_comment == "Licence 12/2026"
    assert proof.proof_file.read().startswith(b"%PDF")
    # provided: no longer refused while staff check it
    trademark_proof_assert(client=web.account, text=TEXT)
    # another client's request is a 404; no file is a message, never a 500
    other = trademark_proof_request(client=__import__("tests.factories", fromlist=["make_client"]).make_client(name="B"),
                                    trademark="Puma", at=FRIDAY_EVENING)
    assert web.post(reverse("trademark_proof_upload", args=[other.pk]), {"proof_file": _pdf()}).status_code == 404
    assert web.post(reverse("trademark_proof_upload", args=[proof.pk]), {}).status_code == 302


def test_r_vib_10_staff_accept_or_reject_in_admin(client_account, client):
    staff = User.objects.create_superuser("staff@example.com", "pw-12345-staff")
    client.force_login(staff)
    r = client.post(reverse("admin:compliance_trademarkproof_add"),
                    {"client": client_account.pk, "trademark": "Nike", "note": "Your Viber campaign of 3 Dec"})
    assert r.status_code == 302, r.content[:2000]
    proof = TrademarkProof.objects.get()
    assert proof.requested_by == staff and proof.due_on > proof.requested_at.date()
    with pytest.raises(TrademarkProofError):  # nothing provided yet
        trademark_proof_decide(proof=proof, accept=True, actor=staff)
    trademark_proof_provide(client=client_account, proof_id=proof.pk, proof_file=_pdf())
    assert client.get(reverse("admin:compliance_trademarkproof_file", args=[proof.pk])).status_code == 200
    assert client.get(reverse("admin:compliance_trademarkproof_change", args=[proof.pk])).status_code == 200
    assert client.get(reverse("admin:compliance_trademarkproof_changelist")).status_code == 200
    assert client.get(reverse("admin:compliance_trademarkproof_add")).status_code == 200
    r = client.post(reverse("admin:compliance_trademarkproof_changelist"),
                    {"action": "reject_proofs", "_selected_action": [proof.pk]})
    assert r.status_code == 302
    proof.refresh_from_db()
    assert proof.status == "rejected" and proof.decided_by == staff
    with pytest.raises(TrademarkProofRequired):  # rejected: refused at once, whatever the due day
        trademark_proof_assert(client=client_account, text=TEXT)
    trademark_proof_provide(client=client_account, proof_id=proof.pk, proof_file=_pdf("again.pdf"))
    trademark_proof_decide(proof=proof, accept=True, actor=staff)
    proof.refresh_from_db()
    assert proof.status == "accepted"
    trademark_proof_assert(client=client_account, text=TEXT)


def test_r_vib_10_viber_send_refused_at_accept_while_overdue(api, viber_client):  # noqa: F811
    body = {"channel": "viber", "sender": "ViberShop", "recipients": [KYIVSTAR], "viber_type": "welcome", "text": TEXT}
    trademark_proof_request(client=viber_client, trademark="Nike", at=LAST_MONTH)  # overdue today
    r = api.post("/api/v1/messages/", body, format="json")
    assert r.status_code == 400, r.json()
    assert r.json()["code"] == "trademark_proof_required" and r.json()["trademark"] == "Nike"
    assert not Message.objects.exists()
    # SMS texts are not concerned
    sms = api.post("/api/v1/messages/", {"sender": "TestShop", "recipients": [KYIVSTAR], "text": "Nike sale"},
                   format="json")
    assert sms.status_code == 201, sms.json()
    # once the proof is provided the Viber text goes
    trademark_proof_provide(client=viber_client, proof_id=TrademarkProof.objects.get().pk, proof_file=_pdf())
    assert api.post("/api/v1/messages/", body, format="json").status_code == 201
