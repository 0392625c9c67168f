"""The consent registry (R-CMP-06, T 3.2.1, 3.2.2.1, 4.9): clients record, import and withdraw
consents; a switch makes every send need one; Viber advertising always does; a number that opted
out is sent to again only after a consent given after the opt-out; one click exports the proof."""
import datetime
import io
import json
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from compliance.models import Consent, OptOut
from compliance.selectors import opted_out_sql, recipient_gate
from compliance.services import (compliance_settings_set, consent_record, consent_withdraw, opt_out_record,
                                 stop_list_add)
from smsportal.message_types import MessageType
from tests.factories import make_client

pytestmark = pytest.mark.django_db
PHONE = "+380671234567"
OTHER = "+380501234567"


def _sql_stopped(client, phone) -> bool:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {opted_out_sql(client='%(client)s', phone='%(phone)s::text')}",
                    {"client": client.pk, "phone": phone})
        return cur.fetchone()[0]


def _csv(text, name="consents.csv"):
    f = io.BytesIO(text.encode() if isinstance(text, str) else text)
    f.name = name
    return f


def test_r_cmp_06_consent_required_switch(client_account):
    assert recipient_gate(client=client_account).refusal(PHONE) is None
    compliance_settings_set(client=client_account, require_consent=True)
    assert recipient_gate(client=client_account).refusal(PHONE)[0] == "no_consent"

    consent = consent_record(client=client_account, phone="0671234567", name="Olha", source="web form")
    assert consent.phone == PHONE and consent.company == client_account.name
    assert recipient_gate(client=client_account).refusal(PHONE) is None
    assert recipient_gate(client=client_account).refusal(OTHER)[0] == "no_consent"
    # an SMS consent is no Viber consent
    assert recipient_gate(client=client_account, channel="viber").refusal(PHONE)[0] == "no_consent"

    consent_withdraw(client=client_account, consent_id=consent.pk)
    assert recipient_gate(client=client_account).refusal(PHONE)[0] == "no_consent"

    compliance_settings_set(client=client_account, require_consent=False)
    assert recipient_gate(client=client_account).refusal(PHONE) is None
    assert AuditEvent.objects.filter(code="compliance.settings.changed", client=client_account).count() == 2


def test_r_cmp_06_viber_advertising_always_needs_a_viber_consent(client_account):
    gate = recipient_gate(client=client_account, channel="viber", message_type=MessageType.ADVERTISING)
    assert gate.refusal(PHONE)[0] == "no_consent"
    consent_record(client=client_account, phone=PHONE, sms=True, viber=False)
    gate = recipient_gate(client=client_account, channel="viber", message_type=MessageType.ADVERTISING)
    assert gate.refusal(PHONE)[0] == "no_consent"
    consent_record(client=client_account, phone=PHONE, sms=False, viber=True)
    assert recipient_gate(client=client_account, channel="viber",
                          message_type=MessageType.ADVERTISING).refusal(PHONE) is None
    # Viber service messages and SMS advertising need none (the switch is off)
    assert recipient_gate(client=client_account, channel="viber").refusal(OTHER) is None
    assert recipient_gate(client=client_account, message_type=MessageType.ADVERTISING).refusal(OTHER) is None


def test_r_cmp_06_consent_after_opt_out_reopens(client_account):
    opt_out_record(client=client_account, phone=PHONE, source="reply")
    assert recipient_gate(client=client_account).refusal(PHONE)[0] == "opted_out"
    assert _sql_stopped(client_account, PHONE)

    # an older consent does not count: the opt-out came after it
    consent_record(client=client_account, phone=PHONE, given_at=timezone.now() - datetime.timedelta(days=3))
    assert recipient_gate(client=client_account).refusal(PHONE)[0] == "opted_out"
    assert _sql_stopped(client_account, PHONE)

    # a Viber consent reopens Viber only
    consent_record(client=client_account, phone=PHONE, sms=False, viber=True)
    assert recipient_gate(client=client_account).refusal(PHONE)[0] == "opted_out"
    assert recipient_gate(client=client_account, channel="viber").refusal(PHONE) is None
    assert _sql_stopped(client_account, PHONE)

    new = consent_record(client=client_account, phone=PHONE, source="signed form")
    assert recipient_gate(client=client_account).refusal(PHONE) is None
    assert not _sql_stopped(client_account, PHONE)
    assert OptOut.objects.get(client=client_account).resumed_at == new.given_at  # the entry stays as evidence

    consent_withdraw(client=client_account, consent_id=new.pk)
    assert recipient_gate(client=client_account).refusal(PHONE)[0] == "opted_out"
    assert _sql_stopped(client_account, PHONE)


