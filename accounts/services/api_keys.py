"""API keys (R-ACC-04): several per client, named, shown once, stored hashed, prefix visible,
last use recorded, revoke and regenerate, optional IP allow-list per key."""
import hashlib
import ipaddress
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from smsportal.errors import ApplicationError, NotFound

from ..models import ApiKey, Client, User
from .core import audit_record

API_KEY_PREFIX = "sp_"
MAX_NETWORKS = 50


class ApiKeyIpRefused(ApplicationError):
    code = "ip_not_allowed"
    status = 403


def _hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def allowed_ips_parse(text: str) -> list:
    """The networks of an allow-list (one address or CIDR per line or comma); ApplicationError
    names the first bad entry."""
    networks = []
    for item in (text or "").replace(",", "\n").split():
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise ApplicationError(gettext("'%(item)s' is not an IP address or network (e.g. 203.0.113.7 or "
                                           "203.0.113.0/24).") % {
                "item": item},
                                   code="invalid_ip") from None
    if len(networks) > MAX_NETWORKS:
        raise ApplicationError(gettext("At most %(max_networks)s addresses or networks per key.") % {
            "max_networks": MAX_NETWORKS}, code="invalid_ip")
    return networks


def _normalized(text: str) -> str:
    return "\n".join(str(n) for n in allowed_ips_parse(text))


def api_key_create(*, client: Client, name: str, created_by: User | None = None,
                   allowed_ips: str = "") -> tuple[ApiKey, str]:
    """Returns the key row and the raw key; the raw key is never stored and never shown again."""
    name = (name or "").strip() or "API key"
    allowed = _normalized(allowed_ips)
    prefix = secrets.token_hex(4)
    raw = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(client=client, name=name[:100], prefix=prefix, key_hash=_hash_key(raw),
                                created_by=created_by, allowed_ips=allowed)
    audit_record(code="accounts.api_key.created", actor=created_by, client=client, target=prefix,
                 details={"name": key.name, "allowed_ips": allowed})
    return key, raw


def api_key_revoke(*, client: Client, key_id: int, actor: User | None = None) -> ApiKey:
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().filter(client=client, pk=key_id).first()
        if key is None:
            raise NotFound(gettext("No such API key."))
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            audit_record(code="accounts.api_key.revoked", actor=actor, client=client, target=key.prefix)
    return key


def api_key_regenerate(*, client: Client, key_id: int, actor: User | None = None) -> tuple[ApiKey, str]:
    """Replaces a (possibly compromised) key: the old one stops at once, a new one with the same
    name and IP allow-list is returned with its raw value (T 2.18, 6.2)."""
    with transaction.atomic():
        old = ApiKey.objects.select_for_update().filter(client=client, pk=key_id).first()
        if old is None:
            raise NotFound(gettext("No such API key."))
        if old.revoked_at is not None:
            raise ApplicationError(gettext("This key is already revoked; create a new one."), code="key_revoked")
        old.revoked_at = timezone.now()
        old.save(update_fields=["revoked_at"])
        key, raw = api_key_create(client=client, name=old.name, created_by=actor, allowed_ips=old.allowed_ips)
        audit_record(code="accounts.api_key.regenerated", actor=actor, client=client, target=old.prefix,
                     details={"new_prefix": key.prefix})
    return key, raw


def api_key_ips_set(*, client: Client, key_id: int, allowed_ips: str, actor: User | None = None) -> ApiKey:
    allowed = _normalized(allowed_ips)
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().filter(client=client, pk=key_id, revoked_at__isnull=True).first()
        if key is None:
            raise NotFound(gettext("No such active API key."))
        key.allowed_ips = allowed
        key.save(update_fields=["allowed_ips"])
        audit_record(code="accounts.api_key.ips_set", actor=actor, client=client, target=key.prefix,
                     details={"allowed_ips": allowed})
    return key


def api_key_rate_set(*, key_id: int, rate_limit: str, actor: User | None = None) -> ApiKey:
    """Staff set a key's own rate limit ("50/s"; "" for the default SMSPORTAL_API_RATE)."""
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key_id)
        before = key.rate_limit
        key.rate_limit = (rate_limit or "").strip()
        key.full_clean(exclude=[f.name for f in ApiKey._meta.fields if f.name != "rate_limit"])
        key.save(update_fields=["rate_limit"])
        audit_record(code="accounts.api_key.rate_set", actor=actor, client=key.client, target=key.prefix,
                     details={"before": before, "rate_limit": key.rate_limit})
    return key


def api_key_ip_allowed(key: ApiKey, ip: str | None) -> bool:
    if not key.allowed_ips.strip():
        return True
    try:
        addr = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return False
    if addr.version == 6 and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return any(addr in net for net in allowed_ips_parse(key.allowed_ips) if net.version == addr.version)


def api_key_authenticate(raw: str, *, ip: str | None = None) -> ApiKey | None:
    """The active key matching `raw`, with its client; records the last use (at most once a
    minute). A key with an allow-list refuses other addresses (ApiKeyIpRefused, 403)."""
    if not raw or not raw.startswith(API_KEY_PREFIX):
        return None
    key = (ApiKey.objects.select_related("client", "created_by")
           .filter(key_hash=_hash_key(raw), revoked_at__isnull=True).first())
    if key is None:
        return None
    if ip is not None and not api_key_ip_allowed(key, ip):
        raise ApiKeyIpRefused(gettext("This API key is not allowed from %(ip)s; add the address to the key's "
                                      "allowed list on the API keys page.") % {
            "ip": ip})
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
