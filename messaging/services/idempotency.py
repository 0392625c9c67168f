"""Idempotent API POSTs: the same `Idempotency-Key` from the same client on the same endpoint
does the work once; every repeat, concurrent or later, gets the first answer (status and body).

How it holds under concurrency (PostgreSQL): the key's row is inserted first, with
`INSERT … ON CONFLICT DO NOTHING`, in the transaction that then does the work and stores its
answer on the row. The unique constraint (client, endpoint, key) is the lock taken before the
check: a second request with the key waits on the first one's uncommitted row, and when that
commits, reads the stored answer. No "in progress" state is ever visible, so a crashed request
leaves nothing behind (its transaction is rolled back, its key free).

- The same key with other parameters: 422 `idempotency_key_reused`, nothing done.
- A request refused (a 4xx: validation, insufficient funds, …) stores no answer: its row is
  deleted in its own transaction (what the refusal itself records, such as a campaign marked
  failed, is kept), so a corrected retry with the same key is carried out. A request waiting on
  it then runs for itself.
- Keys are kept `RETENTION` (48 hours), then purged by a nightly job.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from smsportal.errors import ApplicationError

if TYPE_CHECKING:
    from accounts.models import Client  # annotations only: messaging never imports accounts' models

from ..models import IdempotencyKey

log = logging.getLogger("smsportal.messaging")

RETENTION = timedelta(hours=48)
KEY_MAX = 200
_TABLE = IdempotencyKey._meta.db_table


class InvalidIdempotencyKey(ApplicationError):
    code = "invalid_idempotency_key"


class IdempotencyKeyReused(ApplicationError):
    code = "idempotency_key_reused"
    status = 422
    default_detail = _("This Idempotency-Key was already used with other parameters on this endpoint. "
                       "Use a new key for a new request.")


class IdempotencyKeyInUse(ApplicationError):
    code = "idempotency_key_in_use"
    status = 409
    default_detail = _("Another request with this Idempotency-Key is being processed; retry it.")


@dataclass(frozen=True)
class Answer:
    status: int
    body: object
    replayed: bool = False


def idempotency_key_check(key: str | None) -> str | None:
    """The key as given, or None without one (an empty header is none). At most 200 printable
    characters: a longer key would have to be cut, and two requests sharing the first 200
    characters would answer each other."""
    if not key:
        return None
    if len(key) > KEY_MAX:
        raise InvalidIdempotencyKey(_("Idempotency-Key is at most %(max)s characters (%(given)s given).")
                                    % {"max": KEY_MAX, "given": number_format(len(key), force_grouping=True)})
    if not key.isprintable():
        raise InvalidIdempotencyKey(_("Idempotency-Key may contain only printable characters."))
    return key


def _canonical(value):
    """An uploaded file counts by its content (two imports of one file name but other rows are
    different requests); anything else that JSON cannot carry, by its text."""
    if hasattr(value, "chunks") and hasattr(value, "seek"):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": getattr(value, "name", ""), "sha256": digest.hexdigest()}
    return str(value)


def request_fingerprint(params) -> str:
    """SHA-256 of the parameters as canonical JSON: the same parameters in another key order or
    spacing are the same request."""
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_canonical)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _claim(client_id: int, endpoint: str, key: str, fingerprint: str) -> int | None:
    """Inserts the key's row; returns its id, or None when a committed request holds the key.
    Waits while another transaction holds the same key uncommitted."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_TABLE} (client_id, endpoint, key, fingerprint, response_body, created_at) "
            f"VALUES (%s, %s, %s, %s, '', %s) "
            f"ON CONFLICT (client_id, endpoint, key) DO NOTHING RETURNING id",
            [client_id, endpoint, key, fingerprint, timezone.now()])
        row = cursor.fetchone()
        return row[0] if row else None


def idempotent_run(*, client: Client, endpoint: str, key: str | None, fingerprint: str, run,
                   refusals: tuple[type[BaseException], ...] = (ApplicationError,)) -> Answer:
    """Runs `run()` → (status, body as JSON text) once per (client, endpoint, key); repeats get its answer.

    Without a key, just runs it. `refusals`: the exceptions that mean "refused, not done" (4xx):
    the key is let go and the exception raised again. Any other exception rolls everything back
    (the key with it). The work runs inside this transaction: it must not call out (SMPP, HTTP)
    and must enqueue tasks on commit."""
    if not key:
        status, body = run()
        return Answer(status, body)
    for _attempt in range(3):
        refused = None
        with transaction.atomic():
            row_id = _claim(client.pk, endpoint, key, fingerprint)
            if row_id is None:
                found = (IdempotencyKey.objects.filter(client=client, endpoint=endpoint, key=key)
                         .values_list("fingerprint", "response_status", "response_body").first())
                if found is None:
                    continue  # purged between the insert and this read: claim it again
                if found[0] != fingerprint:
                    raise IdempotencyKeyReused()
                return Answer(found[1], found[2], replayed=True)
            try:
                status, body = run()
            except refusals as exc:
                if transaction.get_rollback():
                    raise  # the transaction cannot go on: all of it is undone, the key too
                IdempotencyKey.objects.filter(pk=row_id).delete()
                refused = exc
            else:
                IdempotencyKey.objects.filter(pk=row_id).update(response_status=status, response_body=body)
                return Answer(status, body)
        raise refused
    # The key vanished three times between its claim and its read: let the client retry.
    raise IdempotencyKeyInUse()


def idempotency_keys_purge(*, now=None) -> int:
    """Deletes keys older than `RETENTION`; returns how many."""
    now = now or timezone.now()
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=now - RETENTION).delete()
    if deleted:
        log.info("purged %s idempotency keys older than %s", deleted, RETENTION)
    return deleted
