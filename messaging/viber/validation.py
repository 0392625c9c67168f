"""What a Viber message must satisfy before anything is sent (R-VIB-02, R-VIB-03, R-VIB-06), as the
partners' APIs check it (docs VIBER.md), with the same refusal codes the provider gives
(``provider.Refusal``). Pure functions: the sending flow calls them, and so does the simulator.

Content combinations allowed: text; image; text + button; text + image + button. Text + image
without a button is refused (partners differ; we take the strict side). A button is a caption of
at most 30 characters and an http(s) URL. Transactional messages are text only; a test message
contains "Test" or "Тест"; a session reply (R-VIB-06) is text or an image, no button. TTL
60–86,400 s (TurboSMS's range, the narrowest of the partners').
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.utils.formats import number_format
from django.utils.translation import gettext

from .provider import OutgoingMessage, Refusal, Refused, ViberType

TEXT_MAX = 1000
CAPTION_MAX = 30
TTL_MIN = 60
TTL_MAX = 86_400
SENDER_MAX = 20
IMAGE_BYTES_MAX = 3 * 1024 * 1024
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
SESSION_HOURS = 24
SESSION_MAX_MESSAGES = 60
SESSION_MAX_IN_A_ROW = 5

_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_SENDER = re.compile(r"^[0-9A-Za-zА-Яа-яІіЇїЄєҐґЁё][0-9A-Za-zА-Яа-яІіЇїЄєҐґЁё ._\-]*$")
_TEST_WORD = re.compile(r"test|тест", re.IGNORECASE)


def message_refusals(message: OutgoingMessage, *, shared_sender: str = "") -> list[Refused]:
    """Every reason ``message`` would be refused, in a fixed order (empty when it may be sent).
    ``shared_sender``: the provider's shared sender name, which may not send transactional
    messages (TurboSMS 415)."""
    out: list[Refused] = []
    kind = message.viber_type
    if kind not in ViberType.__members__.values():
        out.append(Refused(Refusal.TYPE_INVALID, gettext("Unknown Viber message type '%(type)s': use one of %(types)s.")
                           % {"type": kind, "types": ", ".join(t.value for t in ViberType)}))
    if not _E164.match(message.phone or ""):
        out.append(Refused(Refusal.PHONE_INVALID, gettext("The recipient must be a phone number in international "
                                                          "form (+380…).")))
    sender = message.sender or ""
    if not sender or len(sender) > SENDER_MAX or not _SENDER.match(sender):
        out.append(Refused(Refusal.SENDER_INVALID, gettext("The sender name must be 1–%(max)s letters or digits.")
                           % {"max": SENDER_MAX}))
    elif kind == ViberType.TRANSACTIONAL and shared_sender and sender.casefold() == shared_sender.casefold():
        out.append(Refused(Refusal.SHARED_SENDER_TRANSACTIONAL,
                           gettext("Transactional messages need your own approved Viber sender name, not the shared one.")))
    if not TTL_MIN <= message.ttl <= TTL_MAX:
        out.append(Refused(Refusal.TTL_OUT_OF_RANGE,
                           gettext("The lifetime (ttl) must be between %(min)s and %(max)s seconds.")
                           % {"min": TTL_MIN, "max": _n(TTL_MAX)}))

    text, image = message.text or "", message.image_url or ""
    caption, url = message.button_caption or "", message.button_url or ""
    if len(text) > TEXT_MAX:
        out.append(Refused(Refusal.TEXT_TOO_LONG, gettext("The text has %(n)s characters; at most %(max)s.")
                           % {"n": _n(len(text)), "max": _n(TEXT_MAX)}))
    if image:
        out.extend(_image_refusals(image))
    if caption or url:
        if not (caption and url):
            out.append(Refused(Refusal.BUTTON_INCOMPLETE, gettext("A button needs both a caption and a URL.")))
        if len(caption) > CAPTION_MAX:
            out.append(Refused(Refusal.CAPTION_TOO_LONG,
                               gettext("The button caption has %(n)s characters; at most %(max)s.")
                               % {"n": len(caption), "max": CAPTION_MAX}))
        if url and not _is_web_url(url, schemes=("https", "http")):
            out.append(Refused(Refusal.BUTTON_URL_INVALID,
                               gettext("The button URL must be an http:// or https:// address.")))

    has_button = bool(caption or url)
    if kind == ViberType.TRANSACTIONAL and (image or has_button):
        out.append(Refused(Refusal.TRANSACTIONAL_RICH, gettext("A transactional Viber message is text only: "
                                                               "no image and no button.")))
    elif kind == ViberType.SESSION and has_button:
        out.append(Refused(Refusal.COMBINATION, gettext("A chat reply is text or an image; it cannot have a button.")))
    elif not text and not image:
        out.append(Refused(Refusal.EMPTY, gettext("A Viber message needs a text or an image.")))
    elif has_button and not text:
        out.append(Refused(Refusal.COMBINATION, gettext("A button needs a text with it.")))
    elif text and image and not has_button and kind != ViberType.SESSION:
        out.append(Refused(Refusal.COMBINATION, gettext("A text with an image needs a button too (allowed: text; "
                                                        "image; text + button; text + image + button).")))
    if kind == ViberType.TEST and not _TEST_WORD.search(text):
        out.append(Refused(Refusal.TEST_WORD_MISSING, gettext('A test message must contain the word "Test" or "Тест".')))
    return out


def message_check(message: OutgoingMessage, *, shared_sender: str = "") -> Refused | None:
    """The first reason ``message`` would be refused, or None."""
    refusals = message_refusals(message, shared_sender=shared_sender)
    return refusals[0] if refusals else None


def image_upload_check(*, size: int, content_type: str = "") -> Refused | None:
    """An uploaded image: jpg or png, at most 3 MB (TurboSMS 402, 420)."""
    if content_type and content_type.lower() not in ("image/jpeg", "image/jpg", "image/png"):
        return Refused(Refusal.IMAGE_TYPE, gettext("The image must be a JPG or PNG file."))
    if size > IMAGE_BYTES_MAX:
        return Refused(Refusal.FILE_TOO_BIG, gettext("The image is %(size)s MB; at most 3 MB.")
                       % {"size": number_format(size / 1024 / 1024, 1)})
    return None


def session_check(*, opened_at: datetime, now: datetime, client_messages: int, in_a_row: int) -> Refused | None:
    """May the client send one more reply in a chat session (R-VIB-06)? ``client_messages``: the
    client's messages in the session so far; ``in_a_row``: those since the recipient's last message."""
    if now >= opened_at + timedelta(hours=SESSION_HOURS):
        return Refused(Refusal.SESSION_CLOSED, gettext("The chat session ended: it lasts %(hours)s hours from the "
                                                       "recipient's message.") % {"hours": SESSION_HOURS})
    if client_messages >= SESSION_MAX_MESSAGES:
        return Refused(Refusal.SESSION_LIMIT, gettext("A chat session allows at most %(n)s messages from you.")
                       % {"n": SESSION_MAX_MESSAGES})
    if in_a_row >= SESSION_MAX_IN_A_ROW:
        return Refused(Refusal.SESSION_LIMIT, gettext("At most %(n)s messages in a row without a reply; wait for the "
                                                      "recipient to answer.") % {"n": SESSION_MAX_IN_A_ROW})
    return None


def _image_refusals(url: str) -> list[Refused]:
    if not _is_web_url(url, schemes=("https",)):
        return [Refused(Refusal.IMAGE_URL_INVALID, gettext("The image must be an https:// address."))]
    if not urlsplit(url).path.lower().endswith(IMAGE_EXTENSIONS):
        return [Refused(Refusal.IMAGE_TYPE, gettext("The image must be a JPG or PNG file (.jpg, .jpeg or .png)."))]
    return []


def _n(value: int) -> str:
    """A count with the active language's grouping (1,000 / 1 000)."""
    return number_format(value, force_grouping=True)


def _is_web_url(url: str, *, schemes: tuple[str, ...]) -> bool:
    if len(url) > 2000 or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in schemes and bool(parts.hostname)
