"""The status door: every write of a message's or a part's status goes through this module
(HOUSE_STYLE, "one door per state machine"); a test (tests/messaging/test_status_door.py) fails
when any other module writes one.

A message moves only where the status machine allows it (`messaging.status.TRANSITIONS`): the
WHERE clause of every statement here names the statuses it may leave, so a row that moved
meanwhile is skipped, never moved back. The rows a statement changed are what its money and its
webhook events are made of, in the same transaction:

- `messages_move` / `messages_transition`: any set of messages by id (cancels of a campaign or
  of a blocked or terminated account, refusals, failures, expiry, receipt outcomes). One `UPDATE … FROM (SELECT … FOR UPDATE) … RETURNING`; what it
  returns goes to billing (`messages_settle`) and to the webhook outbox.
- `messages_release`: scheduled and bulk messages whose time has come, QUEUED, or REFUSED
  `opted_out` where the recipient is on the stop list by now (R-CMP-05) or `frequency_cap` where
  the day's cap was reached meanwhile (R-CMP-03), or left SCHEDULED for the next opening of the
  sending window (R-CMP-07); the claim below checks all three once more, and
  `messages_hold_for_window` sends QUEUED messages back to SCHEDULED while the window is closed.
- the connector's hot path, set-based and pipelined: claims (`messages_claim_fresh_rows`,
  `parts_claim_retries`), accepted parts and the messages they complete (`connector_results_write`,
  `parts_set_submitted`, `messages_set_submitted`: captured through `messages_capture`, `submitted`
  events), receipt outcomes (`parts_set_outcomes`);
- `parts_move`: the other moves of parts (a bind gives back what it never wrote, refusals,
  retries, expiry, an in-doubt part settled by a receipt).

Storing a new row with its first status (a send's messages, born SCHEDULED, QUEUED or REFUSED; a
claim's parts, born SUBMITTING) is not a transition: `send.messages_insert` and the claim below
insert them. Parts have no table of their own: a part's status follows its message's machine
(QUEUED → SUBMITTING → SUBMITTED → a receipt outcome; FAILED or EXPIRED on the way).
"""
from __future__ import annotations

from typing import NamedTuple

import psycopg
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from compliance.hours import (OUTSIDE_SENDING_HOURS, frequency_cap_exempt_clients, sending_calendar_get,
                              sending_hours_exempt_clients, sending_hours_notice)
from compliance.selectors import opted_out_sql
from smsportal.cache import Versions
from smsportal.db import raw_cursor
from smsportal.kyiv import KYIV
from smsportal.message_types import MessageType

from ..models import Message, MessagePart
from ..status import FINAL, REFUNDABLE, Status, check_transition, sources_for
from .frequency import NOT_COUNTED, daily_cap, kyiv_day_bounds
from .money import messages_capture, messages_settle
from .webhooks import webhook_events_record, webhook_events_submitted

_PART = MessagePart._meta.db_table
_MESSAGE = Message._meta.db_table


# --- messages, any set by id ------------------------------------------------------------------

# (id, client id, batch id, campaign id, price, status before, recipient) of each message moved:
# what `messages_settle` needs.
_RETURNING_MOVED = " RETURNING m.id, m.client_id, m.batch_id, m.campaign_id, m.price, o.status, m.recipient"


