"""Website forms of the senders app (shape only; the services hold the rules)."""
from django import forms

from .models import Channel


class SenderCreateForm(forms.Form):
    channel = forms.ChoiceField(label="Channel", choices=Channel.choices, initial=Channel.SMS,
                                widget=forms.RadioSelect)
    name = forms.CharField(
        label="Sender name", max_length=20,
        help_text="SMS: up to 11 Latin letters, digits, spaces and . & -. Viber: up to 20 Latin or Cyrillic "
                  "letters and digits.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. KvitkaShop", "autocomplete": "off", "maxlength": 20}))
    proof = forms.FileField(
        label="Proof of the right to use a brand", required=False,
        help_text="Needed for well-known brands (and for a generic word that is your registered brand): a letter "
                  "or agreement from the brand owner, or your trademark certificate. PDF, PNG or JPEG, up to 5 MB. "
                  "Only our staff see it.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"}))


class SenderDescriptionForm(forms.Form):
    """What operators need to register a national name (R-SND-05)."""

    company_name = forms.CharField(label="Company that sends", max_length=200, required=False,
                                   help_text="Its full legal name, e.g. “Kvitka Flowers LLC”.")
    company_code = forms.CharField(label="EDRPOU or tax number of that company", max_length=10, required=False,
                                   widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    website = forms.CharField(label="Website", max_length=200, required=False,
                              help_text="Where recipients can find the company; “-” if it has none.")
    purpose = forms.CharField(label="What the messages are about", required=False,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text="e.g. order and delivery notices, one-time codes, promotions for subscribers.")
    sample_text = forms.CharField(label="A typical message", required=False, widget=forms.Textarea(attrs={"rows": 3}))
