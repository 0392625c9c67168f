"""Celery entry points for campaigns (imported by messaging.tasks so the worker registers them)."""
import logging

from celery import shared_task

from smsportal.errors import ApplicationError, NotFound

from .models import Campaign, Contact, ContactGroup
from .services import campaign_accept, campaigns_settle
from .uploads import upload_delete, upload_recipients

log = logging.getLogger("smsportal.messaging")


@shared_task(name="messaging.campaigns_settle", ignore_result=True)
def campaigns_settle_task() -> int:
    """Every minute: campaigns with nothing left to submit are marked done."""
    return campaigns_settle()


def _accepting(campaign_id: int) -> Campaign | None:
    return Campaign.objects.select_related("client").filter(pk=campaign_id, state=Campaign.State.ACCEPTING).first()


def _accept(campaign: Campaign, rows, total_rows: int | None) -> None:
    try:
        campaign_accept(campaign=campaign, rows=rows, total_rows=total_rows)
    except ApplicationError as exc:
        # The service recorded it on the campaign (failed, with the reason): nothing to retry.
        log.info("campaign %s not accepted: %s", campaign.public_id, exc.detail)


@shared_task(name="messaging.campaign_accept_upload", ignore_result=True)
def campaign_accept_upload_task(campaign_id: int, path: str, phone_column: int, total_rows: int | None = None) -> None:
    """Reads a stored CSV/XLSX upload into an accepting campaign, then deletes the file.

    Idempotent: a campaign that is no longer accepting is left alone. The file stays while the
    campaign still accepts (a crashed worker's redelivery reads it again; the upload sweep
    removes it a day later in any case).
    """
    try:
        campaign = _accepting(campaign_id)
        if campaign is not None:
            _accept(campaign, upload_recipients(path, phone_column), total_rows)
    finally:
        if not Campaign.objects.filter(pk=campaign_id, state=Campaign.State.ACCEPTING).exists():
            upload_delete(path)


def _group_rows(campaign: Campaign, group_id: int):
    if not ContactGroup.objects.filter(pk=group_id, client_id=campaign.client_id).exists():
        raise NotFound("The contact group was deleted before its contacts were read.")
    contacts = (Contact.objects.filter(group_id=group_id).order_by("id")
                .values_list("phone", "name", "variables"))
    for phone, name, variables in contacts.iterator(chunk_size=5000):
        yield {**(variables or {}), "name": name, "phone": phone}


@shared_task(name="messaging.campaign_accept_group", ignore_result=True)
def campaign_accept_group_task(campaign_id: int, group_id: int) -> None:
    """Reads a contact group of the campaign's client into an accepting campaign (idempotent)."""
    campaign = _accepting(campaign_id)
    if campaign is None:
        return
    total = Contact.objects.filter(group_id=group_id, group__client_id=campaign.client_id).count()
    _accept(campaign, _group_rows(campaign, group_id), total)
