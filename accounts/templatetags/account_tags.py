"""`{% load account_tags %}{% account_notice %}` in base.html: the block banner on every page
(R-ACC-06), the termination notice (R-ACC-08), and the staff MFA reminder."""
from django import template
from django.utils import timezone

register = template.Library()


@register.inclusion_tag("account/_account_notice.html", takes_context=True)
def account_notice(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    out = {"hold": None, "client": None, "terminates_at": None, "now": timezone.now()}
    if not getattr(user, "is_authenticated", False) or not getattr(user, "client_id", None):
        return out
    client = user.client
    out["client"] = client
    if client.status in (client.Status.BLOCKED, client.Status.DORMANT):
        out["hold"] = client.open_block
        out["status"] = client.get_status_display()
        out["reason"] = client.status_reason
    if client.terminates_at and client.status != client.Status.TERMINATED:
        out["terminates_at"] = client.terminates_at
    out["terminated"] = client.status == client.Status.TERMINATED
    return out