def messages_move(*, ids, new: str, error_code: str = "", error_detail: str = "", now=None,
                  refund: bool | None = None) -> list[tuple]:
    """Moves messages to `new` where the status machine allows it, in one statement, and writes
    what that means: the money (`messages_settle`: capture, release or refund of their holds) and
    the webhook events. Returns the rows moved (id, client id, batch id, campaign id, price,
    status before, recipient), by id.

    `refund`: give the charge back. By default what the operator never took (REFUNDABLE: failed,
    cancelled, refused); an EXPIRED message is refunded only when the caller knows that no part
    of it ever reached the SMSC (its TTL ran out while it waited for a retry)."""
    now = now or timezone.now()
    ids = sorted(set(ids))
    if not ids:
        return []
    if refund is None:
        refund = new in REFUNDABLE
    sets = ["status = %(new)s", "updated_at = %(now)s"]
    if new in FINAL:
        sets.append("done_at = %(now)s")
    if new == Status.SUBMITTED:
        sets.append("submitted_at = %(now)s")
    if error_code:
        sets.append("error_code = %(code)s")
    if error_detail:
        sets.append("error_detail = %(detail)s")
    sql = (f"UPDATE {_MESSAGE} AS m SET {', '.join(sets)} "
           f"FROM (SELECT id, status FROM {_MESSAGE} "
           f"      WHERE id = ANY(%(ids)s::bigint[]) AND status = ANY(%(sources)s::text[]) "
           f"      ORDER BY id FOR UPDATE) AS o WHERE m.id = o.id" + _RETURNING_MOVED)
    with transaction.atomic():
        with raw_cursor() as cur:
            cur.execute(sql, {"new": str(new), "now": now, "code": error_code[:32], "detail": error_detail[:300],
                              "ids": ids, "sources": [str(s) for s in sources_for(new)]})
            moving = sorted(cur.fetchall())
        if not moving:
            return []
        messages_settle(moving, new=new, refund=refund)  # capture, release or refund their holds
        webhook_events_record(message_ids=[m[0] for m in moving], status=new, now=now)
    return moving


def messages_transition(*, ids, new: str, error_code: str = "", error_detail: str = "", now=None,
                        refund: bool | None = None) -> list[int]:
    """`messages_move`, returning only the ids that moved."""
    return [m[0] for m in messages_move(ids=ids, new=new, error_code=error_code, error_detail=error_detail,
                                        now=now, refund=refund)]


# --- checks made again when a message leaves for its connector (R-CMP-05, 03, 07) ---------------

# A recipient can reply STOP (or staff or the client can enter a block), two sends accepted at
# once can pass the 10-a-day cap together, and the sending window can close, after a send was
# accepted: each message not gone out yet is judged again when it is released and when its
# connector claims it. Its verdict, computed in the statement that moves it:
GO, STOPPED, CAPPED, OUT_OF_HOURS = 0, 1, 2, 3
OPTED_OUT = "opted_out"
OPTED_OUT_DETAIL = gettext_noop("The recipient opted out (STOP) before it was sent.")
FREQUENCY_CAP = "frequency_cap"
# Refused (final, the hold share released, a `refused` event): (error code, detail) by verdict.
REFUSALS = {STOPPED: (OPTED_OUT, OPTED_OUT_DETAIL),
            CAPPED: (FREQUENCY_CAP, gettext_noop("The recipient already had %(cap)s messages from you that day "
                                                 "(the daily limit)."))}
# OUT_OF_HOURS: the window is closed and the client's messages of that type are not exempt:
# SCHEDULED for the next opening (`send_at`; its lifetime moves by as much), reason OUTSIDE_SENDING_HOURS.


