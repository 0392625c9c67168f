"""Our django-allauth adapter: login lockout details (R-ACC-03), the primary phone verified by
an SMS code through our own pipeline (R-ACC-01), and MFA required for staff.

Phone numbers live on `User.phone` / `User.phone_verified` (allauth stores none itself). Codes
are sent by `system_message_send`: a free SMS from the provider through the real SMPP route.
"""
import time
from datetime import datetime, timezone as dt_timezone

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit as rl
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext

from smsportal.http import client_ip

from .models import User
from .phones import phone_normalize


def _login_key(adapter, request, email: str) -> str:
    return adapter._get_login_attempts_cache_key(request, email=email)


def _rates(kind: str):
    return [r for r in rl.parse_rates(account_settings.RATE_LIMITS.get("login_failed")) if r.per == kind]


def login_locked_until(request, email: str) -> datetime | None:
    """When the login of `email` (or this IP) unlocks after too many wrong passwords; None when
    it is not locked. Read from allauth's `login_failed` history in the shared cache."""
    adapter = AccountAdapter(request)
    now = time.time()
    until = 0.0
    for rate in _rates("key") + _rates("ip"):
        key = _login_key(adapter, request, email) if rate.per == "key" else None
        try:
            cache_key = rl.get_cache_key(request, app="allauth.account", action="login_failed", rate=rate, key=key)
        except Exception:  # noqa: BLE001
            continue
        history = [ts for ts in cache.get(cache_key, []) if ts > now - rate.duration]
        if len(history) >= rate.amount:
            until = max(until, sorted(history, reverse=True)[rate.amount - 1] + rate.duration)
    return datetime.fromtimestamp(until, tz=dt_timezone.utc) if until > now else None


def login_failures_clear(request, email: str) -> None:
    """A correct password ends the run of wrong ones for this login (three *in a row* lock it).
    The per-IP history stays, so a guesser gains nothing by also owning an account."""
    adapter = AccountAdapter(request)
    for rate in _rates("key"):
        cache.delete(rl.get_cache_key(request, app="allauth.account", action="login_failed", rate=rate,
                                      key=_login_key(adapter, request, email)))


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request) -> str:
        """The rate limits' client address, resolved like everywhere else (smsportal.http):
        behind the proxy the per-IP limit counts each client, not the proxy."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied(gettext("Unable to determine client IP address"))
        return ip

    def save_user(self, request, user, form, commit=True):
        """A new login keeps the language its sign-up page was in (emails and SMS follow it)."""
        from django.conf import settings  # noqa: PLC0415
        from django.utils import translation  # noqa: PLC0415

        language = translation.get_language() or ""
        if not user.language and language in dict(settings.LANGUAGES):
            user.language = language
        return super().save_user(request, user, form, commit=commit)

    # ---- R-ACC-03: wrong passwords in a row --------------------------------------------------
    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is not None and credentials.get("email"):
            login_failures_clear(request, credentials["email"])
        return user

    # ---- R-ACC-01: the primary phone, verified by SMS ----------------------------------------
    def clean_phone(self, phone: str) -> str:
        return phone_normalize(phone)

    def phone_form_field(self, **kwargs):
        from .phones import ua_mobile_field  # noqa: PLC0415

        kwargs.pop("label", None)
        return ua_mobile_field(**kwargs)

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        from .notify import sms_send  # noqa: PLC0415

        from django.utils import translation  # noqa: PLC0415
        from django.utils.translation import gettext as _  # noqa: PLC0415

        from .notify import in_language, user_language  # noqa: PLC0415

        minutes = account_settings.PHONE_VERIFICATION_TIMEOUT // 60
        with in_language(user_language(user, translation.get_language())):
            text = _("smsportal code: %(code)s. Valid %(minutes)s minutes. Do not tell it to anyone.") % {
                "code": code, "minutes": minutes}
        sms_send(phone, text)

    def send_account_already_exists_sms(self, phone: str) -> None:
        """Someone gave this phone (at verification, "use a different phone") while it is the
        verified phone of another login (R-ACC-02). Its owner is told instead of a code."""
        from .notify import sms_send  # noqa: PLC0415

        from django.utils.translation import gettext as _  # noqa: PLC0415

        sms_send(phone, _("smsportal: this phone already belongs to an account, so no code was sent. Log in, or "
                          "reset the password by phone on the login page."))

    def set_phone(self, user, phone: str, verified: bool) -> None:
        user.phone = phone
        user.phone_verified = verified
        user.save(update_fields=["phone", "phone_verified"])

    def get_phone(self, user):
        if not user.phone:
            return None
        return user.phone, user.phone_verified

    def set_phone_verified(self, user, phone: str) -> None:
        from .services import audit_record  # noqa: PLC0415

        from .services import client_flag_shared_phone  # noqa: PLC0415

        user.phone = phone
        user.phone_verified = True
        user.save(update_fields=["phone", "phone_verified"])
        audit_record(code="accounts.phone.verified", actor=user, client=user.client, target=user.email)
        client_flag_shared_phone(user=user)  # a phone changed after sign-up, when staff allow it (R-ACC-02)

    def get_user_by_phone(self, phone: str):
        """The login owning a verified phone. When staff allow second accounts (flagged, R-ACC-02)
        there is no owner to clash with: the sign-up form flags the duplicate instead."""
        from .models import AccountsSettings  # noqa: PLC0415
        from .services import accounts_settings_get  # noqa: PLC0415

        if accounts_settings_get().duplicate_signups == AccountsSettings.Duplicates.FLAG:
            return None
        return User.objects.filter(phone=phone, phone_verified=True).order_by("date_joined", "id").first()

    def generate_phone_verification_code(self, *, user, phone: str) -> str:
        from allauth.core.internal.cryptokit import generate_user_code  # noqa: PLC0415

        return generate_user_code(length=6, numeric=True, dashed=False)

    def get_login_stages(self):
        # Users who never had a phone (staff, logins created before phones) are let through;
        # every sign-up gives one and verifies it.
        stages = super().get_login_stages()
        return ["accounts.stages.PhoneVerificationStage" if s == "allauth.account.stages.PhoneVerificationStage" else s
                for s in stages]

    # ---- MFA: required for staff -------------------------------------------------------------
    def get_login_redirect_url(self, request):
        from .mfa import staff_needs_mfa  # noqa: PLC0415

        if staff_needs_mfa(request.user):
            return reverse("mfa_activate_totp")
        client = getattr(request.user, "client", None)
        if client is not None and client.status in (client.Status.BLOCKED, client.Status.DORMANT):
            return reverse("account_block")  # R-ACC-06: a blocked client logs in and sees why first
        return super().get_login_redirect_url(request)
