"""One-time SMS codes for password reset through the primary phone (R-ACC-05).

A code is 6 digits, sent by our own SMS pipeline, stored as a hash, valid 10 minutes; three
wrong entries kill it (a new one must be requested); at most 3 codes per phone per hour.
Nothing tells a visitor whether a phone has an account.
"""
import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext, gettext_noop

from smsportal.errors import ApplicationError

from ..models import PhoneCode, User
from .core import audit_record

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 3
MAX_PER_HOUR = 3


class PhoneCodeError(ApplicationError):
    code = "phone_code_invalid"


def _hash(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), code.encode(), hashlib.sha256).hexdigest()


def password_reset_code_send(*, phone: str) -> str:
    """Starts a reset for `phone` (E.164); returns the attempt token for the browser session.
    Sends an SMS only when a login has this verified phone, within the hourly limit."""
    from ..notify import sms_send  # noqa: PLC0415

    token = secrets.token_urlsafe(24)
    user = User.objects.filter(phone=phone, phone_verified=True, is_active=True).order_by("date_joined").first()
    if user is None:
        return token
    since = timezone.now() - timedelta(hours=1)
    if PhoneCode.objects.filter(phone=phone, purpose=PhoneCode.Purpose.PASSWORD_RESET, created_at__gte=since).count() \
            >= MAX_PER_HOUR:
        raise PhoneCodeError(gettext("Too many codes were sent to this phone in the last hour. Try again later, or "
                                     "reset the password by email."), code="too_many_codes")
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        PhoneCode.objects.filter(user=user, purpose=PhoneCode.Purpose.PASSWORD_RESET, used_at__isnull=True).update(
            used_at=timezone.now())
        PhoneCode.objects.create(user=user, phone=phone, purpose=PhoneCode.Purpose.PASSWORD_RESET,
                                 code_hash=_hash(code), token=token, expires_at=timezone.now() + CODE_TTL)
        audit_record(code="accounts.password_reset.code_sent", actor=None, client=user.client, target=user.email)
    from ..notify import in_language, user_language  # noqa: PLC0415

    with in_language(user_language(user, translation.get_language())):
        text = _("smsportal password reset code: %(code)s. Valid 10 minutes. If you did not ask, ignore it.") % {
            "code": code}
    sms_send(phone, text)
    return token


