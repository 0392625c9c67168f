"""Forms of the complaints pages (shape and type only; the rules are in lifecycle.complaints)."""
import uuid

from django import forms
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from accounts.models import Client
from smsportal.boundary import FormDateField

from .models import Complaint


class ComplaintAnswerForm(forms.Form):
    text = forms.CharField(label=_("Your answer"), max_length=10000, widget=forms.Textarea(attrs={"rows": 6}),
                           help_text=_("What these messages were, why the recipients got them (consent, a contract), "
                                     "and what you have done so it does not happen again."))


class ComplaintRecordForm(forms.Form):
    """Staff: a new complaint against a client's messages, named by their ids or by a recipient and a period."""
    client = forms.ModelChoiceField(queryset=Client.objects.order_by("name"), label=_("Client"))
    source = forms.ChoiceField(choices=Complaint.Source.choices, label=_("Who complained"))
    complainant = forms.CharField(max_length=200, required=False, label=_("Name"),
                                  help_text=_("Shown to the client (e.g. the operator's name)."))
    complainant_contact = forms.CharField(max_length=200, required=False, label=_("Contact"),
                                          help_text=_("Phone or email of the complainant; staff only."))
    subject = forms.CharField(label=_("What about"), max_length=10000, widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("The client reads this."))
    message_ids = forms.CharField(label=_("Message ids"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text=_("One or more message ids, separated by spaces, commas or new lines."))
    recipient = forms.CharField(label=_("Or: recipient"), max_length=32, required=False,
                                help_text=_("Every message of the client to this number in the period below."))
    date_from = FormDateField(label=_("From (day)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = FormDateField(label=_("To (day)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean_message_ids(self):
        raw = self.cleaned_data["message_ids"].replace(",", " ").split()
        ids = []
        for item in raw:
            try:
                ids.append(uuid.UUID(item))
            except ValueError:
                raise forms.ValidationError(gettext_now("“%(item)s” is not a message id.") % {"item": item[:40]}) from None
        return ids


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("Reason (the client reads it)"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class PenaltyForm(DecisionForm):
    messages = forms.IntegerField(label=_("Violating messages"), min_value=1,
                                  help_text=_("The penalty is charged per violating message (the amount per message "
                                            "is in the billing settings)."))
