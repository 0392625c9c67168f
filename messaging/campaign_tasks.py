"""Celery entry points for campaigns (imported by messaging.tasks so the worker registers them)."""
from celery import shared_task

from .services import campaigns_settle


@shared_task(name="messaging.campaigns_settle", ignore_result=True)
def campaigns_settle_task() -> int:
    """Every minute: campaigns with nothing left to submit are marked done."""
    return campaigns_settle()
