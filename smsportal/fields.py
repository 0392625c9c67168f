"""Model fields shared by the apps."""
from django.db import models

from .crypto import decrypt, encrypt


class EncryptedCharField(models.CharField):
    """A CharField whose value is encrypted in the database and plain in Python (also in
    `values_list`). Not searchable: every encryption of the same text differs. `max_length` is
    the column's: a Fernet token of n bytes of text has 4 × ⌈(57 + 16 × ⌈(n + 1) / 16⌉) / 3⌉
    characters (164 for 49)."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
