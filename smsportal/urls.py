from allauth.account import views as allauth_views
from allauth.account.decorators import reauthentication_required, secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.decorators import api_view, authentication_classes, permission_classes

from accounts.views import language_set, phone_change_confirm, primary_phone_confirmed
from lifecycle import views as lifecycle_views
from messaging.viber.views import viber_webhook
from smsportal import health, metrics
from smsportal.errors import NotFound

admin.site.site_header = gettext_lazy("smsportal staff")
admin.site.site_title = gettext_lazy("smsportal staff")
admin.site.index_title = gettext_lazy("Operations")
# The lists (sender queue, messages, wallets) need the width more than a second copy of the index.
admin.site.enable_nav_sidebar = False
admin.site.login = secure_admin_login(admin.site.login)



@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([])
def api_not_found(request, *args, **kwargs):
    raise NotFound("No such API endpoint.")


_public = {"authentication_classes": [], "permission_classes": []}

urlpatterns = [
    # Served first by smsportal.health.ProbeMiddleware (no host check, no HTTPS redirect); named here.
    path("healthz", health.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("viber/webhook/", viber_webhook, name="viber-webhook"),
    path("api/v1/schema/", SpectacularAPIView.as_view(**_public), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema", **_public), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema", **_public), name="api-redoc"),
    path("api/v1/", include("smsportal.api_urls")),
    # The TurboSMS facade under a path, to try it locally (make run); in production it answers at
    # the root of its own host (settings.TURBOSMS_HOSTS, messaging.turbosms.middleware).
    *([path(settings.TURBOSMS_PATH_PREFIX + "/", include("messaging.turbosms.urls"))]
      if settings.TURBOSMS_PATH_PREFIX else []),
    re_path(r"^api/", api_not_found),
    # The primary phone is the password-reset channel (R-ACC-05): changing it asks for the
    # password again unless the login was in the last few minutes.
    # … and only with a code sent to the current primary phone first (accounts.views.primary_phone_confirmed).
    path("accounts/phone/change/", primary_phone_confirmed(
        reauthentication_required(allauth_views.change_phone, allow_get=True)), name="account_change_phone"),
    path("accounts/phone/change/confirm/", phone_change_confirm, name="account_change_phone_confirm"),
    path("accounts/", include("allauth.urls")),
    path("compliance/", include("lifecycle.urls")),
    path("announcements/", lifecycle_views.announcements_list, name="announcements"),
    # The language switch: Django's set_language, which also keeps a logged-in user's choice.
    path("i18n/setlang/", language_set, name="set_language"),
    path("", include("smsportal.web_urls")),
]
