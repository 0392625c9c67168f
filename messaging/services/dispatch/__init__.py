"""The SMPP connector's side of the database: claims, results, retries, in-doubt parts, delivery
receipts, query_sm polling and expiry. Every status these write goes through the status door
(`messaging.services.transitions`).

The lifecycle of a part (one submit_sm) and what the connector writes at each step:

    message QUEUED ──claim, committed──▶ message SUBMITTING, its parts SUBMITTING
    part SUBMITTING ──written to the socket at once──▶
        submit_sm_resp ok        → SUBMITTED (smsc id), polled with query_sm until a receipt
        throttled                → resent by the same bind, byte-identical
        temporary error          → QUEUED with next_attempt_at (backoff), claimed again when due,
                                   or EXPIRED when that is past the message's lifetime
        permanent error          → FAILED (the message FAILED and refunded)
        no answer / link lost    → stays SUBMITTING, flagged `in_doubt`: never resent
                                   (the policy is in messaging.smpp.connector)
    claimed but never written (the bind stops or loses its link first) → QUEUED, due at once

Hot paths (claims, results, receipts) use set-based SQL on PostgreSQL (`unnest` arrays, one
statement per batch).

Modules: `smpp_errors` (the SMPP error table, backoff), `payloads` (a part's submit_sm bytes),
`release` (scheduled and bulk messages whose time came), `claims`, `results` (the connector's
flush), `receipts` (and query_sm), `in_doubt` (parts never answered, matched by receipts),
`expiry` (lifetime and receipt window).
"""
from .claims import ClaimedPart, parts_claim, parts_release  # noqa: F401
from .expiry import (messages_expire_overdue, messages_expire_stale, messages_expire_ttl,  # noqa: F401
                     messages_submitted_sweep)
from .in_doubt import (IN_DOUBT, IN_DOUBT_AFTER, IN_DOUBT_MATCH_AFTER, parts_flag_in_doubt,  # noqa: F401
                       parts_in_doubt_count)
from .payloads import part_payloads  # noqa: F401
from .receipts import (QUERY_SCHEDULE, RECEIPT_WINDOW, STAT_OUTCOME, UNMATCHED_GIVE_UP_AFTER,  # noqa: F401
                       next_query_at, parts_due_for_query, receipts_apply, receipts_store)
from .release import messages_release_due  # noqa: F401
from .results import connector_flush, parts_refused, parts_submitted  # noqa: F401
from .smpp_errors import (GENERIC_NACK, PERMANENT, SMPP_ERRORS, TEMPORARY, THROTTLE, retry_delay,  # noqa: F401
                          smpp_error_code, smpp_error_detail, smpp_error_kind)
