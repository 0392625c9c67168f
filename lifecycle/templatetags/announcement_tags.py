"""`{% load announcement_tags %}{% announcement_banner %}` in base.html: the current notices of
planned maintenance and tariff or terms changes (R-SVC-01, R-SVC-02), on every page."""
from django import template

from ..announcements import announcements_current

register = template.Library()


@register.inclusion_tag("lifecycle/_announcement_banner.html")
def announcement_banner():
    current = announcements_current()
    return {"current": current[:2], "more": max(len(current) - 2, 0)}
