"""{% webhooks_panel %}: the Webhooks section of the API keys page (messaging owns the webhooks;
the page belongs to accounts, which does not import messaging)."""
from django import template

from ..models import WebhookDelivery, WebhookEvent
from ..selectors import webhook_endpoint_get
from ..web_webhooks import NEW_SECRET_SESSION, WebhookForm

register = template.Library()


@register.inclusion_tag("portal/_webhooks.html", takes_context=True)
def webhooks_panel(context):
    request = context["request"]
    client = getattr(request, "client", None) or request.user.client
    endpoint = webhook_endpoint_get(client=client)
    form = WebhookForm(initial={"url": endpoint.url if endpoint else "",
                                "submitted_events": endpoint.submitted_events if endpoint else False})
    pending = WebhookEvent.objects.filter(client=client, state=WebhookEvent.State.PENDING).count() if endpoint else 0
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "endpoint": endpoint,
        "form": form,
        "new_secret": request.session.pop(NEW_SECRET_SESSION, None),
        "deliveries": list(WebhookDelivery.objects.filter(client=client)[:10]) if endpoint else [],
        "pending": pending,
    }
