"""The website's erasure of one recipient's personal data (R-CMP-13): the form is on the stop-list
page (compliance); the work spans messages and contacts (messaging.services.erasure)."""
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from accounts.permissions import SEND_ROLES, require_role
from compliance.forms import EraseForm
from smsportal.errors import ApplicationError

from .services.erasure import recipient_erase


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
    n_messages, n_contacts, n_consents = counts["messages"], counts["contacts"], counts["consents"]
    messages.success(request, " ".join((
        gettext("Personal data of %(phone)s erased:") % {"phone": form.cleaned_data["phone"]},
        ngettext("%(n)s message anonymized,", "%(n)s messages anonymized,", n_messages)
        % {"n": number_format(n_messages, force_grouping=True)},
        ngettext("%(n)s contact and", "%(n)s contacts and", n_contacts)
        % {"n": number_format(n_contacts, force_grouping=True)},
        ngettext("%(n)s consent deleted.", "%(n)s consents deleted.", n_consents)
        % {"n": number_format(n_consents, force_grouping=True)},
        gettext("The number stays on your stop list."),
    )))
    return redirect("stop_list")
