"""The website's erasure of one recipient's personal data (R-CMP-13): the form is on the stop-list
page (compliance); the work spans messages and contacts (messaging.services.erasure)."""
from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts.permissions import SEND_ROLES, require_role
from compliance.forms import EraseForm
from smsportal.errors import ApplicationError

from .services.erasure import recipient_erase


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


@require_POST
@require_role(*SEND_ROLES)
def recipient_erase_view(request):
    form = EraseForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("stop_list")
    try:
        counts = recipient_erase(client=request.client, phone=form.cleaned_data["phone"], actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
        return redirect("stop_list")
    messages.success(request, f"Personal data of {form.cleaned_data['phone']} erased: "
                              f"{_plural(counts['messages'], 'message')} anonymized, "
                              f"{_plural(counts['contacts'], 'contact')} and {_plural(counts['consents'], 'consent')} "
                              f"deleted. The number stays on your stop list.")
    return redirect("stop_list")
