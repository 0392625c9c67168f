"""Accounts core: audit records, clients, the can-send check."""
from django.db import connection, transaction

from smsportal.errors import ApplicationError

from ..models import AuditEvent, Client, User


class AccountBlocked(ApplicationError):
    code = "account_blocked"
    status = 403
    default_detail = "This account is blocked and cannot send."


def audit_record(*, code: str, actor=None, client=None, target: str = "", details: dict | None = None) -> AuditEvent:
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    # The target is a label (a URL, a name): cut to the column, or a long one made the whole action a 500.
    target = (target or "")[:AuditEvent._meta.get_field("target").max_length]
    return AuditEvent.objects.create(actor=actor, client=client, code=code, target=target, details=details or {})


def client_create(*, name: str, owner: User | None = None, **details) -> Client:
    """A new organization with its wallet; `owner` becomes its first user. `details`: model
    fields known at sign-up (legal_form, tax_code, review_flag)."""
    from billing.services import wallet_open  # billing depends on accounts, not the reverse at import

    with transaction.atomic():
        client = Client.objects.create(name=name.strip() or "My company", **details)
        wallet_open(client=client)
        if owner is not None:
            owner.client = client
            owner.role = User.Role.OWNER
            owner.save(update_fields=["client", "role"])
        audit_record(code="accounts.client.created", actor=owner, client=client, target=str(client.public_id))
    return client


def client_assert_can_send(client: Client) -> None:
    if not client.can_send:
        reason = f" Reason: {client.status_reason}" if client.status_reason else ""
        raise AccountBlocked(f"This account is {client.get_status_display().lower()} and cannot send.{reason}")


def client_lock_for_send(client: Client) -> Client:
    """Inside the caller's transaction: locks the client row against a block (FOR SHARE: sends of
    the same client do not wait for each other) and asserts it can send, as it is now.

    Call it where messages are stored, before their hold. A block (`client_block`) locks the same
    row FOR UPDATE before it cancels what is queued, so either the block waits for this
    transaction and cancels its messages, or this transaction sees the block and stores nothing
    (R-ACC-06)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT status, status_reason FROM {Client._meta.db_table} WHERE id = %s FOR SHARE",
                       [client.pk])
        client.status, client.status_reason = cursor.fetchone()
    client_assert_can_send(client)
    return client


def accounts_settings_get():
    from ..models import AccountsSettings  # noqa: PLC0415

    row = AccountsSettings.objects.order_by("id").first()
    return row or AccountsSettings.objects.create()


def client_messages_cancel(*, client: Client, statuses, error_code: str, error_detail: str,
                           batch: int = 5000) -> int:
    """Cancels the client's messages in `statuses` that no connector has claimed yet; each
    message's reservation goes back to the wallet (messaging's status machine does both)."""
    from messaging.models import Message  # noqa: PLC0415 (messaging sits above accounts, on purpose)
    from messaging.services import messages_transition  # noqa: PLC0415
    from messaging.status import Status  # noqa: PLC0415

    done = 0
    while ids := list(Message.objects.filter(client=client, status__in=list(statuses)).order_by("pk")
                      .values_list("pk", flat=True)[:batch]):
        moved = messages_transition(ids=ids, new=Status.CANCELLED, error_code=error_code, error_detail=error_detail)
        if not moved:
            break
        done += len(moved)
    return done
