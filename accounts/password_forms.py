"""allauth's password forms with the site's sentence-case labels. A module of its own: allauth's
forms module imports accounts.forms (the sign-up form) halfway through loading, before these
classes exist there.

R-ACC-05: a reset by the email link also goes through the primary phone: opening the link sends a
code by SMS to it, and the new password is set only with that code."""
from allauth.account.forms import ChangePasswordForm as AllauthChangePasswordForm
from allauth.account.forms import ResetPasswordKeyForm as AllauthResetPasswordKeyForm
from django import forms
from django.utils.translation import gettext_lazy as _

from smsportal.errors import ApplicationError


class SentenceCaseLabels:
    """allauth titles its labels ("New Password"); the site writes them in sentence case."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if field.label:
                field.label = field.label[0] + field.label[1:].lower()
            placeholder = field.widget.attrs.get("placeholder")
            if placeholder:
                field.widget.attrs["placeholder"] = placeholder[0] + placeholder[1:].lower()


class ChangePasswordForm(SentenceCaseLabels, AllauthChangePasswordForm):
    pass


class ResetPasswordKeyForm(SentenceCaseLabels, AllauthResetPasswordKeyForm):
    phone_code = forms.CharField(label=_("Code from the SMS to your primary phone"), max_length=12,
                                 widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone_code"].label = _("Code from the SMS to your primary phone")
        self.send_error = None
        if not self.is_bound and self.user is not None:
            from accounts.services.phone_codes import password_reset_email_code_send  # noqa: PLC0415

            try:
                masked = password_reset_email_code_send(user=self.user)
            except ApplicationError as exc:
                self.send_error = exc.detail
            else:
                self.fields["phone_code"].help_text = _("We sent a code to %(phone)s. It is valid 10 minutes.") % {
                    "phone": masked}

    def clean_phone_code(self):
        from accounts.services.phone_codes import password_reset_email_code_check  # noqa: PLC0415

        code = self.cleaned_data.get("phone_code", "")
        try:
            password_reset_email_code_check(user=self.user, code=code)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.detail) from None
        return code

    def save(self):
        from accounts.services.phone_codes import password_reset_email_code_check  # noqa: PLC0415

        password_reset_email_code_check(user=self.user, code=self.cleaned_data["phone_code"], consume=True)
        return super().save()
