"""Settings of the web server the single-send benchmark starts: the production settings plus one
bench-only URL (bench/web_urls.py). Only `bench/b_single.py` passes this module (through
DJANGO_SETTINGS_MODULE) to the gunicorn it starts; the product never imports it, so the bare
view is never reachable in production."""
from smsportal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.web_urls"
