"""Website pages of the accounts app: the portal guard and API keys (the dashboard lives in
messaging, the app that can see every other one).

Views are thin: form → service → message → redirect. Reads go through selectors.
"""
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from smsportal.errors import ApplicationError

from .models import ApiKey
from .services import api_key_create, api_key_revoke
from .web_forms import ApiKeyCreateForm

NEW_KEY_SESSION = "portal_new_api_key"


def client_required(view):
    """Login required; the user's client becomes `request.client`. Staff (no client) go to the admin."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        client = request.user.client
        if client is None:
            if request.user.is_staff:
                return redirect("admin:index")
            return render(request, "portal/no_client.html", status=403)
        request.client = client
        return view(request, *args, **kwargs)

    return wrapper


def form_error_from(form, exc: ApplicationError, field: str | None = None) -> None:
    """A service's refusal becomes a form error (on `field`, or the whole form)."""
    form.add_error(field, exc.detail)


@client_required
def api_key_list(request):
    client = request.client
    if request.method == "POST":
        form = ApiKeyCreateForm(request.POST)
        if form.is_valid():
            try:
                key, raw = api_key_create(client=client, name=form.cleaned_data["name"], created_by=request.user)
            except ApplicationError as exc:
                form_error_from(form, exc, "name")
            else:
                # The raw key crosses one redirect in the session, is shown once, then forgotten.
                request.session[NEW_KEY_SESSION] = {"name": key.name, "prefix": key.prefix, "raw": raw}
                messages.success(request, f"API key “{key.name}” created.")
                return redirect("api_key_list")
    else:
        form = ApiKeyCreateForm()
    new_key = request.session.pop(NEW_KEY_SESSION, None)
    keys = ApiKey.objects.filter(client=client).order_by("-created_at", "-id")
    return render(request, "portal/api_keys.html", {
        "nav": "api_keys",
        "form": form,
        "keys": keys,
        "new_key": new_key,
        "api_base": request.build_absolute_uri("/api/v1/"),
    }, status=400 if form.is_bound else 200)


@require_POST
@client_required
def api_key_revoke_view(request, prefix: str):
    client = request.client
    key = ApiKey.objects.filter(client=client, prefix=prefix).only("pk", "name").first()
    if key is None:
        raise Http404("No such API key.")
    try:
        api_key_revoke(client=client, key_id=key.pk, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"API key “{key.name}” ({prefix}…) revoked. Requests using it are refused from now on.")
    return redirect("api_key_list")