def _verdict_sql(s: str) -> str:
    """The verdict of the message row `s`: stop list first (one probe of its unique index), then
    the window (no query: `closed` and the exempt clients are parameters, from the process's
    caches), then the cap (one probe of the (client, recipient, send_at) index, reading at most
    `cap` entries; skipped for exempt clients' service messages): at least `cap` counted messages
    to the same recipient with a smaller id on the Kyiv day of its `send_at`."""
    # The Kyiv day of its send_at: today's bounds are parameters (a time zone conversion costs
    # more than the probe itself); other days are computed.
    today = f"{s}.send_at >= %(today)s AND {s}.send_at < %(tomorrow)s"
    day = f"date_trunc('day', {s}.send_at AT TIME ZONE %(tz)s)"
    start = f"(CASE WHEN {today} THEN %(today)s ELSE {day} AT TIME ZONE %(tz)s END)"
    end = f"(CASE WHEN {today} THEN %(tomorrow)s ELSE ({day} + interval '1 day') AT TIME ZONE %(tz)s END)"
    capped = (f"(SELECT 1 FROM {_MESSAGE} AS c WHERE c.client_id = {s}.client_id AND c.recipient = {s}.recipient "
              f"AND c.send_at >= {start} AND c.send_at < {end} AND c.id < {s}.id "
              f"AND c.status <> ALL(%(not_counted)s::text[]) OFFSET %(cap_offset)s LIMIT 1) IS NOT NULL")
    service = f"{s}.message_type = %(service)s"
    return (f"CASE WHEN {opted_out_sql(client=f'{s}.client_id', phone=f'{s}.recipient')} THEN {STOPPED} "
            f"WHEN %(closed)s AND NOT ({service} AND {s}.client_id = ANY(%(hours_exempt)s::bigint[])) "
            f"THEN {OUT_OF_HOURS} "
            f"WHEN NOT ({service} AND {s}.client_id = ANY(%(cap_exempt)s::bigint[])) AND {capped} THEN {CAPPED} "
            f"ELSE {GO} END")


def _set_verdict_sql(v: str) -> str:
    """What a statement writes for the verdict in column `v`: %(go)s when it goes, SCHEDULED at
    the next opening when held, REFUSED (final) with its reason when refused."""
    return (f"status = CASE {v} WHEN {GO} THEN %(go)s WHEN {OUT_OF_HOURS} THEN %(scheduled)s ELSE %(refused)s END, "
            f"updated_at = %(now)s, done_at = CASE WHEN {v} IN ({STOPPED}, {CAPPED}) THEN %(now)s ELSE m.done_at END, "
            f"error_code = CASE {v} WHEN {STOPPED} THEN %(stop_code)s WHEN {CAPPED} THEN %(cap_code)s "
            f"WHEN {OUT_OF_HOURS} THEN %(held_code)s ELSE m.error_code END, "
            f"error_detail = CASE {v} WHEN {STOPPED} THEN %(stop_detail)s WHEN {CAPPED} THEN %(cap_detail)s "
            f"WHEN {OUT_OF_HOURS} THEN %(held_detail)s ELSE m.error_detail END, "
            f"send_at = CASE WHEN {v} = {OUT_OF_HOURS} THEN %(opening)s ELSE m.send_at END, "
            f"valid_until = CASE WHEN {v} = {OUT_OF_HOURS} "
            f"THEN m.valid_until + (%(opening)s - coalesce(m.send_at, %(now)s)) ELSE m.valid_until END")


def _gate_params(now, go: str) -> dict:
    """The parameters of `_verdict_sql` and `_set_verdict_sql` at `now`: one query (the cache
    counters), none per message."""
    versions = Versions()
    calendar = sending_calendar_get(versions=versions)
    closed = not calendar.is_open(now)
    opening = calendar.next_opening(now) if closed else now
    cap = daily_cap()
    today, tomorrow = kyiv_day_bounds(now)
    return {"now": now, "today": today, "tomorrow": tomorrow, "go": go, "scheduled": Status.SCHEDULED, "refused": Status.REFUSED,
            "tz": KYIV.key, "not_counted": [str(s) for s in NOT_COUNTED], "cap_offset": max(cap - 1, 0),
            "service": MessageType.SERVICE, "closed": closed,
            "hours_exempt": sorted(sending_hours_exempt_clients(versions)) if closed else [],
            "cap_exempt": sorted(frequency_cap_exempt_clients(versions)), "opening": opening,
            "stop_code": OPTED_OUT, "stop_detail": gettext(OPTED_OUT_DETAIL), "cap_code": FREQUENCY_CAP,
            "cap_detail": gettext(REFUSALS[CAPPED][1]) % {"cap": cap}, "held_code": OUTSIDE_SENDING_HOURS,
            "held_detail": sending_hours_notice(opening)[:300]}


