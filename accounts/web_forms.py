"""Website forms of the accounts app (shape only; the services hold the rules)."""
from django import forms


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        label="Key name", max_length=100,
        help_text="What uses this key, e.g. “Shop backend” or “CRM”. Only for you to tell keys apart.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. Shop backend", "autocomplete": "off"}),
    )
