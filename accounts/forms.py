"""allauth forms with our rules: the login lockout message (R-ACC-03) and sign-up details."""
from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _


def lock_message(until) -> str:
    local = timezone.localtime(until)
    minutes = max(1, round((until - timezone.now()).total_seconds() / 60))
    return gettext("Too many wrong passwords in a row: this login is locked for a while. It unlocks by itself at "
                   "%(time)s (in about %(minutes)s min). Forgot the password? Reset it below.") % {
        "time": f"{local:%H:%M}", "minutes": minutes}


class LoginForm(AllauthLoginForm):
    """Says when a locked login unlocks; the lock itself is allauth's `login_failed` rate limit
    (3 wrong passwords in a row for one login, in the shared cache)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "remember" in self.fields:
            self.fields["remember"].label = _("Remember me")

    def clean(self):
        from .adapter import login_locked_until  # noqa: PLC0415

        try:
            return super().clean()
        except ValidationError:
            email = (self.cleaned_data.get("login") or "").lower()
            until = login_locked_until(self.request, email) if self.request and email else None
            if until is not None:
                self.locked_until = until
                raise ValidationError(lock_message(until), code="too_many_login_attempts") from None
            raise


class SignupForm(forms.Form):
    """Extra sign-up fields (allauth calls `signup` after it created the user). allauth adds the
    `phone` field (ACCOUNT_SIGNUP_FIELDS) and verifies it by SMS before the first login."""

    company = forms.CharField(label=_("Company name"), max_length=200,
                              widget=forms.TextInput(attrs={"placeholder": _("e.g. Kvitka Flowers LLC"),
                                                            "autocomplete": "organization"}))
    tax_code = forms.CharField(
        label=_("EDRPOU or RNOKPP"), max_length=10, required=True,
        help_text=_("EDRPOU (8 digits) of a company, or RNOKPP (10 digits) of an entrepreneur."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": 10,
                                      "placeholder": _("e.g. 14360570")}))

    accept_offer = forms.BooleanField(
        label=_("I accept the public offer (terms of service)"), required=True,
        error_messages={"required": _("To create an account, accept the public offer: read it at the link above "
                                      "the box.")})

    @property
    def offer_version(self) -> str:
        from django.conf import settings  # noqa: PLC0415

        return settings.SMSPORTAL_OFFER_VERSION

    def clean_tax_code(self):
        from .services import tax_code_problem  # noqa: PLC0415

        code = "".join(ch for ch in self.cleaned_data.get("tax_code", "") if not ch.isspace())
        if problem := tax_code_problem(code):
            raise ValidationError(problem)
        return code

    def clean(self):
        from .services import DuplicateAccount, signup_duplicates  # noqa: PLC0415

        data = super().clean()
        if getattr(self, "account_already_exists", False) and "email" in self.fields:
            # allauth would pretend to sign up and wait for a code that never comes; one login per
            # email is no secret here (a phone or code of another account is refused by name too).
            self.add_error("email", _("An account with this email already exists. Log in, or reset the password "
                                    "by phone or email if you forgot it."))
            self.account_already_exists = False
        try:
            self.review_flag = signup_duplicates(phone=data.get("phone") or "", tax_code=data.get("tax_code") or "")
        except DuplicateAccount as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.detail)
        return data

    def signup(self, request, user):
        from .services import audit_record, client_create, client_offer_accept, legal_form_for  # noqa: PLC0415

        code = self.cleaned_data.get("tax_code", "")
        flag = getattr(self, "review_flag", "")
        client = client_create(name=self.cleaned_data["company"], owner=user, tax_code=code,
                               legal_form=legal_form_for(code) if code else "", review_flag=flag[:300])
        if self.cleaned_data.get("accept_offer"):
            client_offer_accept(client=client, actor=user)
        if flag:
            audit_record(code="accounts.client.flagged_duplicate", client=client, target=str(client.public_id),
                         details={"reason": flag})
