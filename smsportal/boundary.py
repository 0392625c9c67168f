"""What comes in from outside is checked once, at the edge, by the parser or the field that reads it.

- Text: PostgreSQL stores no NUL character (`\\x00`) in a text or JSON column, and a lone UTF-16
  surrogate is not a character at all; either would fail on insert or on encoding, a 500 far from
  the request. The API's JSON parser (smsportal.api, with smsportal.jsonsafe) refuses both in any
  string or key of a body; URL parts are read by the `text` converter, which matches no NUL (an
  unknown path: 404); form fields refuse NUL themselves (Django's CharField).
- Dates: one range, the years 2000 to 2999, for every date or time a client gives (filters, send
  times): dates at the calendar's ends overflowed the time-zone and period arithmetic (a 500).
  The fields below apply it, on the API (DRF) and on the website (Django forms).
"""
import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.urls import register_converter
from rest_framework import serializers

DATE_MIN, DATE_MAX = datetime.date(2000, 1, 1), datetime.date(2999, 12, 31)
DATE_RANGE_ERROR = f"Choose a date from the year {DATE_MIN.year} to {DATE_MAX.year}."
TIME_RANGE_ERROR = f"Choose a time from the year {DATE_MIN.year} to {DATE_MAX.year}."


class TextConverter:
    """`<text:name>` in a URL: like `<str:name>`, but a part with a NUL does not match (404)."""

    regex = "[^/\x00]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TextConverter, "text")  # importing this module makes `<text:…>` usable in URL patterns


def date_in_range(value: datetime.date) -> bool:
    return DATE_MIN <= value <= DATE_MAX


def datetime_in_range(value: datetime.datetime) -> bool:
    """Whether `value` (aware or naive) lies within the years 2000–2999 in UTC; False where even
    converting it overflows (0001-01-01 east of UTC)."""
    try:
        utc = value.astimezone(datetime.timezone.utc) if value.tzinfo else value
    except OverflowError:
        return False
    return DATE_MIN.year <= utc.year <= DATE_MAX.year


class DateField(serializers.DateField):
    """An API date from 2000 to 2999."""

    def to_internal_value(self, value):
        value = super().to_internal_value(value)
        if not date_in_range(value):
            raise serializers.ValidationError(DATE_RANGE_ERROR)
        return value


class DateTimeField(serializers.DateTimeField):
    """An API date and time from 2000 to 2999."""

    def to_internal_value(self, value):
        try:
            value = super().to_internal_value(value)  # DRF's own checks overflow on 0001-01-01 without an offset
        except OverflowError:
            raise serializers.ValidationError(TIME_RANGE_ERROR) from None
        if not datetime_in_range(value):
            raise serializers.ValidationError(TIME_RANGE_ERROR)
        return value


def _form_date_in_range(value):
    if value is not None and not date_in_range(value):
        raise ValidationError(DATE_RANGE_ERROR, code="date_range")


def _form_datetime_in_range(value):
    if value is not None and not datetime_in_range(value):
        raise ValidationError(TIME_RANGE_ERROR, code="date_range")


class FormDateField(forms.DateField):
    """A website date from 2000 to 2999."""

    default_validators = [_form_date_in_range]


class FormDateTimeField(forms.DateTimeField):
    """A website date and time from 2000 to 2999."""

    default_validators = [_form_datetime_in_range]

    def to_python(self, value):
        try:
            return super().to_python(value)  # making 0001-01-01 00:00 Kyiv time aware overflows
        except OverflowError:
            raise ValidationError(TIME_RANGE_ERROR, code="date_range") from None
