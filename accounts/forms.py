from django import forms


class SignupForm(forms.Form):
    """Extra sign-up fields (allauth calls `signup` after it created the user)."""

    company = forms.CharField(label="Company name", max_length=200,
                              widget=forms.TextInput(attrs={"placeholder": "e.g. Kvitka Flowers LLC",
                                                            "autocomplete": "organization"}))

    def signup(self, request, user):
        from .services import client_create  # noqa: PLC0415 (allauth imports forms at settings time)

        client_create(name=self.cleaned_data["company"], owner=user)
