"""Sender-name rules checked before staff see a request (R-SND-01, 02, 03, 07, 08)."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from senders.models import FirstNameAllowance, NameWord, SenderName
from senders.services import SenderNameInvalid, SenderNameTaken, sender_name_request
from senders.validation import skeletons
from tests.factories import SenderNameFactory, make_client

from .conftest import PNG

pytestmark = pytest.mark.django_db


def refusal(client, name, **kw):
    with pytest.raises(SenderNameInvalid) as exc:
        sender_name_request(client=client, name=name, **kw)
    return exc.value


@pytest.mark.parametrize("name,words", [
    ("TwelveChars1", "at most 11"), ("Квітка", "Only Latin"), ("Shop#1", "'#'"), ("Kvitka_Shop", "'_'"),
    ("Two  Spaces", "two spaces"), ("", "Enter"),
])
def test_r_snd_01_format_refused(name, words):
    exc = refusal(make_client(), name)
    assert exc.reason == "format" and words in exc.detail


@pytest.mark.parametrize("name", ["Kvitka", "Kvitka Shop", "A&B Group", "Flowers.ua", "Apteka-24", "NewBrand"])
def test_r_snd_01_allowed_characters_accepted(name):
    sender = sender_name_request(client=make_client(), name=name)
    assert sender.status == SenderName.Status.PENDING and sender.channel == "sms"


@pytest.mark.parametrize("name,reason", [
    ("Kyivstar", "operator"), ("K1EVSTAR", "operator"), ("Kyivvstar", "operator"), ("MyKyivstar", "operator"),
    ("V0dafone", "operator"), ("Vodafon", "operator"), ("Lifecell UA", "operator"), ("MTS", "operator"),
    ("Fuckoff", "obscene"), ("Mudak", "obscene"), ("Hui", "obscene"), ("pizdec", "obscene"),
    ("0671234567", "phone_number"), ("38067 12345", "phone_number"), ("7700", "short_code"),
    ("ght", "unintelligible"), ("asdf", "unintelligible"), ("Qwerty", "unintelligible"), ("a1b2c3", "unintelligible"),
    ("SMS", "generic"), ("Info", "generic"), ("SMS Info", "generic"), ("Test", "generic"),
    ("Katerina", "first_name"), ("Vasya", "first_name"), ("Masha", "first_name"),
])
def test_r_snd_02_refused_with_specific_reason(name, reason):
    exc = refusal(make_client(), name)
    assert exc.reason == reason, exc.detail
    assert name in exc.detail
    assert not SenderName.objects.exists()


def test_r_snd_02_cyrillic_and_leet_look_alikes_share_a_skeleton():
    assert skeletons("Kyivstar") & skeletons("Кyivstаr")  # Cyrillic К and а
    assert skeletons("Kyivstar") & skeletons("Київстар")  # transliterated
    assert skeletons("lifecell") == skeletons("L1fec3ll")


def test_r_snd_02_cyrillic_operator_name_refused_for_viber():
    exc = refusal(make_client(balance=5000), "Київстар", channel="viber")
    assert exc.reason == "operator"


def test_r_snd_02_staff_extend_word_lists_in_admin(staff):
    client = make_client()
    assert sender_name_request(client=client, name="Grozny").status == "pending"
    r = staff.post("/admin/senders/nameword/add/", {"kind": "obscene", "word": "Bazooka", "language": "en",
                                                   "match_anywhere": "on", "note": ""})
    assert r.status_code == 302, r.content
    assert refusal(client, "MyBazooka").reason == "obscene"
    assert refusal(client, "Baz00ka").reason == "obscene"  # leet spelling of a word staff added


def test_r_snd_02_first_name_allowed_for_a_company_of_that_name(staff):
    katerina = make_client(name="Katerina LLC")
    assert refusal(katerina, "Katerina").reason == "first_name"
    r = staff.post("/admin/senders/firstnameallowance/add/",
                   {"client": katerina.pk, "name": "Katerina", "note": "Company is Katerina LLC"})
    assert r.status_code == 302
    assert FirstNameAllowance.objects.filter(client=katerina).exists()
    assert refusal(make_client(name="Other"), "Katerina").reason == "first_name"  # not for other companies
    assert sender_name_request(client=katerina, name="Katerina").status == "pending"


def test_r_snd_02_generic_word_passes_to_staff_with_trademark_proof(pdf):
    sender = sender_name_request(client=make_client(), name="Info", proof=pdf)
    assert sender.status == "pending" and sender.proof


def test_r_snd_03_brand_needs_proof(pdf):
    client = make_client()
    exc = refusal(client, "SamsungShop")
    assert exc.reason == "brand_proof_required" and "Samsung" in exc.detail
    sender = sender_name_request(client=client, name="SamsungShop", proof=pdf)
    assert sender.brand == "Samsung" and sender.proof_content_type == "application/pdf"
    assert sender.proof.read().startswith(b"%PDF")


def test_r_snd_03_proof_type_and_size_checked(settings):
    client = make_client()
    exe = SimpleUploadedFile("letter.pdf", b"MZ\x90\x00 not a pdf")
    assert refusal(client, "Rozetka", proof=exe).reason == "proof_invalid"
    settings.SMSPORTAL_SENDER_PROOF_MAX_BYTES = 20
    big = SimpleUploadedFile("scan.png", PNG)
    assert refusal(client, "Rozetka", proof=big).reason == "proof_invalid"
    assert not SenderName.objects.exists()


def test_r_snd_03_proof_stored_privately_and_shown_to_staff_only(staff, pdf, private_media):
    owner = make_client()
    sender = sender_name_request(client=owner, name="Rozetka", proof=pdf)
    path = private_media / sender.proof.name
    assert path.exists() and "private" in str(path)
    url = f"/admin/senders/sendername/{sender.pk}/proof/"
    r = staff.get(url)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert b"".join(r.streaming_content).startswith(b"%PDF")
    staff.logout()
    staff.force_login(owner.users.first())
    assert staff.get(url).status_code == 302  # a client is sent to the staff login


def test_r_snd_08_name_belongs_to_one_company():
    first, second = make_client(name="First"), make_client(name="Second")
    sender_name_request(client=first, name="Kvitka")
    for name in ("Kvitka", "KVITKA", "kv1tka"):
        with pytest.raises(SenderNameTaken) as exc:
            sender_name_request(client=second, name=name)
        assert "another company" in exc.value.detail
    with pytest.raises(SenderNameTaken) as exc:
        sender_name_request(client=first, name="kvitka")
    assert "already registered" in exc.value.detail


def test_r_snd_08_rejected_name_is_free_again():
    first, second = make_client(name="First"), make_client(name="Second")
    SenderNameFactory(client=first, name="Kvitka", rejected=True)
    assert sender_name_request(client=second, name="Kvitka").client == second


def test_blocked_client_cannot_request():
    client = make_client()
    client.status = client.Status.BLOCKED
    client.save()
    from accounts.services import AccountBlocked

    with pytest.raises(AccountBlocked):
        sender_name_request(client=client, name="Kvitka")


def test_word_list_is_seeded_with_each_kind():
    kinds = set(NameWord.objects.values_list("kind", flat=True))
    assert kinds == set(NameWord.Kind.values)
    assert NameWord.objects.filter(kind="obscene", language="uk").exists()
    assert NameWord.objects.filter(kind="obscene", language="ru").exists()
    assert NameWord.objects.filter(kind="obscene", language="en").exists()
