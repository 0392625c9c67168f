"""Website forms of the stop list and the consent registry: shape and type only (the rules are
the services')."""
from django import forms
from django.utils.translation import gettext_lazy as _

from smsportal.boundary import FormDateTimeField

_PHONE_ATTRS = {"placeholder": "0671234567", "inputmode": "tel", "autocomplete": "off"}
CSV_HELP = _("A CSV file (UTF-8 or Windows-1251), up to 10 MB and 100,000 rows.")


class PhoneForm(forms.Form):
    phone = forms.CharField(label=_("Phone"), max_length=32, widget=forms.TextInput(attrs=_PHONE_ATTRS))


class StopListAddForm(PhoneForm):
    note = forms.CharField(label=_("Note"), max_length=300, required=False,
                           widget=forms.TextInput(attrs={"placeholder": _("e.g. asked by phone on 12 May")}))


class CsvUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=CSV_HELP,
                           widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}))


class EraseForm(PhoneForm):
    confirm = forms.BooleanField(label=_("I understand: the recipient's contacts, consents and message texts are "
                                       "deleted for good; the number stays on the stop list."))


class ConsentForm(forms.Form):
    phone = forms.CharField(label=_("Phone"), max_length=32, widget=forms.TextInput(attrs=_PHONE_ATTRS))
    name = forms.CharField(label=_("Recipient's name"), max_length=200, required=False)
    sms = forms.BooleanField(label="SMS", required=False, initial=True)
    viber = forms.BooleanField(label="Viber", required=False)
    company = forms.CharField(label=_("Given to (company)"), max_length=200, required=False,
                              help_text=_("Your company's name when empty."))
    source = forms.CharField(label=_("How it was given"), max_length=200, required=False,
                             widget=forms.TextInput(attrs={"placeholder": _("e.g. web form, signed paper form, call")}))
    given_at = FormDateTimeField(label=_("Given on"), required=False, help_text=_("Now when empty."),
                                 input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
                                 widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                            format="%Y-%m-%dT%H:%M"))
    proof_text = forms.CharField(label=_("Proof (text)"), required=False, max_length=10_000,
                                 widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("The wording agreed to, "
                                                                                        "a form's record, a call note")}))
    proof_file = forms.FileField(label=_("Proof (file)"), required=False,
                                 help_text=_("A scan, a screenshot or an export; up to 10 MB."))

    def clean(self):
        data = super().clean()
        if not (data.get("sms") or data.get("viber")):
            self.add_error("sms", _("Choose the channel(s) the consent covers: SMS, Viber or both."))
        return data


class ConsentSettingsForm(forms.Form):
    require_consent = forms.BooleanField(label=_("Send only to recipients with a recorded consent"), required=False)


class TrademarkProofForm(forms.Form):
    proof_file = forms.FileField(label=_("Proof file"), help_text=_(
        "A trademark registration certificate or a licence agreement (PDF or an image), up to 10 MB."))
    comment = forms.CharField(label=_("Comment"), max_length=1000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))
