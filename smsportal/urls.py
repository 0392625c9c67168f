from django.contrib import admin
from django.urls import include, path

from allauth.account.decorators import secure_admin_login

admin.site.site_header = "smsportal staff"
admin.site.site_title = "smsportal staff"
admin.site.index_title = "Operations"
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("smsportal.api_urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("smsportal.web_urls")),
]
