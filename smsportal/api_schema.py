"""Serializers that only describe responses in the OpenAPI schema (views build plain dicts)."""
from rest_framework import serializers


class ErrorOutput(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. insufficient_funds.")
    detail = serializers.CharField(help_text="What went wrong, for people.")


class MoneyOutput(serializers.Serializer):
    amount = serializers.CharField(help_text="Decimal string, e.g. \"0.85\".")
    currency = serializers.CharField()


ERRORS = {400: ErrorOutput, 401: ErrorOutput, 402: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput}