def test_r_cmp_06_consent_record_refuses_bad_input(client_account):
    from compliance.services import ConsentError, InvalidPhone
    with pytest.raises(InvalidPhone):
        consent_record(client=client_account, phone="abc")
    with pytest.raises(ConsentError):
        consent_record(client=client_account, phone=PHONE, sms=False, viber=False)
    with pytest.raises(ConsentError):
        consent_record(client=client_account, phone=PHONE, given_at=timezone.now() + datetime.timedelta(days=1))


def test_r_cmp_06_proof_export_has_every_consent_and_opt_out(web, api):
    client = web.account
    first = consent_record(client=client, phone=PHONE, name="Olha", source="web form", proof_text="I agree",
                           given_at=timezone.now() - datetime.timedelta(days=10))
    consent_withdraw(client=client, consent_id=first.pk)
    stop_list_add(client=client, phone=PHONE, note="asked by phone")
    consent_record(client=client, phone=PHONE, source="paper form")
    consent_record(client=client, phone=OTHER)

    r = web.get(reverse("consent_proof"), {"phone": "0671234567"})
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    proof = json.loads(r.content)
    assert proof["phone"] == PHONE
    assert [c["source"] for c in proof["consents"]] == ["web form", "paper form"]
    assert proof["consents"][0]["withdrawn_at"] and proof["consents"][0]["proof_text"] == "I agree"
    assert proof["opt_out"]["source"] == "client" and proof["opt_out"]["resumed_by_consent_at"]
    codes = [e["event"] for e in proof["events"]]
    assert codes == ["compliance.consent.recorded", "compliance.consent.withdrawn", "compliance.stop_list.added",
                     "compliance.consent.recorded"]

    assert api.get("/api/v1/consents/proof/", {"phone": PHONE}).json() == proof
    assert api.get("/api/v1/consents/proof/", {"phone": "x"}).status_code == 400
    assert web.get(reverse("consent_proof"), {"phone": "x"}).status_code == 302


