"""Transactional Viber templates (R-VIB-05): does a text fill one of the client's approved
templates? A template is fixed words with ``{placeholders}``; a placeholder matches any non-empty
text, everything else must be the same, exactly."""
from __future__ import annotations

import re

from ..models import ViberTemplate

_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def template_pattern(text: str) -> re.Pattern:
    pieces, last = [], 0
    for m in _PLACEHOLDER.finditer(text):
        pieces.append(re.escape(text[last:m.start()]))
        pieces.append(r".+?")
        last = m.end()
    pieces.append(re.escape(text[last:]))
    return re.compile("".join(pieces), re.DOTALL)


def template_match(*, client, text: str) -> ViberTemplate | None:
    """The client's approved template that `text` fills, or None."""
    for template in ViberTemplate.objects.filter(client=client, state=ViberTemplate.State.APPROVED).order_by("id"):
        if template_pattern(template.text).fullmatch(text or ""):
            return template
    return None
