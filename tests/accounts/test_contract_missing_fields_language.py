"""The profile page's "to request a contract, fill in: …" names every missing field in the reader's
language: the legal form too (its model field has no translated label of its own)."""
import pytest
from django.utils import translation

from accounts.services import contract_missing_fields
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def test_missing_fields_in_ukrainian_name_the_legal_form_in_ukrainian():
    client = make_client()
    type(client).objects.filter(pk=client.pk).update(legal_form="")
    client.refresh_from_db()
    with translation.override("uk"):
        missing = contract_missing_fields(client)
    assert "організаційна форма" in missing
    assert not any("legal form" in label for label in missing), missing
    with translation.override("en"):
        assert "legal form" in contract_missing_fields(client)
