"""The client's Compliance page (mounted at compliance/ in smsportal/urls.py)."""
from django.urls import path

from . import views

urlpatterns = [
    path("", views.compliance_overview, name="compliance_overview"),
    path("complaints/<uuid:public_id>/", views.complaint_detail, name="complaint_detail"),
]