def test_r_cmp_06_web_record_with_a_proof_file_list_withdraw(web, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    r = web.post(reverse("consent_list"), {
        "phone": "0671234567", "name": "Olha", "sms": "on", "viber": "on", "source": "signed form",
        "given_at": "2026-01-15T10:30", "proof_text": "Signed at the shop",
        "proof_file": SimpleUploadedFile("scan.pdf", b"%PDF-1.4 proof", content_type="application/pdf")})
    assert r.status_code == 302
    consent = Consent.objects.get(client=web.account)
    assert consent.channels == ["sms", "viber"] and consent.proof_file
    assert timezone.localtime(consent.given_at).strftime("%Y-%m-%d %H:%M") == "2026-01-15 10:30"

    page = web.get(reverse("consent_list"), {"q": "olha"})
    assert page.status_code == 200 and PHONE.encode() in page.content
    download = web.get(reverse("consent_proof_file", args=[consent.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 proof"

    assert web.post(reverse("consent_withdraw", args=[consent.pk])).status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None


def test_r_cmp_06_web_form_errors_are_400_not_500(web):
    r = web.post(reverse("consent_list"), {"phone": "nonsense", "sms": "on"})
    assert r.status_code == 400 and b"Enter a phone number" in r.content
    r = web.post(reverse("consent_list"), {"phone": PHONE})
    assert r.status_code == 400 and b"Choose the channel" in r.content
    r = web.post(reverse("consent_list"), {"phone": PHONE, "sms": "on", "given_at": "0001-01-01T00:00"})
    assert r.status_code == 400
    assert not Consent.objects.exists()


def test_r_cmp_06_web_require_consent_switch(web):
    assert web.post(reverse("consent_settings"), {"require_consent": "on"}).status_code == 302
    assert recipient_gate(client=web.account).refusal(PHONE)[0] == "no_consent"
    assert web.post(reverse("consent_settings"), {}).status_code == 302
    assert recipient_gate(client=web.account).refusal(PHONE) is None


def test_r_cmp_06_csv_import_web_and_api(web, api):
    text = ("phone,name,channels,company,source,proof,given_at\n"
            "0671234567,Olha,sms viber,Acme,web form,ticked the box,2026-03-01\n"
            "+380501234567,Petro,,,,,01.02.2026\n"
            "bad,X,sms,,,,\n"
            "0631112233,Y,fax,,,,\n"
            "0631112244,Z,sms,,,,not a date\n"
            "0671234567,Olha,sms viber,Acme,web form,ticked the box,2026-03-01\n")
    r = web.post(reverse("consent_import"), {"file": _csv(text)}, follow=True)
    assert r.status_code == 200 and b"Import report" in r.content
    assert Consent.objects.filter(client=web.account).count() == 2
    olha = Consent.objects.get(phone=PHONE)
    assert olha.channels == ["sms", "viber"] and olha.proof_text == "ticked the box"

    r = api.post("/api/v1/consents/import/", {"file": _csv(text)}, format="multipart")
    assert r.status_code == 200
    assert r.json() | {"errors": []} == {"rows": 6, "added": 0, "existing": 3, "invalid": 3, "errors": []}
    assert [e["row"] for e in r.json()["errors"]] == [4, 5, 6]

    r = api.post("/api/v1/consents/import/", {"file": _csv(b"\xff\xfe\x00\x00")}, format="multipart")
    assert r.status_code == 400 and r.json()["code"] == "invalid_file"
    r = web.post(reverse("consent_import"), {"file": _csv(b"")}, follow=True)
    assert r.status_code == 200 and b"empty" in r.content


def test_r_cmp_06_api_record_list_withdraw(api):
    r = api.post("/api/v1/consents/", {"phone": "0671234567", "channels": ["viber"], "name": "Olha",
                                       "given_at": "2026-02-01T09:00:00+02:00"}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["phone"], body["channels"], body["withdrawn_at"]) == (PHONE, ["viber"], None)
    listed = api.get("/api/v1/consents/").json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == body["id"]
    r = api.post(f"/api/v1/consents/{body['id']}/withdraw/")
    assert r.status_code == 200 and r.json()["withdrawn_at"]
    assert api.post("/api/v1/consents/", {"phone": PHONE, "channels": []}, format="json").status_code == 400
    assert api.post("/api/v1/consents/", {"phone": "12"}, format="json").json()["code"] == "invalid_phone"
    assert api.put("/api/v1/consents/settings/", {"require_consent": True}, format="json").json() == {
        "require_consent": True}
    assert api.get("/api/v1/consents/settings/").json() == {"require_consent": True}


def test_r_cmp_12_another_clients_consents_are_invisible(api, web):
    other = make_client(name="Other LLC")
    theirs = consent_record(client=other, phone=PHONE, name="Secret Name")
    assert api.get("/api/v1/consents/").json()["count"] == 0
    assert api.post(f"/api/v1/consents/{theirs.pk}/withdraw/").status_code == 404
    assert web.post(reverse("consent_withdraw", args=[theirs.pk])).status_code == 404
    assert web.get(reverse("consent_proof_file", args=[theirs.pk])).status_code == 404
    assert b"Secret Name" not in web.get(reverse("consent_list")).content
    assert api.get("/api/v1/consents/proof/", {"phone": PHONE}).json()["consents"] == []
    theirs.refresh_from_db()
    assert theirs.withdrawn_at is None
    # another client's consent does not let this client send where consent is required
    compliance_settings_set(client=api.account, require_consent=True)
    assert recipient_gate(client=api.account).refusal(PHONE)[0] == "no_consent"


def test_r_acc_08_destroying_a_clients_data_deletes_its_consents_and_keeps_the_global_list(client_account,
                                                                                          settings, tmp_path):
    from compliance.services import global_opt_out_add, opt_outs_personal_data_destroy
    settings.MEDIA_ROOT = tmp_path
    consent = consent_record(client=client_account, phone=PHONE,
                             proof_file=SimpleUploadedFile("scan.png", b"\x89PNG proof"))
    path = consent.proof_file.path
    opt_out_record(client=client_account, phone=OTHER)
    global_opt_out_add(phone=OTHER)
    other = make_client(name="Other LLC")
    consent_record(client=other, phone=PHONE)

    assert opt_outs_personal_data_destroy(client=client_account) == 1
    assert not Consent.objects.filter(client=client_account).exists()
    assert not os.path.exists(path)
    assert Consent.objects.filter(client=other).count() == 1
    assert OptOut.objects.filter(client=None, phone=OTHER).exists()
