"""Every write of the accounts app."""
import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from smsportal.errors import ApplicationError, NotFound

from .models import ApiKey, AuditEvent, Client, User

API_KEY_PREFIX = "sp_"


class AccountBlocked(ApplicationError):
    code = "account_blocked"
    status = 403
    default_detail = "This account is blocked and cannot send."


def audit_record(*, code: str, actor=None, client=None, target: str = "", details: dict | None = None) -> AuditEvent:
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent.objects.create(actor=actor, client=client, code=code, target=target, details=details or {})


def client_create(*, name: str, owner: User | None = None) -> Client:
    """A new organization with its wallet; `owner` becomes its first user."""
    from billing.services import wallet_open  # billing depends on accounts, not the reverse at import

    with transaction.atomic():
        client = Client.objects.create(name=name.strip() or "My company")
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


def _hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_key_create(*, client: Client, name: str, created_by: User | None = None) -> tuple[ApiKey, str]:
    """Returns the key row and the raw key; the raw key is never stored and never shown again."""
    name = (name or "").strip() or "API key"
    prefix = secrets.token_hex(4)
    raw = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(client=client, name=name[:100], prefix=prefix, key_hash=_hash_key(raw),
                                created_by=created_by)
    audit_record(code="accounts.api_key.created", actor=created_by, client=client, target=prefix,
                 details={"name": key.name})
    return key, raw


def api_key_revoke(*, client: Client, key_id: int, actor: User | None = None) -> ApiKey:
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().filter(client=client, pk=key_id).first()
        if key is None:
            raise NotFound("No such API key.")
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            audit_record(code="accounts.api_key.revoked", actor=actor, client=client, target=key.prefix)
    return key


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The active key matching `raw`, with its client; records the last use (at most once a minute)."""
    if not raw or not raw.startswith(API_KEY_PREFIX):
        return None
    key = (ApiKey.objects.select_related("client")
           .filter(key_hash=_hash_key(raw), revoked_at__isnull=True).first())
    if key is None:
        return None
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


DORMANT_AFTER_DAYS = 3 * 365


def clients_block_dormant(*, now=None) -> int:
    """Blocks active clients whose last top-up is over 3 years old and who spent nothing since."""
    from billing.models import LedgerEntry  # noqa: PLC0415 (billing sits above accounts)

    now = now or timezone.now()
    cutoff = now - timedelta(days=DORMANT_AFTER_DAYS)
    last_topup = (LedgerEntry.objects.filter(wallet__client=OuterRef("pk"), kind=LedgerEntry.Kind.TOPUP)
                  .order_by("-created_at").values("created_at")[:1])
    candidates = (Client.objects.filter(status=Client.Status.ACTIVE)
                  .annotate(last_topup=Subquery(last_topup)).filter(last_topup__lt=cutoff))
    spent_since = LedgerEntry.objects.filter(wallet__client=OuterRef("pk"), kind=LedgerEntry.Kind.CHARGE,
                                             created_at__gte=OuterRef("last_topup"))
    blocked = 0
    for client in candidates.annotate(spent=Exists(spent_since)).filter(spent=False):
        with transaction.atomic():
            Client.objects.filter(pk=client.pk, status=Client.Status.ACTIVE).update(
                status=Client.Status.DORMANT,
                status_reason="No use of funds for 3 years since the last top-up; contact support to verify the owner.")
            audit_record(code="accounts.client.dormant", client=client, target=str(client.public_id))
        blocked += 1
    return blocked
