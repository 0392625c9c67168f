"""API-wide plumbing: every error leaves as JSON `{"code": ..., "detail": ...}` with a 4xx."""
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, parsers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from smsportal.errors import ApplicationError
from smsportal.jsonsafe import LoneSurrogateError, NulCharacterError, json_check

_DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.ParseError: "parse_error",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
    exceptions.NotAcceptable: "not_acceptable",
}


def _nul_refusal(exc: NulCharacterError) -> exceptions.ValidationError:
    """A 400 `invalid` naming the field (and the row of a list field) that holds the NUL."""
    path = list(exc.path)
    row = next((f"Row {p + 1}: " for p in path[1:2] if isinstance(p, int)), "")
    message = f"{row}null characters are not allowed." if row else "Null characters are not allowed."
    if path and isinstance(path[0], str):
        return exceptions.ValidationError({path[0]: [message]})
    return exceptions.ValidationError([message])


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, but a body nested too deep for Python's decoder (`[[[[…]]]]`, a few
    kilobytes suffice) or with a lone surrogate in a string (`"\\ud800"`, smsportal.jsonsafe) is a
    400 parse_error like any other bad JSON, not a 500. A NUL character anywhere in the body is a
    400 `invalid` naming its field and row (PostgreSQL cannot store it): the one check of the API,
    so no serializer or view checks NUL again (smsportal.boundary)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return json_check(super().parse(stream, media_type, parser_context))
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the body is nested too deeply.") from None
        except LoneSurrogateError as exc:  # it would fail later, wherever the text is encoded: a 500
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
        except NulCharacterError as exc:
            raise _nul_refusal(exc) from None


def _flatten(detail, prefix=""):
    """Turns DRF's nested validation errors into 'field: message' lines."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            name = key if key != "non_field_errors" else ""
            out.extend(_flatten(value, f"{prefix}{name}" if not prefix else f"{prefix}.{name}"))
        return out
    if isinstance(detail, list):
        out = []
        for i, item in enumerate(detail):
            if isinstance(item, (dict, list)):
                out.extend(_flatten(item, f"{prefix}[{i}]"))
            else:
                out.extend(_flatten(item, prefix))
        return out
    return [f"{prefix}: {detail}" if prefix else str(detail)]


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        body = {"code": exc.code, "detail": exc.detail, **exc.extra}
        return Response(body, status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "code": "invalid",
            "detail": "; ".join(_flatten(exc.detail)),
            "errors": exc.detail,
        }
        response.status_code = status.HTTP_400_BAD_REQUEST
        return response
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    detail = exc.detail if isinstance(exc.detail, str) else "; ".join(_flatten(exc.detail))
    response.data = {"code": code, "detail": str(detail)}
    return response
