"""`{% load complaint_tags %}{% complaint_notice %}` in base.html: the notice of complaints waiting
for the client's answer (R-CMP-09), on every page until it answers."""
from django import template

from smsportal.kyiv import kyiv_date

from ..selectors import complaints_awaiting_answer

register = template.Library()


@register.inclusion_tag("lifecycle/_complaint_notice.html", takes_context=True)
def complaint_notice(context):
    request = context.get("request")
    client_id = getattr(getattr(request, "user", None), "client_id", None)
    if not client_id:
        return {"waiting": []}
    waiting = complaints_awaiting_answer(client_id=client_id)
    return {"waiting": waiting, "first": waiting[0] if waiting else None, "today": kyiv_date()}
