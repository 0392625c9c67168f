"""The billing pages of the website, mounted at /billing/ (smsportal/web_urls.py)."""
from django.urls import path

from . import views

urlpatterns = [
    path("", views.billing_overview, name="billing_overview"),
    path("statement/", views.billing_statement, name="billing_statement"),
    path("statement.csv", views.billing_statement_csv, name="billing_statement_csv"),
    path("prices/", views.billing_prices, name="billing_prices"),
    path("invoices/", views.invoice_list, name="invoice_list"),
    path("refund/", views.billing_refund, name="billing_refund"),
    path("invoices/<uuid:public_id>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<uuid:public_id>/document/", views.invoice_document, name="invoice_document"),
    path("invoices/<uuid:public_id>/document.pdf", views.invoice_document_pdf, name="invoice_document_pdf"),
    path("acts/<uuid:public_id>/", views.act_document, name="act_document"),
    path("acts/<uuid:public_id>/document.pdf", views.act_document_pdf, name="act_document_pdf"),
]
