"""Mobile-originated SMS (MO) that arrive on a route's binds: stored for the client that owns the
sender name they answer, and a reply STOP/СТОП recorded as an opt-out (R-CMP-05).

Written in the connector's flush transaction, before the deliver_sm is acknowledged.
"""
import logging
import re

from django.db.models import Q

from compliance.services import opt_out_record
from senders.models import SenderName

from ..models import InboundMessage
from ..phones import normalize_phone

log = logging.getLogger("smsportal.messaging")

# "STOP", "stop!", " Стоп. ", "«СТОП»": the word alone, any case, any punctuation around it.
_STOP = re.compile(r"^[\W_]*(stop|стоп)[\W_]*$", re.IGNORECASE)


def is_stop_reply(text: str) -> bool:
    return bool(_STOP.match((text or "").strip()))


def _owners(destinations) -> dict[str, int]:
    """Upper-cased sender name → client id of the names the messages were sent to.
    (A selector of the senders app would be the right home: senders.selectors.)"""
    wanted = {d.strip().upper() for d in destinations if d and d.strip()}
    if not wanted:
        return {}
    q = Q()
    for name in wanted:
        q |= Q(name__iexact=name)
        if _is_number(name):  # a number sender: the SMSC writes it with or without the '+'
            q |= Q(name=name.lstrip("+")) | Q(name="+" + name.lstrip("+"))
    # names are unique whatever the letter case (senders' constraint): one owner per name
    owners = {}
    for name, client_id in SenderName.objects.filter(q).values_list("name", "client_id"):
        owners[name.upper()] = client_id
        if _is_number(name):
            owners[name.lstrip("+")] = owners["+" + name.lstrip("+")] = client_id
    return owners


def _is_number(name: str) -> bool:
    digits = name[1:] if name.startswith("+") else name
    return digits.isdigit() and digits.isascii()


def inbound_store(*, route_id: int, messages) -> list[InboundMessage]:
    """Stores MO messages (source, destination, text) of a route; STOP replies become opt-outs."""
    messages = list(messages)
    if not messages:
        return []
    owners = _owners(d for _s, d, _t in messages)
    rows = []
    for source, destination, text in messages:
        client_id = owners.get((destination or "").strip().upper())
        rows.append(InboundMessage(route_id=route_id, client_id=client_id, source=source[:32],
                                   destination=destination[:32], text=text))
        if client_id and is_stop_reply(text):
            phone = normalize_phone(source) or source
            opt_out_record(client=client_id, phone=phone, source="reply", note=f"Reply '{text.strip()[:40]}'")
    return InboundMessage.objects.bulk_create(rows)