_RELEASE_SOURCES = [str(s) for s in sources_for(Status.QUEUED) if s in sources_for(Status.REFUSED)]
_SQL_RELEASE = (
    f"UPDATE {_MESSAGE} AS m SET {_set_verdict_sql('o.verdict')} "
    f"FROM (SELECT s.id, s.status, {_verdict_sql('s')} AS verdict "
    f"      FROM {_MESSAGE} AS s WHERE s.id = ANY(%(ids)s::bigint[]) AND s.status = ANY(%(sources)s::text[]) "
    f"      ORDER BY s.id FOR UPDATE OF s) AS o WHERE m.id = o.id" + _RETURNING_MOVED + ", o.verdict")


class Released(NamedTuple):
    queued: list[int]
    refused: list[int]
    held: list[int]  # still SCHEDULED, for the next opening of the sending window


def messages_release(*, ids, now=None) -> Released:
    """Scheduled messages whose time has come go to their connectors (QUEUED) in one statement,
    each judged again (`_verdict_sql`): REFUSED `opted_out` where the recipient is on its
    client's stop list by now (R-CMP-05), REFUSED `frequency_cap` where the recipient already
    has the day's cap of the client's messages with a smaller id (R-CMP-03) — their share of the
    hold released and their `refused` events written — and still SCHEDULED, for the next
    opening, where the sending window is closed and the client is not exempt for their type
    (R-CMP-07)."""
    now = now or timezone.now()
    ids = sorted(set(ids))
    if not ids:
        return Released([], [], [])
    params = _gate_params(now, Status.QUEUED) | {"ids": ids, "sources": _RELEASE_SOURCES}
    with transaction.atomic():
        with raw_cursor() as cur:
            cur.execute(_SQL_RELEASE, params)
            moved = sorted(cur.fetchall())
        refused = [m[:-1] for m in moved if m[-1] in REFUSALS]
        queued = [m[0] for m in moved if m[-1] == GO]
        if refused:
            _refused_write(refused, now)
        webhook_events_record(message_ids=queued, status=Status.QUEUED, now=now)
    return Released(queued, [m[0] for m in refused], [m[0] for m in moved if m[-1] == OUT_OF_HOURS])


_SQL_HOLD_QUEUED = (
    f"UPDATE {_MESSAGE} AS m SET {_set_verdict_sql(str(OUT_OF_HOURS))} "
    f"FROM (SELECT s.id FROM {_MESSAGE} AS s WHERE s.status = %(queued)s "
    f"      AND NOT (s.message_type = %(service)s AND s.client_id = ANY(%(hours_exempt)s::bigint[])) "
    f"      ORDER BY s.id LIMIT %(limit)s FOR UPDATE OF s SKIP LOCKED) AS o WHERE m.id = o.id RETURNING m.id")


def messages_hold_for_window(*, now=None, limit: int = 50_000) -> list[int]:
    """While the sending window is closed (R-CMP-07), QUEUED messages whose client is not exempt
    for their type go back to SCHEDULED for the next opening (reason OUTSIDE_SENDING_HOURS; their
    lifetime moves by as much): what was queued before the window closed and not claimed by
    then (the claim leaves them too). Nothing when the window is open. Returns their ids."""
    now = now or timezone.now()
    params = _gate_params(now, Status.QUEUED)
    if not params["closed"]:
        return []
    with raw_cursor() as cur:
        cur.execute(_SQL_HOLD_QUEUED, params | {"queued": Status.QUEUED, "limit": limit})
        return sorted(r[0] for r in cur.fetchall())


def _refused_write(moving, now) -> None:
    """What messages refused when they left (opted out, over the cap) mean: their share of the
    hold is released (never sent) and their `refused` events written."""
    messages_settle(moving, new=Status.REFUSED, refund=True)
    webhook_events_record(message_ids=[m[0] for m in moving], status=Status.REFUSED, now=now)


