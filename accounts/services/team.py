"""Team: more than one login per client, with roles (owner, member, viewer). An owner invites by
email; the link creates the colleague's login in the same company."""
import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from smsportal.errors import ApplicationError, NotFound

from ..models import Client, Invitation, User
from .core import audit_record

INVITATION_DAYS = 7


class TeamError(ApplicationError):
    code = "team_error"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_create(*, client: Client, email: str, role: str, actor=None, accept_url=None) -> tuple[Invitation, str]:
    """Returns the invitation and its raw token (only in the emailed link)."""
    email = (email or "").strip().lower()
    if role not in User.Role.values:
        raise TeamError(gettext("Unknown role."), code="invalid_role")
    if User.objects.filter(email__iexact=email).exists():
        raise TeamError(gettext("%(email)s already has a login. One login belongs to one company; ask them to use "
                                "another email address.") % {"email": email}, code="email_taken")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        Invitation.objects.filter(client=client, email=email, accepted_at__isnull=True,
                                  revoked_at__isnull=True).update(revoked_at=timezone.now())
        inv = Invitation.objects.create(client=client, email=email, role=role, token_hash=_hash(token),
                                        invited_by=actor if getattr(actor, "pk", None) else None,
                                        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS))
        audit_record(code="accounts.team.invited", actor=actor, client=client, target=email, details={"role": role})
    if accept_url:
        from ..notify import email_send  # noqa: PLC0415

        link = accept_url(token)
        who = getattr(actor, "email", None) or gettext("A colleague")
        subject = gettext("Join %(company)s on smsportal") % {"company": client.name}
        body = (gettext("%(who)s invites you to the smsportal account of %(company)s as %(role)s.")
                % {"who": who, "company": client.name, "role": User.Role(role).label.lower()} + "\n\n"
                + gettext("Accept within %(days)s days: %(link)s") % {"days": INVITATION_DAYS, "link": link} + "\n")
        transaction.on_commit(lambda: email_send([email], subject, body))
    return inv, token


def invitation_get(token: str) -> Invitation | None:
    inv = Invitation.objects.select_related("client").filter(token_hash=_hash(token or "")).first()
    return inv if inv and inv.is_open else None


def invitation_accept(*, token: str, password: str, first_name: str = "", last_name: str = "") -> User:
    """Creates the colleague's login in the inviting company; the email is proven by the link."""
    from allauth.account.models import EmailAddress  # noqa: PLC0415

    with transaction.atomic():
        inv = Invitation.objects.select_for_update().select_related("client").filter(token_hash=_hash(token)).first()
        if inv is None or not inv.is_open:
            raise NotFound(gettext("This invitation is no longer valid: ask for a new one."))
        if inv.client.status == Client.Status.TERMINATED:
            raise TeamError(gettext("The company's account is terminated."))
        if User.objects.filter(email__iexact=inv.email).exists():
            raise TeamError(gettext("%(email)s already has a login.") % {"email": inv.email}, code="email_taken")
        user = User(email=inv.email, client=inv.client, role=inv.role, first_name=first_name.strip()[:150],
                    last_name=last_name.strip()[:150])
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise TeamError(" ".join(exc.messages), code="weak_password") from None
        user.set_password(password)
        user.save()
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        inv.accepted_at = timezone.now()
        inv.accepted_by = user
        inv.save(update_fields=["accepted_at", "accepted_by"])
        audit_record(code="accounts.team.joined", actor=user, client=inv.client, target=user.email,
                     details={"role": inv.role})
    return user


def _owners_left(client: Client, *, without: User) -> int:
    return User.objects.filter(client=client, role=User.Role.OWNER, is_active=True).exclude(pk=without.pk).count()


def _member_keys_revoke(member: User, *, actor, why: str) -> int:
    """API keys act for the whole company. A login that may no longer send (demoted to viewer,
    or removed) still knows the raw keys it created: they stop now, so the role holds on the API
    too. The owner creates new ones (audited; the website says how many)."""
    from ..models import ApiKey  # noqa: PLC0415

    prefixes = list(ApiKey.objects.filter(client_id=member.client_id, created_by=member, revoked_at__isnull=True)
                    .values_list("prefix", flat=True))
    if prefixes:
        ApiKey.objects.filter(prefix__in=prefixes).update(revoked_at=timezone.now())
        audit_record(code="accounts.api_key.revoked", actor=actor, client=member.client, target=", ".join(prefixes),
                     details={"reason": why, "created_by": member.email})
    member.keys_revoked = len(prefixes)
    return len(prefixes)


def team_role_set(*, client: Client, user_id: int, role: str, actor=None) -> User:
    if role not in User.Role.values:
        raise TeamError(gettext("Unknown role."), code="invalid_role")
    with transaction.atomic():
        member = User.objects.select_for_update().filter(client=client, pk=user_id).first()
        if member is None:
            raise NotFound(gettext("No such login in your team."))
        if member.role == User.Role.OWNER and role != User.Role.OWNER and not _owners_left(client, without=member):
            raise TeamError(gettext("The account needs at least one owner."), code="last_owner")
        member.role = role
        member.save(update_fields=["role"])
        audit_record(code="accounts.team.role_set", actor=actor, client=client, target=member.email,
                     details={"role": role})
        member.keys_revoked = 0
        if role == User.Role.VIEWER:
            _member_keys_revoke(member, actor=actor, why="creator became a viewer")
    return member


def team_member_remove(*, client: Client, user_id: int, actor=None) -> User:
    """Disables a colleague's login (it stays in the audit trail)."""
    with transaction.atomic():
        member = User.objects.select_for_update().filter(client=client, pk=user_id).first()
        if member is None:
            raise NotFound(gettext("No such login in your team."))
        if member.role == User.Role.OWNER and not _owners_left(client, without=member):
            raise TeamError(gettext("The account needs at least one owner."), code="last_owner")
        member.is_active = False
        member.save(update_fields=["is_active"])
        audit_record(code="accounts.team.removed", actor=actor, client=client, target=member.email)
        _member_keys_revoke(member, actor=actor, why="creator removed from the team")
    return member


def invitation_revoke(*, client: Client, invitation_id: int, actor=None) -> None:
    n = Invitation.objects.filter(client=client, pk=invitation_id, accepted_at__isnull=True,
                                  revoked_at__isnull=True).update(revoked_at=timezone.now())
    if not n:
        raise NotFound(gettext("No such open invitation."))
    audit_record(code="accounts.team.invitation_revoked", actor=actor, client=client, target=str(invitation_id))
