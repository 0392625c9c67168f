"""Serializers that only describe responses in the OpenAPI schema (views build plain dicts)."""
from rest_framework import serializers


class ErrorOutput(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. insufficient_funds.")
    detail = serializers.CharField(help_text="What went wrong, for people.")


class MoneyOutput(serializers.Serializer):
    amount = serializers.CharField(help_text="Decimal string, e.g. \"0.85\".")
    currency = serializers.CharField()


ERRORS = {400: ErrorOutput, 401: ErrorOutput, 402: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput}


def idempotency_key_parameter(what: str):
    """The `Idempotency-Key` header of a POST that creates `what` (messaging.api.idempotency)."""
    from drf_spectacular.utils import OpenApiParameter  # noqa: PLC0415 (only when the schema is built)

    return OpenApiParameter(
        "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
        description=(
            f"A unique value of yours (at most 200 printable characters; 400 `invalid_idempotency_key`) that makes "
            f"retrying safe: the same key with the same request creates {what} once, and every repeat, even one "
            f"sent at the same time, gets the first answer again (same status and body, with the header "
            f"`Idempotent-Replayed: true`); a repeat sent while the first is still running waits for it. Keys are "
            f"per account and per endpoint and are kept for 48 hours. The same key with a different request "
            f"body: 422 `idempotency_key_reused`. A refused request (any 4xx) does not use the key up: correct "
            f"it and retry with the same key."))