def _claim_verdicts(rows, now) -> list[tuple]:
    """The claim rows (`messages_claim_fresh_rows`, with their verdict last) of the messages that
    go, without the verdict; the money and events of those the claim refused are written here
    (those it held for the window need none: still only held)."""
    refused = sorted({r[0] for r in rows if r[7] in REFUSALS})
    if refused:
        with raw_cursor() as cur:
            cur.execute(f"SELECT id, client_id, batch_id, campaign_id, price, %s, recipient FROM {_MESSAGE} "
                        f"WHERE id = ANY(%s::bigint[]) ORDER BY id", [Status.QUEUED, refused])
            _refused_write(cur.fetchall(), now)
    return [r[:7] for r in rows if r[7] == GO]


# --- claims (QUEUED → SUBMITTING) ---------------------------------------------------------------

# Claims QUEUED messages of a route and writes their part rows in one statement: `segments`
# (computed at accept by the same split as the payloads) says how many; messages already past
# their lifetime get none (the caller expires them). Returns one row per part (part id NULL for
# those), with the message's verdict last (`_verdict_sql`): one whose recipient opted out or is
# over the day's cap since accept is REFUSED instead (R-CMP-05, 03), one the closed window
# holds goes back to SCHEDULED for the next opening (R-CMP-07); neither gets parts.
_SQL_CLAIM_FRESH = (
    f"WITH c AS (UPDATE {_MESSAGE} AS m SET {_set_verdict_sql('q.verdict')} "
    f"  FROM (SELECT s.id, {_verdict_sql('s')} AS verdict "
    f"        FROM {_MESSAGE} AS s WHERE s.route_id = %(route)s AND s.status = %(queued)s ORDER BY s.id "
    f"        LIMIT %(limit)s FOR UPDATE OF s SKIP LOCKED) AS q "
    f"  WHERE m.id = q.id RETURNING m.id, m.sender, m.recipient, m.text, m.valid_until, m.segments, q.verdict), "
    f"p AS (INSERT INTO {_PART} (message_id, seq, route_id, status, error_code, attempts, created_at, submitted_at) "
    f"  SELECT c.id, s, %(route)s, %(go)s, '', 1, %(now)s, %(now)s "
    f"  FROM c CROSS JOIN LATERAL generate_series(1, greatest(c.segments, 1)) AS s "
    f"  WHERE c.verdict = {GO} AND (c.valid_until IS NULL OR c.valid_until > %(now)s) RETURNING id, message_id, seq) "
    f"SELECT c.id, c.sender, c.recipient, c.text, c.valid_until, p.id, p.seq, c.verdict "
    f"FROM c LEFT JOIN p ON p.message_id = c.id ORDER BY c.id, p.seq")
_SQL_PARTS_INSERT = (
    f"INSERT INTO {_PART} (message_id, seq, route_id, status, error_code, attempts, created_at, submitted_at) "
    f"SELECT m, s, %s, %s, '', 1, %s, %s FROM unnest(%s::bigint[], %s::int[]) AS v(m, s) "
    f"RETURNING id, message_id, seq")


def _claim_fresh_params(route_id: int, limit: int, now) -> dict:
    return _gate_params(now, Status.SUBMITTING) | {"queued": Status.QUEUED, "route": route_id, "limit": limit}


def messages_claim_fresh_rows(*, route_id: int, limit: int, now) -> list[tuple]:
    """Rows (message id, sender, recipient, text, valid_until, part id, seq) of up to `limit`
    QUEUED messages of a route, now SUBMITTING under `SKIP LOCKED` (part id and seq None where
    the parts are still to write: `parts_insert_claimed`). No money moves and no event is
    written: the message is still only held. Messages whose recipient opted out or reached the
    day's cap meanwhile are REFUSED instead, those the closed sending window holds SCHEDULED
    again; both are left out (R-CMP-05, 03, 07)."""
    with raw_cursor() as cur:
        cur.execute(_SQL_CLAIM_FRESH, _claim_fresh_params(route_id, limit, now))
        return _claim_verdicts(cur.fetchall(), now)


