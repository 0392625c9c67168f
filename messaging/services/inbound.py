"""Mobile-originated SMS (MO) that arrive on a route's binds: stored for the client that owns the
sender name they answer, and a reply STOP/СТОП recorded as an opt-out (R-CMP-05); a client
with a webhook gets a `message.inbound` event (channel `sms`) for each.

Written in the connector's flush transaction, before the deliver_sm is acknowledged.
"""
import logging
import re
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from compliance.services import opt_out_record
from senders.selectors import sender_name_owners
from smsportal.phones import normalize_phone

from ..models import InboundMessage, InboundPart
from .webhooks import webhook_inbound_sms_record

log = logging.getLogger("smsportal.messaging")

# "STOP", "stop!", " Стоп. ", "«СТОП»", "Відписатись", "ОТПИСАТЬСЯ": the word alone, any case, any
# punctuation around it (R-CMP-05: STOP / СТОП / ВІДПИСАТИСЬ / ОТПИСАТЬСЯ).
_STOP = re.compile(r"^[\W_]*(stop|стоп|unsubscribe|в[іi]дписатис[ья]|отписаться)[\W_]*$", re.IGNORECASE)


def is_stop_reply(text: str) -> bool:
    return bool(_STOP.match((text or "").strip()))


def inbound_store(*, route_id: int, messages) -> list[InboundMessage]:
    """Stores MO messages of a route: (source, destination, text), or with a fourth item
    (ref, total, seq) for a part of a concatenated SMS, kept until its last part has come and
    then stored joined. STOP replies become opt-outs."""
    whole = []
    parts = []
    for item in messages:
        concat = item[3] if len(item) > 3 else None
        if concat and concat[1] > 1:
            parts.append((*item[:3], concat))
        else:
            whole.append(tuple(item[:3]))
    if parts:
        whole += _parts_join(route_id, parts)
    if not whole:
        return []
    owners = sender_name_owners(d for _s, d, _t in whole)
    rows = []
    for source, destination, text in whole:
        client_id = owners.get((destination or "").strip().upper())
        rows.append(InboundMessage(route_id=route_id, client_id=client_id, source=source[:32],
                                   destination=destination[:32], text=text))
        if client_id and is_stop_reply(text):
            phone = normalize_phone(source) or source
            opt_out_record(client=client_id, phone=phone, source="reply", note=f"Reply '{text.strip()[:40]}'")
    with transaction.atomic():
        stored = InboundMessage.objects.bulk_create(rows)
        webhook_inbound_sms_record(inbound=stored, is_stop=is_stop_reply)  # `message.inbound`, channel sms
    return stored


def _parts_join(route_id: int, parts) -> list[tuple[str, str, str]]:
    """Stores the parts of concatenated MO; returns the messages whose parts are now all there
    (joined in order; their parts are deleted). A transaction lock per message makes two binds
    receiving its parts at once see each other's."""
    keys = sorted({(source[:32], destination[:32], ref, total) for source, destination, _t, (ref, total, _q) in parts})
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"mo:{route_id}:{key}"])
    InboundPart.objects.bulk_create(
        [InboundPart(route_id=route_id, source=source[:32], destination=destination[:32], ref=ref, total=total,
                     seq=seq, text=text) for source, destination, text, (ref, total, seq) in parts],
        ignore_conflicts=True)  # a redelivered part is stored once
    joined = []
    for source, destination, ref, total in keys:
        stored = list(InboundPart.objects.filter(route_id=route_id, source=source, destination=destination,
                                                 ref=ref, total=total).order_by("seq").values_list("id", "seq",
                                                                                                    "text"))
        if {seq for _id, seq, _t in stored} >= set(range(1, total + 1)):
            joined.append((source, destination, "".join(text for _id, seq, text in stored if 1 <= seq <= total)))
            InboundPart.objects.filter(pk__in=[pid for pid, _s, _t in stored]).delete()
    return joined


def inbound_parts_flush_stale(*, older_than: timedelta = timedelta(hours=24), now=None) -> int:
    """Concatenated MO whose missing parts never came: stored with what arrived (a gap marked
    "[…]"), so the client still sees the reply. Returns how many messages were stored."""
    now = now or timezone.now()
    stale = (InboundPart.objects.filter(received_at__lt=now - older_than)
             .values_list("route_id", "source", "destination", "ref", "total").distinct())
    stored = 0
    for route_id, source, destination, ref, total in list(stale)[:1000]:
        with transaction.atomic():
            pieces = list(InboundPart.objects.select_for_update().filter(
                route_id=route_id, source=source, destination=destination, ref=ref, total=total)
                .order_by("seq").values_list("id", "seq", "text"))
            if not pieces:
                continue
            by_seq = {seq: text for _id, seq, text in pieces}
            text = "".join(by_seq.get(n, "[…]") for n in range(1, total + 1))
            InboundPart.objects.filter(pk__in=[p[0] for p in pieces]).delete()
            inbound_store(route_id=route_id, messages=[(source, destination, text)])
            stored += 1
    return stored

