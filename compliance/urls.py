"""Website pages of the stop list and the consent registry (mounted at the site's root)."""
from django.urls import path

from smsportal import boundary  # noqa: F401 (the <text:…> converter)

from . import views

urlpatterns = [
    path("stop-list/", views.stop_list, name="stop_list"),
    path("stop-list/add/", views.stop_list_add_view, name="stop_list_add"),
    path("stop-list/remove/", views.stop_list_remove_view, name="stop_list_remove"),
    path("stop-list/import/", views.stop_list_import_view, name="stop_list_import"),
    path("stop-list/export.csv", views.stop_list_export, name="stop_list_export"),
    path("consents/", views.consent_list, name="consent_list"),
    path("consents/import/", views.consent_import_view, name="consent_import"),
    path("consents/settings/", views.consent_settings_view, name="consent_settings"),
    path("consents/proof.json", views.consent_proof_export, name="consent_proof"),
    path("consents/<text:consent_id>/withdraw/", views.consent_withdraw_view, name="consent_withdraw"),
    path("consents/<text:consent_id>/proof-file/", views.consent_proof_file, name="consent_proof_file"),
    path("trademark-proofs/", views.trademark_proofs, name="trademark_proofs"),
    path("trademark-proofs/<text:proof_id>/upload/", views.trademark_proof_upload, name="trademark_proof_upload"),
]
