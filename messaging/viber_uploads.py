"""Pictures a client uploads for a Viber message (the website's Viber tab): stored in MEDIA under a
random name (nothing of the client's file name survives) and served publicly by
`messaging.views.viber_image`, because Viber fetches the picture itself, by URL, when it delivers.

The URL must be https:// (R-VIB-02): it is built on SMSPORTAL_PUBLIC_BASE_URL (e.g.
`https://portal.example.ua` in production) when that is set, else on the request's own address,
which is https behind the production proxy (SECURE_PROXY_SSL_HEADER) and http only on a developer's
machine, where the Viber service then refuses it as not https.
"""
import re
import secrets

from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse

FOLDER = "viber"
NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png)$")
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png"}


def viber_image_store(*, file, image_format: str) -> str:
    """Saves a checked upload (messaging.forms.ViberImageField) and returns its stored name."""
    name = f"{secrets.token_hex(16)}.{image_format}"
    file.seek(0)
    default_storage.save(f"{FOLDER}/{name}", file)
    return name


def viber_image_path(name: str) -> str | None:
    """The storage path of a stored picture, or None for a name this module never gives out."""
    return f"{FOLDER}/{name}" if NAME.match(name or "") else None


def viber_image_public_url(*, name: str, request=None) -> str:
    path = reverse("viber_image", kwargs={"name": name})
    base = (getattr(settings, "SMSPORTAL_PUBLIC_BASE_URL", "") or "").rstrip("/")
    if base:
        return base + path
    return request.build_absolute_uri(path) if request is not None else path