def parts_insert_claimed(*, route_id: int, keys, now) -> dict[tuple[int, int], int]:
    """Stores the parts (message id, seq) of claimed messages, born SUBMITTING; {(message id,
    seq): part id}."""
    keys = list(keys)
    with raw_cursor() as cur:
        cur.execute(_SQL_PARTS_INSERT, [route_id, Status.SUBMITTING, now, now, [k[0] for k in keys],
                                        [k[1] for k in keys]])
        return {(m, s): i for i, m, s in cur.fetchall()}


def parts_claim_retries(*, route_id: int, limit: int, now) -> list[tuple]:
    """Parts of a route due for a retry (QUEUED, their message SUBMITTING and still alive) now
    SUBMITTING under `SKIP LOCKED`: rows (part id, message id, seq, attempts, sender, recipient,
    text, valid_until)."""
    with raw_cursor() as cur:
        cur.execute(
            f"UPDATE {_PART} AS p SET status = %s, submitted_at = %s, next_attempt_at = NULL "
            f"FROM (SELECT p2.id FROM {_PART} AS p2 JOIN {_MESSAGE} AS m2 ON m2.id = p2.message_id "
            f"      WHERE p2.route_id = %s AND p2.status = %s AND p2.next_attempt_at <= %s AND m2.status = %s "
            f"      AND (m2.valid_until IS NULL OR m2.valid_until > %s) "
            f"      ORDER BY p2.next_attempt_at LIMIT %s FOR UPDATE OF p2 SKIP LOCKED) AS c, {_MESSAGE} AS m "
            f"WHERE p.id = c.id AND m.id = p.message_id "
            f"RETURNING p.id, p.message_id, p.seq, p.attempts, m.sender, m.recipient, m.text, m.valid_until",
            [Status.SUBMITTING, now, route_id, Status.QUEUED, now, Status.SUBMITTING, now, limit])
        return cur.fetchall()


# --- accepted parts (SUBMITTING → SUBMITTED) and the messages they complete ---------------------

_SQL_SET_SUBMITTED = (
    f"UPDATE {_PART} AS p SET status = %s, smsc_message_id = v.sid, submitted_at = %s, next_attempt_at = %s, "
    f"error_code = '' FROM unnest(%s::bigint[], %s::text[]) AS v(id, sid) "
    f"WHERE p.id = v.id AND p.status = %s AND NOT EXISTS ("
    f"SELECT 1 FROM {_PART} AS d WHERE d.route_id = p.route_id AND d.smsc_message_id = v.sid) RETURNING p.id")
_SQL_MESSAGES_SUBMITTED = (
    f"UPDATE {_MESSAGE} AS m SET status = %s, submitted_at = %s, updated_at = %s "
    f"FROM unnest(%s::bigint[]) AS v(id) WHERE m.id = v.id AND m.status = %s")
_SQL_MESSAGES_SUBMITTED_IF_COMPLETE = (
    _SQL_MESSAGES_SUBMITTED + f" AND NOT EXISTS (SELECT 1 FROM {_PART} AS p WHERE p.message_id = m.id "
                              f"AND p.status IN (%s, %s))")
# What a capture needs of the messages that became SUBMITTED (`messages_capture`).
_RETURNING_PAID = " RETURNING m.id, m.client_id, m.batch_id, m.campaign_id, m.price"


def _set_submitted_params(rows, now, next_query_at) -> list:
    return [Status.SUBMITTED, now, next_query_at, [r[0] for r in rows], [r[2] for r in rows], Status.SUBMITTING]


def _messages_submitted_params(message_ids, now, only_complete: bool) -> list:
    params = [Status.SUBMITTED, now, now, list(message_ids), Status.SUBMITTING]
    return params + [Status.QUEUED, Status.SUBMITTING] if only_complete else params


