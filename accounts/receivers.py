"""Security notices to the primary phone (R-ACC-05, T 6.2): when a login's password changes or is
reset, its verified phone hears of it at once, so a stolen password does not go unnoticed."""
from allauth.account.signals import password_changed, password_reset
from django.dispatch import receiver


def _notify(user) -> None:
    from django.utils import translation  # noqa: PLC0415
    from django.utils.translation import gettext as _  # noqa: PLC0415

    from .notify import in_language, sms_send, user_language  # noqa: PLC0415

    if getattr(user, "phone_verified", False) and user.phone:
        with in_language(user_language(user, translation.get_language())):
            text = _("smsportal: the password of your login was changed. If it was not you, reset it by phone on "
                     "the login page now and contact support.")
        sms_send(user.phone, text)


@receiver(password_changed)
def _password_changed(sender, request, user, **kwargs):
    _notify(user)


@receiver(password_reset)
def _password_reset(sender, request, user, **kwargs):
    _notify(user)
