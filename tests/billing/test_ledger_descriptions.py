"""The ledger's descriptions on the pages in the reader's language: the services' own texts are
recognised and translated, anything else (a staff reason, a name) is shown as it was written."""
from unittest import mock

import pytest
from django.utils import translation

from billing import descriptions
from billing.descriptions import entry_description


@pytest.mark.parametrize("stored, msgid, values", [
    ("Top-up", "Top-up", {}),
    ("Send from TestShop: 3 SMS", "Send from %(sender)s: %(count)s SMS", {"sender": "TestShop", "count": "3"}),
    ("Send from Shop: 2 Viber", "Send from %(sender)s: %(count)s Viber", {"sender": "Shop", "count": "2"}),
    ("Campaign Осінь: весна: 12 SMS", "Campaign %(name)s: %(count)s SMS", {"name": "Осінь: весна", "count": "12"}),
    ("Viber chat session Acme ↔ +380671234567", "Viber chat session %(sender)s ↔ %(recipient)s",
     {"sender": "Acme", "recipient": "+380671234567"}),
    ("Payment of invoice SP-2026-000001", "Payment of invoice %(number)s", {"number": "SP-2026-000001"}),
    ("Refund paid out (PP 12): closed", "Refund paid out (%(reference)s): %(reason)s",
     {"reference": "PP 12", "reason": "closed"}),
])
def test_service_descriptions_are_translated_on_display(stored, msgid, values):
    with mock.patch.object(descriptions, "gettext", side_effect=lambda s: "UK:" + s), \
         mock.patch.object(descriptions, "pgettext", side_effect=lambda c, s: "UK:" + s):
        assert entry_description(stored) == "UK:" + msgid % values
    with translation.override("en"):
        assert entry_description(stored) == stored  # English reads as stored


def test_other_text_is_left_as_written():
    for text in ("Повернення за домовленістю", "Top-up extra", "", "Send from X: many SMS"):
        assert entry_description(text) == text