def parts_set_submitted(*, rows, now, next_query_at) -> set[int]:
    """Accepted parts, rows (part id, message id, SMSC id), SUBMITTING → SUBMITTED with their id
    where it is still free on their route (first query_sm at `next_query_at`); returns their ids."""
    if not rows:
        return set()
    with raw_cursor() as cur:
        cur.execute(_SQL_SET_SUBMITTED, _set_submitted_params(rows, now, next_query_at))
        return {r[0] for r in cur.fetchall()}


def _paid(paid_rows, now) -> None:
    """What messages that just became SUBMITTED mean: their price is captured from their holds,
    and `submitted` events written for the endpoints that ask for them."""
    messages_capture(paid_rows)
    webhook_events_submitted(paid=paid_rows, now=now)


def messages_set_submitted(*, message_ids, now, only_complete: bool = False) -> int:
    """Messages SUBMITTING → SUBMITTED (`only_complete`: those with no part still waiting or
    unanswered); their price is captured. Returns how many moved."""
    message_ids = list(message_ids)
    if not message_ids:
        return 0
    sql = _SQL_MESSAGES_SUBMITTED_IF_COMPLETE if only_complete else _SQL_MESSAGES_SUBMITTED
    with raw_cursor() as cur:
        cur.execute(sql + _RETURNING_PAID, _messages_submitted_params(message_ids, now, only_complete))
        paid = cur.fetchall()
    _paid(paid, now)
    return len(paid)


def connector_results_write(*, route_id: int, rows, complete, fresh: int, now, next_query_at,
                            also=()) -> tuple[set[int], list[tuple]]:
    """The hot part of a connector's flush as one pipeline (one round trip instead of one per
    statement): accepted parts (`rows` of part id, message id, SMSC id, each id once), the
    messages now SUBMITTED (`complete`: wholly accepted; the other messages of these parts once
    nothing of theirs is waiting), `also` statements (sql, params) that write no status (the
    receipts), and the claim of up to `fresh` QUEUED messages. Returns (ids of the parts stored,
    claim rows as `messages_claim_fresh_rows`)."""
    complete = sorted(set(complete))
    others = sorted({r[1] for r in rows} - set(complete))
    conn = connection.connection
    accepted = claim = None
    paid = []  # cursors returning the messages now SUBMITTED, whose price is captured
    # before the pipeline: the claim's parameters read the cache counters (one query)
    claim_params = _claim_fresh_params(route_id, fresh, now) if fresh > 0 else None
    with conn.pipeline():
        if rows:
            accepted = psycopg.Cursor(conn)
            accepted.execute(_SQL_SET_SUBMITTED, _set_submitted_params(rows, now, next_query_at))
        if complete:
            paid.append(psycopg.Cursor(conn))
            paid[-1].execute(_SQL_MESSAGES_SUBMITTED + _RETURNING_PAID,
                             _messages_submitted_params(complete, now, False))
        if others:
            paid.append(psycopg.Cursor(conn))
            paid[-1].execute(_SQL_MESSAGES_SUBMITTED_IF_COMPLETE + _RETURNING_PAID,
                             _messages_submitted_params(others, now, True))
        for sql, params in also:
            psycopg.Cursor(conn).execute(sql, params)
        if fresh > 0:
            claim = psycopg.Cursor(conn)
            claim.execute(_SQL_CLAIM_FRESH, claim_params)
    stored = {r[0] for r in accepted.fetchall()} if accepted is not None else set()
    if paid:
        _paid([row for cur in paid for row in cur.fetchall()], now)
    return stored, (_claim_verdicts(claim.fetchall(), now) if claim is not None else [])


# --- receipts ---------------------------------------------------------------------------------


def parts_set_outcomes(*, changed: dict[int, tuple[str, str]], now) -> None:
    """Receipt outcomes: {part id: (status, error code or "")} in one statement. The caller has
    checked each move (a final status never goes back; EXPIRED may still become a receipt's
    outcome within the receipt window)."""
    if not changed:
        return
    ids = sorted(changed)
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {_PART} AS p SET status = v.st, done_at = %s, next_attempt_at = NULL, "
            f"error_code = CASE WHEN v.err <> '' THEN v.err ELSE p.error_code END "
            f"FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS v(id, st, err) WHERE p.id = v.id",
            [now, ids, [changed[i][0] for i in ids], [changed[i][1] for i in ids]])


