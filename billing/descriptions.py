"""Ledger entry descriptions in the reader's language. The ledger stores them in English (the API,
the CSV statement and staff read them so); the pages show them through `entry_description`, which
recognises the descriptions our services write and translates them, and leaves any other text
(a staff reason, a payment reference, a campaign name) as it is."""
import re

from django.utils.translation import gettext, pgettext

# (pattern of the stored English text, its translation with the pattern's named groups)
_PATTERNS = [
    (r"Top-up", lambda: pgettext("ledger", "Top-up")),
    (r"Send from (?P<sender>.+): (?P<count>\d+) SMS", lambda: gettext("Send from %(sender)s: %(count)s SMS")),
    (r"Send from (?P<sender>.+): (?P<count>\d+) Viber", lambda: gettext("Send from %(sender)s: %(count)s Viber")),
    (r"Campaign (?P<name>.+): (?P<count>\d+) SMS", lambda: gettext("Campaign %(name)s: %(count)s SMS")),
    (r"Viber chat session (?P<sender>\S+) ↔ (?P<recipient>.+)",
     lambda: gettext("Viber chat session %(sender)s ↔ %(recipient)s")),
    (r"Payment of invoice (?P<number>\S+)", lambda: gettext("Payment of invoice %(number)s")),
    (r"Payment (?P<reference>.+) for invoice (?P<number>\S+)",
     lambda: gettext("Payment %(reference)s for invoice %(number)s")),
    (r"(?P<count>\d+) SMS sent", lambda: gettext("%(count)s SMS sent")),
    (r"Adjustment: (?P<reason>.+)", lambda: gettext("Adjustment: %(reason)s")),
    (r"Penalty: (?P<reason>.+)", lambda: gettext("Penalty: %(reason)s")),
    (r"Balance withheld: (?P<reason>.+)", lambda: gettext("Balance withheld: %(reason)s")),
    (r"Refund paid out \((?P<reference>[^)]*)\): (?P<reason>.+)",
     lambda: gettext("Refund paid out (%(reference)s): %(reason)s")),
    (r"Unspent bonus written off \(not refundable\)", lambda: gettext("Unspent bonus written off (not refundable)")),
]
_COMPILED = [(re.compile(pattern + r"\Z", re.S), text) for pattern, text in _PATTERNS]


def entry_description(text: str) -> str:
    """`text` in the active language when it is one of the services' descriptions, else as is."""
    for pattern, translated in _COMPILED:
        found = pattern.match(text or "")
        if found:
            return translated() % found.groupdict()
    return text
