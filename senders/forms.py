"""Website forms of the senders app (shape only; the services hold the rules)."""
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Channel


class SenderCreateForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.SMS,
                                widget=forms.RadioSelect)
    name = forms.CharField(
        label=_("Sender name"), max_length=20,
        help_text=_("SMS: up to 11 Latin letters, digits, spaces and . & -. Viber: up to 20 Latin or Cyrillic "
                  "letters and digits."),
        widget=forms.TextInput(attrs={"placeholder": _("e.g. KvitkaShop"), "autocomplete": "off", "maxlength": 20}))
    proof = forms.FileField(
        label=_("Proof of the right to use a brand"), required=False,
        help_text=_("Needed for well-known brands (and for a generic word that is your registered brand): a letter "
                  "or agreement from the brand owner, or your trademark certificate. PDF, PNG or JPEG, up to 5 MB. "
                  "Only our staff see it."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"}))


class SenderDescriptionForm(forms.Form):
    """What operators need to register a national name (R-SND-05)."""

    company_name = forms.CharField(label=_("Company that sends"), max_length=200, required=False,
                                   help_text=_("Its full legal name, e.g. “Kvitka Flowers LLC”."))
    company_code = forms.CharField(label=_("EDRPOU or tax number of that company"), max_length=10, required=False,
                                   widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    website = forms.CharField(label=_("Website"), max_length=200, required=False,
                              help_text=_("Where recipients can find the company; “-” if it has none."))
    purpose = forms.CharField(label=_("What the messages are about"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("e.g. order and delivery notices, one-time codes, promotions for subscribers."))
    sample_text = forms.CharField(label=_("A typical message"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
