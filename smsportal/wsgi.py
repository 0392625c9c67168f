import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smsportal.settings")
application = get_wsgi_application()

# The web server refuses to start when the static files are not collected (DEBUG off): else every
# page would be a 500.
from smsportal.checks import static_manifest_require  # noqa: E402

static_manifest_require()
