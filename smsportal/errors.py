"""The one exception family every service raises: a stable `code`, a human `detail`, an HTTP status.

Views turn these into form errors, the API exception handler into `{"code", "detail"}` JSON.
`detail` is plain text in the language active when the error is raised: a lazily translated
`default_detail` (gettext_lazy) is made a string here, so it can go anywhere a string can (JSON
columns, logs, messages).
"""
from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    code = "error"
    status = 400
    default_detail = _("The request could not be processed.")

    def __init__(self, detail: str | None = None, *, code: str | None = None, extra: dict | None = None):
        self.detail = str(detail or self.default_detail)
        if code:
            self.code = code
        self.extra = extra or {}
        super().__init__(self.detail)


class NotFound(ApplicationError):
    code = "not_found"
    status = 404
    default_detail = _("Not found.")


class PermissionDenied(ApplicationError):
    code = "permission_denied"
    status = 403
    default_detail = _("You do not have permission to do this.")
