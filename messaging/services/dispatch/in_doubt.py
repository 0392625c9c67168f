"""Parts in doubt: written to an SMSC that never answered (SUBMITTING, no SMSC id). They are never
resent (the policy is in messaging.smpp.connector); a receipt that fits one settles it, or the end
of the receipt window does (`expiry.messages_expire_stale`)."""
import logging
from datetime import timedelta
from datetime import timezone as dt_timezone

from django.db.models import Q
from django.utils import timezone

from smsportal.kyiv import KYIV

from ... import segments
from ...models import MessagePart
from ...smpp.receipts import raw_source, receipt_snippet, receipt_submit_date, snippet_matches
from ...status import Status
from ..transitions import parts_move
from .payloads import part_payloads

log = logging.getLogger("smsportal.messaging")

IN_DOUBT = "in_doubt"
# A part still SUBMITTING without an SMSC id this long after it was written is in doubt even
# while other connector processes of its route are alive (their response timeout is 30 s).
IN_DOUBT_AFTER = timedelta(minutes=2)
# An unmatched receipt may settle an in-doubt part once it is this old (by then no live
# connector can still be waiting for the submit_sm_resp of a part with the same id).
IN_DOUBT_MATCH_AFTER = timedelta(seconds=60)


def parts_flag_in_doubt(*, part_ids=None, route_id: int | None = None, older_than: timedelta | None = None,
                        now=None) -> int:
    """Flags parts written to an SMSC that never answered (SUBMITTING, no SMSC id) as in doubt:
    they are never resent; a matching receipt or the end of the receipt window settles them.
    Either the given `part_ids`, or a route's (or every route's) parts older than `older_than`
    (None: all of them, when no other connector of the route is alive). Returns how many were
    newly flagged."""
    now = now or timezone.now()
    qs = MessagePart.objects.filter(status=Status.SUBMITTING, smsc_message_id__isnull=True).exclude(
        error_code=IN_DOUBT)
    if part_ids is not None:
        qs = qs.filter(pk__in=list(part_ids))
    if route_id is not None:
        qs = qs.filter(route_id=route_id)
    if older_than is not None:
        qs = qs.filter(Q(submitted_at__lt=now - older_than) | Q(submitted_at__isnull=True,
                                                                 created_at__lt=now - older_than))
    return qs.update(error_code=IN_DOUBT)


def parts_in_doubt_count(*, route_id: int | None = None) -> int:
    qs = MessagePart.objects.filter(status=Status.SUBMITTING, smsc_message_id__isnull=True, error_code=IN_DOUBT)
    if route_id is not None:
        qs = qs.filter(route_id=route_id)
    return qs.count()


def match_in_doubt(receipts, now) -> dict[tuple[int, str], list]:
    """Settles parts in doubt with receipts no part claims (THE POLICY, see the connector).

    A receipt settles an in-doubt part of its route when it names the part's recipient (the
    receipt's source address), its `text:` snippet is the start of the part's text, and its
    submit date is within 15 minutes of when the part was written (read as UTC or Kyiv time,
    the two conventions of the SMSCs we meet). The oldest fitting part wins; each part is
    settled once. The part takes the receipt's SMSC id (and so later receipts and query_sm)."""
    routes = {r[1] for r in receipts}
    candidates = list(
        MessagePart.objects.filter(route_id__in=routes, status=Status.SUBMITTING, smsc_message_id__isnull=True,
                                   error_code=IN_DOUBT)
        .order_by("submitted_at", "id")
        .values_list("id", "route_id", "message_id", "seq", "submitted_at", "message__recipient",
                     "message__text")[:5000])
    if not candidates:
        return {}
    slack = timedelta(minutes=15)
    texts: dict[int, str] = {}
    taken: set[int] = set()
    found: dict[tuple[int, str], list] = {}
    for _rid, route_id, sid, _stat, _err, raw, _received in receipts:
        if (route_id, sid) in found:
            continue
        source, text = raw_source(raw)
        snippet = receipt_snippet(text)
        digits = "".join(ch for ch in source if ch.isdigit())
        if not digits or snippet is None:
            continue
        when = receipt_submit_date(text)
        for pid, c_route, mid, seq, submitted_at, recipient, body in candidates:
            if pid in taken or c_route != route_id or recipient.lstrip("+") != digits:
                continue
            if when is not None and submitted_at is not None:
                utc = when.replace(tzinfo=dt_timezone.utc)
                local = when.replace(tzinfo=KYIV)
                # minute precision in most receipts: compare to the minute the part was written
                written = submitted_at.replace(second=0, microsecond=0)
                if abs(utc - written) > slack and abs(local - written) > slack:
                    continue
            if pid not in texts:
                payload = part_payloads(body, mid)[seq - 1]
                data = payload.short_message
                if payload.esm_class & segments.ESM_CLASS_UDHI:
                    data = data[1 + data[0]:]
                texts[pid] = segments.decode(data, payload.data_coding)
            if not snippet_matches(snippet, texts[pid]):
                continue
            taken.add(pid)
            parts_move(ids=[pid], new=Status.SUBMITTED, sources=[Status.SUBMITTING], unanswered=True,
                       smsc_message_id=sid, error_code="")
            log.info("part %s (in doubt) settled by receipt %s", pid, sid)
            found[(route_id, sid)] = [pid, mid, Status.SUBMITTED]
            break
    return found

