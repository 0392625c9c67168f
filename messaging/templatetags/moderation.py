"""{% moderation_queues as queues %}: what waits for staff, for the admin index — sender name
requests and messages held for content review — each with its count and the queue's link, for
the queues the staff member may see. Another queue joins by adding a row to QUEUES."""
from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

register = template.Library()


def _sender_names_waiting() -> int:
    from senders.selectors import sender_names_waiting_count  # noqa: PLC0415

    return sender_names_waiting_count()


def _messages_held() -> int:
    from ..services.review import review_items_count  # noqa: PLC0415

    return review_items_count()


def _viber_templates_waiting() -> int:
    from ..models import ViberTemplate  # noqa: PLC0415

    return ViberTemplate.objects.filter(state__in=(ViberTemplate.State.NEW, ViberTemplate.State.UNDER_REVIEW)).count()


# (permission to see the queue, label, the queue's admin URL name, its query, the count)
QUEUES = (
    ("senders.view_sendername", _("Sender name requests"), "admin:senders_sendername_changelist", "?queue=waiting",
     _sender_names_waiting),
    ("messaging.view_reviewqueue", _("Messages held for review (client and text)"),
     "admin:messaging_reviewqueue_changelist", "", _messages_held),
    ("messaging.view_vibertemplate", _("Viber templates waiting for Viber's decision"),
     "admin:messaging_vibertemplate_changelist", "", _viber_templates_waiting),
)


@register.simple_tag(takes_context=True)
def moderation_queues(context) -> list[dict]:
    user = context["request"].user
    return [{"label": label, "url": reverse(url_name) + query, "count": count()}
            for perm, label, url_name, query, count in QUEUES if user.has_perm(perm)]
