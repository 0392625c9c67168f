"""Block, termination and destruction of a client's data across the apps (R-ACC-02, 06, 07, 08).

Every step is one app's own service; this module only decides the order and the transaction:

- block: accounts locks the client row and marks it blocked, then messaging cancels what waits
  for the operator, in one transaction, so no send of the client stores a message in between
  (R-ACC-06); then the block is audited with what was cancelled.
- termination: accounts stops the account (status, API keys, invitations), messaging cancels
  what was not sent, in one transaction; audited.
- destruction a year later: messaging names the campaigns the ledger quotes, billing forgets
  those names in its ledger descriptions (its one documented, audited change to written rows),
  messaging, compliance and senders destroy their personal data, accounts last (it records the
  destruction with every app's counts).
"""
from django.db import transaction
from django.utils import timezone

from accounts.models import Client, ClientBlock
from accounts.selectors import clients_linked_to
from accounts.services import audit_record
from accounts.services.blocking import DORMANT_AFTER_YEARS, DORMANT_REASON, BlockError, client_block_open
from accounts.services.termination import (accounts_personal_data_destroy, client_access_stop,
                                           client_lock_if_termination_due, client_termination_record,
                                           clients_personal_data_due, clients_termination_due)
from billing.selectors import clients_without_spend_since_topup
from billing.services.privacy import ledger_personal_data_destroy
from compliance.services import opt_outs_personal_data_destroy
from messaging.services.client_stop import (BATCH, campaign_labels, messages_cancel_for_client_stop,
                                            messaging_personal_data_destroy)
from senders.services import sender_names_personal_data_destroy
from smsportal.kyiv import kyiv_date, kyiv_midnight
from smsportal.periods import kyiv_earliest_start_covering

from .models import Complaint


def client_block(*, client: Client, reason: str, actor=None, kind: str = ClientBlock.Kind.STAFF,
                 notify: bool = True) -> ClientBlock:
    """Blocks the account with a reason the client sees and stops its sending at once: what waits
    for the operator is cancelled and its reservation released; scheduled messages wait for the
    unblock (the per-minute job skips them). Notifies at commit (SMS + email)."""
    with transaction.atomic():
        block = client_block_open(client=client, reason=reason, actor=actor, kind=kind, notify=notify)
        cancelled = messages_cancel_for_client_stop(
            client=block.client, statuses=("queued",), error_code="account_blocked",
            error_detail="The account was blocked before the message was sent.")
        audit_record(code="accounts.client.dormant" if kind == ClientBlock.Kind.DORMANT else "accounts.client.blocked",
                     actor=actor, client=block.client, target=str(block.client.public_id),
                     details={"reason": block.reason, "cancelled_messages": cancelled})
    return block


def client_block_with_linked(*, client: Client, reason: str, actor=None) -> list[ClientBlock]:
    """Blocks the account and every account linked to it by phone or legal code (R-ACC-02)."""
    blocks = []
    with transaction.atomic():
        for target in [client, *clients_linked_to(client)]:
            if target.status in (Client.Status.ACTIVE, Client.Status.DORMANT) and not target.blocks.filter(
                    lifted_at__isnull=True).exists():
                blocks.append(client_block(client=target, reason=reason, actor=actor))
    return blocks


def clients_block_dormant(*, now=None) -> int:
    """Daily: blocks active clients whose last top-up (or, with none, sign-up) is over 3 years old
    and who used no funds since (T 3.3.2, R-ACC-07). Unblocked by staff once the owner is verified."""
    now = now or timezone.now()
    blocked = 0
    cutoff = kyiv_earliest_start_covering(kyiv_date(now), years=DORMANT_AFTER_YEARS)
    for client in clients_without_spend_since_topup(before=kyiv_midnight(cutoff)):
        try:
            client_block(client=client, reason=DORMANT_REASON, kind=ClientBlock.Kind.DORMANT)
        except BlockError:
            continue
        blocked += 1
    return blocked


def _client_stop(client: Client, *, at, actor=None) -> None:
    """Inside a transaction holding the client row: the account stops in every app."""
    client_access_stop(client=client, at=at)
    # What it scheduled, queued or has held for review and was not handed to an operator yet is
    # cancelled, and its reservation goes back to the wallet.
    cancelled = messages_cancel_for_client_stop(
        client=client, statuses=("scheduled", "queued", "pending_review"), error_code="account_terminated",
        error_detail="The account was terminated before the message was sent.")
    audit_record(code="accounts.client.terminated", actor=actor, client=client, target=str(client.public_id),
                 details={"reason": client.termination_reason, "cancelled_messages": cancelled})


def client_terminate(*, client: Client, reason: str, actor=None, at=None) -> Client:
    """Staff terminate the account now (or schedule it for `at`)."""
    with transaction.atomic():
        client, now = client_termination_record(client=client, reason=reason, actor=actor, at=at)
        if now:
            _client_stop(client, at=timezone.now(), actor=actor)
    return client


def clients_terminate_due(*, now=None) -> int:
    """Daily: accounts whose notice period ended stop now."""
    now = now or timezone.now()
    done = 0
    for pk in clients_termination_due(now=now):
        with transaction.atomic():
            client = client_lock_if_termination_due(pk=pk, now=now)
            if client is not None:
                _client_stop(client, at=client.terminates_at)
                done += 1
    return done


def client_personal_data_destroy(*, client: Client, batch: int = BATCH) -> dict:
    """Destroys the client's personal data and recipient database in every app; keeps the
    anonymized ledger (amounts, dates, counts; campaign names replaced by their ids) and invoices
    (accounting documents) (R-ACC-08). Returns what each app destroyed, by kind."""
    counts = {"ledger_texts": ledger_personal_data_destroy(client=client, labels=campaign_labels(client=client))}
    counts.update(messaging_personal_data_destroy(client=client, batch=batch))
    counts["opt_outs"] = opt_outs_personal_data_destroy(client=client)
    counts["sender_names"] = sender_names_personal_data_destroy(client=client)
    counts["complaints"] = complaints_personal_data_destroy(client=client)
    return accounts_personal_data_destroy(client=client, counts=counts)


def complaints_personal_data_destroy(*, client: Client) -> int:
    """The complaints about the client's messages keep dates, status and decision; who complained,
    how to reach them and the texts (the complaint, the answer) are erased (R-ACC-08)."""
    return Complaint.objects.filter(client=client).exclude(
        complainant="", complainant_contact="", subject="", answer="").update(
        complainant="", complainant_contact="", subject="", answer="")


def clients_destroy_personal_data(*, now=None) -> int:
    """Daily: a year after termination, destroy personal data and recipient lists (T 10.4)."""
    done = 0
    for client in clients_personal_data_due(now=now or timezone.now()):
        client_personal_data_destroy(client=client)
        done += 1
    return done
