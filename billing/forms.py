"""Website forms of billing: shape and type only (whether an amount is acceptable is the service's call)."""
from django import forms
from django.utils.translation import gettext_lazy as _

from smsportal.boundary import FormDateField

from .models import LedgerEntry

KIND_CHOICES = [("", _("All kinds")), *LedgerEntry.Kind.choices]


class StatementFilterForm(forms.Form):
    date_from = FormDateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = FormDateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=KIND_CHOICES)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class InvoiceCreateForm(forms.Form):
    amount = forms.IntegerField(
        label=_("Amount, UAH"), min_value=1, max_value=10_000_000,
        help_text=_("Whole hryvnias, without kopecks."),
        widget=forms.NumberInput(attrs={"placeholder": _("e.g. 1000"), "step": "1", "min": "1", "inputmode": "numeric"}))
