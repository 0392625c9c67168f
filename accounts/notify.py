"""How the provider reaches a client: an SMS to the primary phone (T 3.2.10) and email.

The SMS goes through the function the SMSPORTAL_SYSTEM_SMS_FUNCTION setting names: messaging's
`system_message_send` (free, the real SMPP route). Messaging sits above accounts, which never
imports it; the setting is the one place that ties them.
"""
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.module_loading import import_string

from .models import Client, User
from .selectors import client_language_get, user_language_get

log = logging.getLogger("smsportal.accounts")


def client_primary_phone(client: Client) -> str:
    """The primary communication method: the verified phone of the account's first owner."""
    owner = (User.objects.filter(client=client, role=User.Role.OWNER, is_active=True, phone_verified=True)
             .exclude(phone="").order_by("date_joined", "id").first())
    return owner.phone if owner else ""


# The reader's language (accounts.selectors): notices are written in it.
user_language = user_language_get
client_language = client_language_get


def in_language(language: str):
    """`with in_language(client_language(client)): text = _("…")` — a notice's texts in its reader's language."""
    return translation.override(language)


def client_emails(client: Client) -> list[str]:
    emails = list(User.objects.filter(client=client, role=User.Role.OWNER, is_active=True)
                  .values_list("email", flat=True))
    if client.documents_email and client.documents_email not in emails:
        emails.append(client.documents_email)
    return emails


def sms_send(phone: str, text: str) -> bool:
    """Sends a system SMS now; False (and a log line) when it could not be queued."""
    if not phone:
        return False
    if settings.DEBUG:
        # `make run`: the SMSC simulator is the only "phone", so whoever runs it reads sign-up and
        # reset codes here (the web process's output). Never logged with DEBUG off.
        log.info("system SMS to %s: %s", phone, text)
    try:
        import_string(settings.SMSPORTAL_SYSTEM_SMS_FUNCTION)(recipient=phone, text=text)
    except Exception:  # noqa: BLE001 (a notice must not undo the action that caused it)
        log.exception("system SMS to %s failed", phone)
        return False
    return True


def email_send(to: list[str], subject: str, body: str) -> bool:
    if not to:
        return False
    prefix = getattr(settings, "ACCOUNT_EMAIL_SUBJECT_PREFIX", "")
    try:
        send_mail(prefix + subject, body, None, to)
    except Exception:  # noqa: BLE001
        log.exception("email %r failed", subject)
        return False
    return True
