"""Website: the Webhooks section of the API keys page (URL, signing secret shown once, last
deliveries). Thin: form → service → message → redirect."""
from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.permissions import require_role
from smsportal.errors import ApplicationError

from .services.webhooks import webhook_endpoint_set, webhook_secret_regenerate, webhook_test_send

NEW_SECRET_SESSION = "portal_new_webhook_secret"


class WebhookForm(forms.Form):
    url = forms.CharField(label=_("Webhook URL"), max_length=500, required=False,
                          widget=forms.URLInput(attrs={"placeholder": "https://example.com/smsportal/status"}),
                          help_text=_("We POST delivery statuses here, signed with your secret. Leave empty to "
                                      "turn webhooks off."))
    submitted_events = forms.BooleanField(label=_("Also when a message reaches the operator (submitted)"),
                                          required=False)


def _back():
    return redirect(reverse("api_key_list") + "#webhooks")


@require_POST
@require_role("owner", "member")
def webhook_save(request):
    form = WebhookForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
        return _back()
    try:
        endpoint, raw = webhook_endpoint_set(client=request.client, url=form.cleaned_data["url"],
                                             submitted_events=form.cleaned_data["submitted_events"],
                                             actor=request.user)
    except ApplicationError as exc:
        messages.error(request, gettext("Webhook URL not saved: %(detail)s") % {"detail": exc.detail})
        return _back()
    if raw:
        request.session[NEW_SECRET_SESSION] = raw  # crosses one redirect, shown once
    messages.success(request, gettext("Webhook URL saved.") if endpoint.url else gettext("Webhooks turned off."))
    return _back()


@require_POST
@require_role("owner", "member")
def webhook_secret_regenerate_view(request):
    _endpoint, raw = webhook_secret_regenerate(client=request.client, actor=request.user)
    request.session[NEW_SECRET_SESSION] = raw
    messages.success(request, gettext("New webhook secret made: the old one no longer signs anything. "
                                      "Put the new one into your software."))
    return _back()


@require_POST
@require_role("owner", "member")
def webhook_test_view(request):
    try:
        webhook_test_send(client=request.client, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, gettext("Test event queued: it reaches your URL within seconds; see Last deliveries."))
    return _back()

