"""allauth's password forms with the site's sentence-case labels. A module of its own: allauth's
forms module imports accounts.forms (the sign-up form) halfway through loading, before these
classes exist there."""
from allauth.account.forms import ChangePasswordForm as AllauthChangePasswordForm
from allauth.account.forms import ResetPasswordKeyForm as AllauthResetPasswordKeyForm


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
    pass
