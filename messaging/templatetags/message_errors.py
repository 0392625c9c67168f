"""Error codes in words, in the active language: `{{ message|error_text }}`, `{{ row|row_error }}`."""
from django import template

from ..selectors import error_text as _error_text, row_error_text

register = template.Library()


@register.filter
def error_text(message) -> str:
    """A message's (or campaign's) stored error detail, read in the active language by its code."""
    return _error_text(getattr(message, "error_code", ""), getattr(message, "error_detail", ""))


@register.filter
def row_error(row) -> str:
    """A refused or invalid row of a report ({"reason", "code"?}) in the active language."""
    return row_error_text(row) if isinstance(row, dict) else ""
