"""Accounts core: audit records, clients, the can-send check."""
from django.db import connection, transaction
from django.utils.translation import gettext, gettext_lazy

from smsportal.errors import ApplicationError

from ..models import AuditEvent, Client, User
from ..signals import client_created


class AccountBlocked(ApplicationError):
    code = "account_blocked"
    status = 403
    default_detail = gettext_lazy("This account is blocked and cannot send.")


def audit_record(*, code: str, actor=None, client=None, target: str = "", details: dict | None = None) -> AuditEvent:
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    # The target is a label (a URL, a name): cut to the column, or a long one made the whole action a 500.
    target = (target or "")[:AuditEvent._meta.get_field("target").max_length]
    return AuditEvent.objects.create(actor=actor, client=client, code=code, target=target, details=details or {})


def client_create(*, name: str, owner: User | None = None, **details) -> Client:
    """A new organization; `owner` becomes its first user. `details`: model fields known at
    sign-up (legal_form, tax_code, review_flag). The apps above accounts set up their part in the
    same transaction through the `client_created` signal (billing opens the wallet)."""
    with transaction.atomic():
        client = Client.objects.create(name=name.strip() or "My company", **details)
        client_created.send(sender=Client, client=client)
        if owner is not None:
            owner.client = client
            owner.role = User.Role.OWNER
            owner.save(update_fields=["client", "role"])
        audit_record(code="accounts.client.created", actor=owner, client=client, target=str(client.public_id))
    return client


def user_create(*, email: str, password: str, first_name: str = "", last_name: str = "",
                staff: bool = False) -> User:
    """A login whose email is already proven (verified, primary): a staff superuser (`staff`) or a
    user who joins a client with `client_create(owner=...)`. For set-up commands; people sign up
    through the website."""
    from allauth.account.models import EmailAddress  # noqa: PLC0415

    with transaction.atomic():
        make = User.objects.create_superuser if staff else User.objects.create_user
        user = make(email, password, first_name=first_name, last_name=last_name)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        audit_record(code="accounts.user.created", target=user.email, details={"staff": staff})
    return user


def client_assert_can_send(client: Client) -> None:
    if not client.can_send:
        reason = f" Reason: {client.status_reason}" if client.status_reason else ""
        raise AccountBlocked(gettext("This account is %(get_status_display)s and cannot send.%(reason)s") % {
            "get_status_display": client.get_status_display().lower(), "reason": reason})


def client_lock_for_send(client: Client) -> Client:
    """Inside the caller's transaction: locks the client row against a block (FOR SHARE: sends of
    the same client do not wait for each other) and asserts it can send, as it is now.

    Call it where messages are stored, before their hold. A block (`client_block_open`) locks the same
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


def clients_lock_active(client_ids) -> list[int]:
    """Inside the caller's transaction: locks the clients' rows against a block (FOR SHARE, as
    `client_lock_for_send`) and returns the ids of those that are active and may send."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {Client._meta.db_table} WHERE id = ANY(%s) AND status = %s "
                       f"ORDER BY id FOR SHARE", [list(client_ids), Client.Status.ACTIVE])
        return [row[0] for row in cursor.fetchall()]


def system_client_get() -> Client:
    """The provider's own account, which sends one-time codes and notices (created on first use,
    with its wallet through `client_created`)."""
    client = Client.objects.filter(is_system=True).first()
    if client is None:
        with transaction.atomic():
            client, created = Client.objects.get_or_create(is_system=True, defaults={"name": "smsportal (system)"})
            if created:
                client_created.send(sender=Client, client=client)
    return client
