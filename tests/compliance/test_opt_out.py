"""The stop list (R-CMP-05) holds numbers spelled as sends spell their recipients."""
import pytest

from compliance.selectors import opted_out_phones
from compliance.services import opt_out_record
from tests.factories import make_client


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["0671234567", "380671234567", "+38 (067) 123-45-67", "+380671234567"])
def test_r_cmp_05_opt_out_of_a_local_number_matches_the_e164_recipient(typed):
    """`0671234567` was stored as `+0671234567`: no recipient is spelled so, and the stop never applied."""
    client = make_client()
    opt_out = opt_out_record(client=client, phone=typed, source="client")
    assert opt_out.phone == "+380671234567"
    assert opted_out_phones(client=client) == {"+380671234567"}


@pytest.mark.django_db
def test_r_cmp_05_opt_out_of_an_unreachable_number_keeps_its_digits():
    client = make_client()
    assert opt_out_record(client=client, phone="12 34", source="client").phone == "+1234"
