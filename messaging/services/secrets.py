"""Key rotation of messaging's encrypted columns (smsportal.crypto): `manage.py secrets_reencrypt`."""
from django.db import transaction

from ..models import Route


def route_passwords_reencrypt() -> int:
    """Stores every route's SMPP password again under the first of SMSPORTAL_ENCRYPTION_KEYS.
    Returns how many routes were rewritten."""
    done = 0
    for pk in Route.objects.exclude(password="").order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            route = Route.objects.select_for_update().filter(pk=pk).first()
            if route is not None:
                route.save(update_fields=["password"])  # the field encrypts under the first key
                done += 1
    return done