# --- the other moves of parts -----------------------------------------------------------------


def parts_move(*, new: str, sources, ids=None, message_ids=None, now=None, unanswered: bool = False,
               **fields) -> int:
    """Parts (by id, or every part of `message_ids`) in one of `sources` move to `new`, with
    `fields` (error code, attempts, next attempt, SMSC id…); `done_at` is set when `new` is final.
    `unanswered`: only parts without an SMSC id (never accepted). Returns how many moved.
    A part follows its message's machine: a move the machine does not allow is refused."""
    for source in sources:
        check_transition(source, new)
    parts = MessagePart.objects.filter(status__in=list(sources))
    if ids is not None:
        parts = parts.filter(pk__in=list(ids))
    if message_ids is not None:
        parts = parts.filter(message_id__in=list(message_ids))
    if unanswered:
        parts = parts.filter(smsc_message_id__isnull=True)
    if new in FINAL and now is not None:
        fields.setdefault("done_at", now)
    return parts.update(status=new, **fields)


# --- Viber messages (messaging.viber.dispatch) ----------------------------------------------------

_SQL_VIBER_CLAIM = (
    f"UPDATE {_MESSAGE} AS m SET {_set_verdict_sql('o.verdict')} "
    f"FROM (SELECT s.id, s.status, {_verdict_sql('s')} AS verdict FROM {_MESSAGE} AS s "
    f"      WHERE s.channel = 'viber' AND s.status = %(queued)s AND (s.send_at IS NULL OR s.send_at <= %(now)s) "
    f"        AND (s.valid_until IS NULL OR s.valid_until >= %(now)s) "
    f"      ORDER BY s.id LIMIT %(limit)s FOR UPDATE OF s SKIP LOCKED) AS o WHERE m.id = o.id"
    + _RETURNING_MOVED + ", o.verdict")


def viber_messages_claim(*, limit: int, now=None) -> list[int]:
    """Up to `limit` QUEUED Viber messages that are due, oldest first, SUBMITTING under `SKIP
    LOCKED` (the partial index message_viber_claim_idx), judged again as an SMS claim is: REFUSED
    `opted_out` or `frequency_cap` (their hold share released, `refused` events), SCHEDULED again
    while the sending window is closed (R-CMP-05, 03, 07). Returns the ids of those that go."""
    now = now or timezone.now()
    params = _gate_params(now, Status.SUBMITTING) | {"queued": Status.QUEUED, "limit": limit}
    with transaction.atomic():
        with raw_cursor() as cur:
            cur.execute(_SQL_VIBER_CLAIM, params)
            moved = sorted(cur.fetchall())
        refused = [m[:-1] for m in moved if m[-1] in REFUSALS]
        if refused:
            _refused_write(refused, now)
    return [m[0] for m in moved if m[-1] == GO]


def viber_messages_requeue(*, ids, retry_at, now=None, sources=(Status.SUBMITTING,)) -> list[int]:
    """Claimed Viber messages the provider could not take now go back to the queue, due again at
    `retry_at` (a send is idempotent by its sequence id, so a retry never sends twice). No money
    moves: they are still held."""
    now = now or timezone.now()
    ids = sorted(set(ids))
    if not ids:
        return []
    for source in sources:
        check_transition(source, Status.QUEUED)
    with raw_cursor() as cur:
        cur.execute(f"UPDATE {_MESSAGE} AS m SET status = %s, send_at = %s, updated_at = %s "
                    f"WHERE m.id = ANY(%s::bigint[]) AND m.status = ANY(%s::text[]) AND m.channel = 'viber' "
                    f"RETURNING m.id", [Status.QUEUED, retry_at, now, ids, [str(s) for s in sources]])
        return sorted(r[0] for r in cur.fetchall())
