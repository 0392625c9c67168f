from django.utils.translation import gettext_lazy as _

from smsportal.errors import ApplicationError


class MessagingError(ApplicationError):
    code = "messaging_error"


class InvalidRecipients(MessagingError):
    code = "invalid_recipient"


class TextInvalid(MessagingError):
    code = "invalid_text"


class TooManyRecipients(MessagingError):
    code = "too_many_recipients"


class NoRoute(MessagingError):
    code = "no_route"
    status = 503
    default_detail = _("No SMS route is available for this destination; please contact support.")