def password_reset_by_code(*, token: str, code: str, password: str) -> User:
    """Checks the code of attempt `token` and sets the new password."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    wrong = None
    with transaction.atomic():
        pc = PhoneCode.objects.select_for_update().select_related("user").filter(
            token=token or "-", purpose=PhoneCode.Purpose.PASSWORD_RESET).first()
        if pc is None or pc.used_at is not None or pc.expires_at <= timezone.now() or pc.attempts >= MAX_ATTEMPTS:
            raise PhoneCodeError(gettext("This code has expired or was used up. Request a new one."), code="code_expired")
        if not hmac.compare_digest(pc.code_hash, _hash(code)):
            pc.attempts += 1
            pc.save(update_fields=["attempts"])  # committed: the attempt counts even though we refuse
            left = MAX_ATTEMPTS - pc.attempts
            wrong = (PhoneCodeError("Wrong code three times: request a new one.", code="code_expired") if left <= 0
                     else PhoneCodeError(f"Wrong code. {left} attempt{'s' if left > 1 else ''} left.", code="code_wrong"))
    if wrong is not None:
        raise wrong
    with transaction.atomic():
        pc = PhoneCode.objects.select_for_update().select_related("user").get(pk=pc.pk)
        if pc.used_at is not None:
            raise PhoneCodeError(gettext("This code has expired or was used up. Request a new one."), code="code_expired")
        user = pc.user
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise PhoneCodeError(" ".join(exc.messages), code="weak_password") from None
        user.set_password(password)
        user.save(update_fields=["password"])
        pc.used_at = timezone.now()
        pc.save(update_fields=["used_at"])
        audit_record(code="accounts.password_reset.by_phone", actor=user, client=user.client, target=user.email)
    from ..notify import sms_send  # noqa: PLC0415

    from ..notify import in_language, user_language  # noqa: PLC0415

    with in_language(user_language(user, translation.get_language())):
        text = _("smsportal: your password was reset with a code sent to this phone. If it was not you, contact "
                 "support now.")
    transaction.on_commit(lambda: sms_send(pc.phone, text))
    return user


# ---- the email reset path also goes through the primary phone (R-ACC-05) -------------------------

def password_reset_phone_for(user: User) -> str:
    """Where the code of an email reset goes: the login's verified phone, else the account's primary
    phone (its owner's verified phone); "" when there is none."""
    if user.phone and user.phone_verified:
        return user.phone
    if user.client_id:
        from ..notify import client_primary_phone  # noqa: PLC0415

        return client_primary_phone(user.client)
    return ""


def _user_code_send(*, user: User, phone: str, purpose: str, audit_code: str, text: str) -> str:
    """A code to `phone` for `user`'s attempt of `purpose` (earlier open ones end); the masked phone."""
    from ..notify import in_language, sms_send, user_language  # noqa: PLC0415

    since = timezone.now() - timedelta(hours=1)
    if PhoneCode.objects.filter(user=user, purpose=purpose, created_at__gte=since).count() >= MAX_PER_HOUR:
        raise PhoneCodeError(gettext("Too many codes were sent to your phone in the last hour. Try again later."),
                             code="too_many_codes")
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        PhoneCode.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(used_at=timezone.now())
        PhoneCode.objects.create(user=user, phone=phone, purpose=purpose, code_hash=_hash(code),
                                 token=secrets.token_urlsafe(24), expires_at=timezone.now() + CODE_TTL)
        audit_record(code=audit_code, actor=None, client=user.client, target=user.email)
    with in_language(user_language(user, translation.get_language())):
        message = _(text) % {"code": code}
    sms_send(phone, message)
    return f"{phone[:6]}…{phone[-2:]}"


def _user_code_check(*, user: User, purpose: str, code: str, consume: bool, audit_code: str) -> None:
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    wrong = None
    with transaction.atomic():
        pc = PhoneCode.objects.select_for_update().filter(
            user=user, purpose=purpose, used_at__isnull=True).order_by("-created_at").first()
        if pc is None or pc.expires_at <= timezone.now() or pc.attempts >= MAX_ATTEMPTS:
            raise PhoneCodeError(gettext("This code has expired or was used up. Open the link again for a new one."),
                                 code="code_expired")
        if not hmac.compare_digest(pc.code_hash, _hash(code)):
            pc.attempts += 1
            pc.save(update_fields=["attempts"])
            wrong = PhoneCodeError(gettext("Wrong code."), code="code_wrong")
        elif consume:
            pc.used_at = timezone.now()
            pc.save(update_fields=["used_at"])
            audit_record(code=audit_code, actor=user, client=user.client, target=user.email)
    if wrong is not None:
        raise wrong


RESET_TEXT = gettext_noop("smsportal password reset code: %(code)s. Valid 10 minutes. If you did not ask, ignore it.")
PHONE_CHANGE_TEXT = gettext_noop("smsportal code to change the phone of your login: %(code)s. Valid 10 minutes. "
                                 "If you did not ask, change your password now.")


def password_reset_email_code_send(*, user: User) -> str:
    """After the email link: sends a code to the primary phone; returns the masked phone it went to.
    Refused with `no_primary_phone` when there is no phone, `too_many_codes` past the hourly limit."""
    phone = password_reset_phone_for(user)
    if not phone:
        raise PhoneCodeError(gettext("Your login has no verified phone, so the password cannot be reset online. "
                                     "Contact support."), code="no_primary_phone")
    return _user_code_send(user=user, phone=phone, purpose=PhoneCode.Purpose.PASSWORD_RESET,
                           audit_code="accounts.password_reset.email_code_sent", text=RESET_TEXT)


def password_reset_email_code_check(*, user: User, code: str, consume: bool = False) -> None:
    """Checks the code of the user's open email-reset attempt; three wrong entries kill it. With
    `consume` the code is used up (when the new password is saved)."""
    _user_code_check(user=user, purpose=PhoneCode.Purpose.PASSWORD_RESET, code=code, consume=consume,
                     audit_code="accounts.password_reset.email_code_used")


def phone_change_code_send(*, user: User) -> str:
    """Before the primary phone changes, a code goes to the current verified phone (R-ACC-05)."""
    if not (user.phone and user.phone_verified):
        raise PhoneCodeError(gettext("Your login has no verified phone yet."), code="no_primary_phone")
    return _user_code_send(user=user, phone=user.phone, purpose=PhoneCode.Purpose.PHONE_CHANGE,
                           audit_code="accounts.phone_change.code_sent", text=PHONE_CHANGE_TEXT)


def phone_change_code_check(*, user: User, code: str) -> None:
    _user_code_check(user=user, purpose=PhoneCode.Purpose.PHONE_CHANGE, code=code, consume=True,
                     audit_code="accounts.phone_change.confirmed")
