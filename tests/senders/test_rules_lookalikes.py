"""R-SND-02/03 edge cases found by trying names as a client would."""
import pytest

from senders.services import SenderNameInvalid, sender_name_request
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def _reason(name):
    try:
        sender_name_request(client=make_client(name=f"Co {name}"), name=name)
    except SenderNameInvalid as exc:
        return exc.reason
    return None


@pytest.mark.parametrize("name,reason", [
    ("XXX Club", "obscene"), ("Shop X", None), ("Kvitka X", None), ("x", "unintelligible"),
])
def test_r_snd_02_a_lone_letter_is_not_an_obscene_word(name, reason):
    assert _reason(name) == reason


@pytest.mark.parametrize("name", ["PayPal", "Facebook", "WhatsApp", "MyInstagram", "Revolut"])
def test_r_snd_03_payment_systems_and_social_networks_are_brands_needing_proof(name):
    assert _reason(name) == "brand_proof_required"


@pytest.mark.parametrize("name", ["Orange", "Zoom Taxi", "Wise Owl"])
def test_r_snd_03_dictionary_words_on_the_never_national_list_need_no_proof(name):
    assert _reason(name) is None
