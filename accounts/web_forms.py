"""Website forms of the accounts app (shape only; the services hold the rules)."""
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Client, User


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Key name"), max_length=100,
        help_text=_("What uses this key, e.g. “Shop backend” or “CRM”. Only for you to tell keys apart."),
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Shop backend"), "autocomplete": "off"}),
    )
    allowed_ips = forms.CharField(
        label=_("Allowed IP addresses"), required=False,
        help_text=_("Optional. One address or network per line (e.g. 203.0.113.7 or 203.0.113.0/24); requests from "
                  "elsewhere are refused. Empty: any address."),
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "203.0.113.7", "class": "mono"}))


class ApiKeyIpsForm(forms.Form):
    allowed_ips = forms.CharField(label=_("Allowed IP addresses"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2, "class": "mono"}))


class LegalDetailsForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = ["legal_form", "legal_name", "tax_code", "vat_payer", "vat_number", "signatory_name",
                  "signatory_position", "postal_address", "documents_email", "edi_capable", "edi_provider"]
        widgets = {
            "legal_form": forms.RadioSelect,
            "postal_address": forms.Textarea(attrs={"rows": 2}),
            "tax_code": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 10}),
            "vat_number": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 12}),
        }
        help_texts = {
            "legal_name": _("As in the state register, e.g. “Kvitka Flowers LLC” or “FOP Ivanenko Olena Petrivna”."),
            "signatory_position": _("e.g. Director, or Entrepreneur."),
            "postal_address": _("Where we post signed acts and invoices."),
            "documents_email": _("Where we email closing documents."),
            "edi_provider": _("e.g. M.E.Doc, Vchasno, Dubidoc."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["legal_form"].choices = Client.LegalForm.choices
        self.fields["legal_form"].required = True


class ExplanationForm(forms.Form):
    text = forms.CharField(label=_("Your explanation"), max_length=10000,
                           widget=forms.Textarea(attrs={"rows": 6}),
                           help_text=_("What happened, and what you have done so it does not happen again."))


class TerminationForm(forms.Form):
    reason = forms.CharField(label=_("Why are you leaving? (optional)"), required=False, max_length=300,
                             widget=forms.TextInput())
    confirm = forms.BooleanField(label=_("I understand the account stops sending on the termination date."))


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"placeholder": _("colleague@company.ua")}))
    role = forms.ChoiceField(label=_("Role"), choices=User.Role.choices, initial=User.Role.MEMBER)


class _PasswordTwiceForm(forms.Form):
    """A form whose password1 and password2 must be the same."""

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("You must type the same password each time."))
        return data


class InvitationAcceptForm(_PasswordTwiceForm):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    password1 = forms.CharField(label=_("Password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text=_("At least 8 characters, not too common, not only digits."))
    password2 = forms.CharField(label=_("Password (again)"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class PhoneResetRequestForm(forms.Form):
    phone = forms.CharField(label=_("Mobile phone"), max_length=30,
                            help_text=_("The primary phone of your account. We send a 6-digit code by SMS."),
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel",
                                                          "placeholder": "067 123 45 67"}))

    def clean_phone(self):
        from .phones import phone_normalize  # noqa: PLC0415

        return phone_normalize(self.cleaned_data["phone"])


class PhoneResetCodeForm(_PasswordTwiceForm):
    code = forms.CharField(label=_("Code from the SMS"), max_length=12,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code",
                                                         "placeholder": "123456"}))
    password1 = forms.CharField(label=_("New password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text=_("At least 8 characters, not too common, not only digits."))
    password2 = forms.CharField(label=_("New password (again)"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class PhoneChangeConfirmForm(forms.Form):
    code = forms.CharField(label=_("Code from the SMS to your current phone"), max_length=12,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code",
                                                         "placeholder": "123456"}))
