"""Every write of the compliance app."""
import logging

from django.db import IntegrityError, transaction

from accounts.models import Client

from .models import OptOut

log = logging.getLogger("smsportal.compliance")


def _e164(phone: str) -> str:
    phone = (phone or "").strip()
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"+{digits}" if digits else phone


def opt_out_record(*, client: Client | int, phone: str, source: str = OptOut.Source.REPLY, note: str = "") -> OptOut:
    """Records that `phone` asked `client` to stop (R-CMP-05): nothing more goes to it from that
    client. Idempotent: the first record stays (its source and date are the evidence)."""
    client_id = client if isinstance(client, int) else client.pk
    phone = _e164(phone)
    existing = OptOut.objects.filter(client_id=client_id, phone=phone).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            opt_out = OptOut.objects.create(client_id=client_id, phone=phone, source=source, note=note[:300])
    except IntegrityError:  # recorded at the same moment by another process
        return OptOut.objects.get(client_id=client_id, phone=phone)
    log.info("opt-out: %s from client %s (%s)", phone, client_id, source)
    return opt_out
