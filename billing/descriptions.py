"""Ledger entry descriptions in the reader's language.

Descriptions are written once, in English, by the code that posts an entry (a send's hold, a
capture, a staff adjustment with the staff's own reason). Entries carry a kind, not a description
code, so the statement page and CSV recognise the fixed English patterns and say them in the
active language; the variable parts (sender, counts, the staff's reason, invoice numbers) stay as
written, and a description matching no pattern is shown as stored.
"""
import re

from django.utils.translation import gettext_lazy as _

_PATTERNS = [
    (re.compile(r"^Top-up$"), _("Top-up")),
    (re.compile(r"^Send from (?P<sender>.+): (?P<n>\d+) SMS$"), _("Send from %(sender)s: %(n)s SMS")),
    (re.compile(r"^Send from (?P<sender>.+): (?P<n>\d+) Viber$"), _("Send from %(sender)s: %(n)s Viber")),
    (re.compile(r"^Campaign (?P<name>.+): (?P<n>\d+) SMS$"), _("Campaign %(name)s: %(n)s SMS")),
    (re.compile(r"^(?P<n>\d+) SMS sent$"), _("%(n)s SMS sent")),
    (re.compile(r"^Viber chat session (?P<sender>.+) ↔ (?P<recipient>.+)$"),
     _("Viber chat session %(sender)s ↔ %(recipient)s")),
    (re.compile(r"^Adjustment: (?P<reason>.*)$", re.S), _("Adjustment: %(reason)s")),
    (re.compile(r"^Penalty: (?P<reason>.*)$", re.S), _("Penalty: %(reason)s")),
    (re.compile(r"^Balance withheld: (?P<reason>.*)$", re.S), _("Balance withheld: %(reason)s")),
    (re.compile(r"^Refund paid out \((?P<reference>[^)]*)\): (?P<reason>.*)$", re.S),
     _("Refund paid out (%(reference)s): %(reason)s")),
    (re.compile(r"^Unspent bonus written off \(not refundable\)$"), _("Unspent bonus written off (not refundable)")),
    (re.compile(r"^Payment of invoice (?P<number>\S+)$"), _("Payment of invoice %(number)s")),
    (re.compile(r"^Payment (?P<reference>.+) for invoice (?P<number>\S+)$"),
     _("Payment %(reference)s for invoice %(number)s")),
    (re.compile(r"^Viber re-priced as advertising: (?P<n>\d+) message\(s\)\. (?P<reason>.*)$", re.S),
     _("Viber re-priced as advertising: %(n)s message(s). %(reason)s")),
    (re.compile(r"^Hold stopped: its captures asked more than it reserved$"),
     _("Hold stopped: its captures asked more than it reserved")),
]


def entry_description(description: str) -> str:
    """A stored ledger description, in the active language when it is one of the fixed patterns."""
    text = description or ""
    for pattern, words in _PATTERNS:
        m = pattern.match(text)
        if m:
            return str(words) % m.groupdict() if m.groupdict() else str(words)
    return text
