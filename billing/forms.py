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


class RefundRequestForm(forms.Form):
    """Shape only; the IBAN check (UA + 27 digits, mod-97) and the rules are the service's."""

    iban = forms.CharField(label="IBAN", max_length=40, help_text=_("UA and 27 digits, e.g. UA21 3223 1300 0002 6007 2335 6600 1."))
    account_holder = forms.CharField(label=_("Account holder"), max_length=200,
                                     help_text=_("The company or entrepreneur the account belongs to."))
    holder_tax_code = forms.CharField(label=_("Holder's tax code"), max_length=10,
                                      help_text=_("EDRPOU (8 digits) or RNOKPP (10 digits)."))
