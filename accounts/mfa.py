"""MFA (allauth.mfa, TOTP + recovery codes): optional for clients, required for staff.

A staff member who logs in through allauth (the website or the admin, whose login is
`secure_admin_login`) without an authenticator is sent to set up TOTP and cannot open the
admin until it is active. Sessions made another way (tests' force_login, shell) are left alone.
"""
from functools import wraps

from allauth.account.signals import user_logged_in
from django.contrib import messages
from django.db import transaction
from django.dispatch import receiver
from django.shortcuts import redirect

from smsportal import crypto

SESSION_FLAG = "staff_mfa_setup_required"


def user_has_mfa(user) -> bool:
    from allauth.mfa.models import Authenticator  # noqa: PLC0415

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def staff_needs_mfa(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_staff and not user_has_mfa(user))


@receiver(user_logged_in)
def _flag_staff_without_mfa(sender, request, user, **kwargs):
    if staff_needs_mfa(user):
        from allauth.account.internal.flows.login import record_authentication  # noqa: PLC0415

        request.session[SESSION_FLAG] = True
        # The password was typed a moment ago: count it as the re-authentication allauth asks
        # before activating TOTP, so the forced setup does not ask for it twice.
        record_authentication(request, user, method="password", reauthenticated=True)


def admin_view_gate(admin_view):
    """Wraps AdminSite.admin_view: a flagged staff session goes to TOTP setup first."""

    @wraps(admin_view)
    def wrapped(view, cacheable=False):
        inner = admin_view(view, cacheable)

        @wraps(inner)
        def gate(request, *args, **kwargs):
            if request.session.get(SESSION_FLAG):
                if staff_needs_mfa(request.user):
                    messages.warning(request, "Staff must use two-factor authentication: set up an authenticator "
                                              "app to open the admin.")
                    return redirect("mfa_activate_totp")
                request.session.pop(SESSION_FLAG, None)
            return inner(request, *args, **kwargs)

        return gate

    return wrapped


# The secret values in allauth.mfa's Authenticator.data, by type (65.x); the adapter encrypts them.
ENCRYPTED_DATA = {"totp": ("secret",), "recovery_codes": ("seed", "migrated_codes")}


def mfa_secrets_reencrypt() -> int:
    """Stores every TOTP key and recovery-code seed again under the first of
    SMSPORTAL_ENCRYPTION_KEYS (after a key rotation, `manage.py secrets_reencrypt`). Returns how
    many authenticators were rewritten."""
    from allauth.mfa.models import Authenticator  # noqa: PLC0415 (models: not at app loading)

    done = 0
    for pk in Authenticator.objects.filter(type__in=list(ENCRYPTED_DATA)).order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            auth = Authenticator.objects.select_for_update().filter(pk=pk).first()
            if auth is None:
                continue
            for name in ENCRYPTED_DATA[auth.type]:
                value = auth.data.get(name)
                if isinstance(value, str):
                    auth.data[name] = crypto.reencrypt(value)
                elif isinstance(value, list):
                    auth.data[name] = [crypto.reencrypt(v) if isinstance(v, str) else v for v in value]
            auth.save(update_fields=["data"])
            done += 1
    return done


from allauth.mfa.adapter import DefaultMFAAdapter  # noqa: E402


class MFAAdapter(DefaultMFAAdapter):
    """Staff cannot turn their authenticator off (MFA is required for staff). TOTP keys and
    recovery-code seeds are stored encrypted (smsportal.crypto, SMSPORTAL_ENCRYPTION_KEYS)."""

    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text)

    def can_delete_authenticator(self, authenticator) -> bool:
        from allauth.mfa.models import Authenticator  # noqa: PLC0415

        if authenticator.user.is_staff and authenticator.type == Authenticator.Type.TOTP:
            return False
        return super().can_delete_authenticator(authenticator)
