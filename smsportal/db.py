"""PostgreSQL helpers shared by the apps."""
import psycopg
from django.db import connection, transaction


def commit_without_waiting_for_disk() -> None:
    """Inside an atomic block: its COMMIT returns (and releases its row locks) as soon as the
    commit record is written, without waiting for the disk; the caller then waits, after the
    commit and outside every lock, until the commit is on disk (`wal_flush`). What the caller
    answers is as durable as with a normal commit, but the rows it locked are held for
    microseconds instead of a disk flush (about 4 ms here), and the flushes of concurrent
    requests are shared.

    For transactions that hold a hot row until they commit: a send holds its client's wallet
    row, so every send of one client waited for the disk flush of the one before. A send also
    NOTIFYs the connector, and PostgreSQL serialises the commits of all notifying transactions
    (the notification queue's lock is held to the end of the commit): with the flush inside it,
    the sends of all clients queued behind each other's flushes. The NOTIFY stays in the
    transaction (the connector is woken exactly when the messages are visible), and costs no
    flush there now.

    What a crash between the commit and the flush can lose, nobody was told about: the request
    had not answered yet. Another transaction that read the rows in that window and commits
    (normally) flushes them too, as the log is written in order: the SMPP connector commits
    its claim of a message before it submits it, so nothing is sent for a send the database
    could forget."""
    with connection.cursor() as cursor:
        cursor.execute(ASYNC_COMMIT_SQL)
    wal_flush_after_commit()


# What `commit_without_waiting_for_disk` runs in the transaction. A caller that already sends a
# pipeline of statements (the SMPP connector's flush) sends this one with them instead (it applies
# to the COMMIT wherever it comes in the transaction), and calls `wal_flush_after_commit`: the same
# commit without the extra round trip to the database.
ASYNC_COMMIT_SQL = "SET LOCAL synchronous_commit TO OFF"


def wal_flush_after_commit() -> None:
    """The other half of `commit_without_waiting_for_disk`, for a caller that runs
    `ASYNC_COMMIT_SQL` itself: `wal_flush` once the transaction has committed."""
    transaction.on_commit(wal_flush)


def wal_flush() -> None:
    """Returns when everything committed so far is on disk: a transactional WAL record in a
    transaction of its own, whose normal commit flushes the log up to and past it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_logical_emit_message(true, 'smsportal', '')")


def raw_cursor() -> psycopg.Cursor:
    """A psycopg cursor with server-side binding on Django's connection (and its transaction):
    arrays travel as arrays, for the set-based statements of the hot paths."""
    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)
