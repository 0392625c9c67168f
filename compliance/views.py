"""Website pages of the stop list and the consent registry (R-CMP-05, 06, 12, 13), and the
erasure of one recipient's data.

The erasure form on the stop-list page posts to messaging.web_erasure (it spans contacts and
messages, which compliance cannot reach). Thin: form → service → message → redirect; services' ApplicationErrors become messages or form
errors. Every query is scoped to `request.client`: another client's entry or consent is a 404.
"""
import io
import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import SEND_ROLES, require_role
from smsportal.csvsafe import csv_writer
from smsportal.errors import ApplicationError
from smsportal.phones import normalize_phone

from .forms import (ConsentForm, ConsentSettingsForm, CsvUploadForm, EraseForm, PhoneForm, StopListAddForm,
                    TrademarkProofForm)
from .selectors import (compliance_settings_get, consent_get, consent_proof, consents_for_client,
                        stop_list_for_client)
from .services import (consent_record, consent_withdraw, consents_import, compliance_settings_set, stop_list_add,
                       stop_list_import, stop_list_remove)
from .trademarks import trademark_proof_get, trademark_proof_provide, trademark_proofs_for_client

PAGE_SIZE = 50
STOP_LIST_REPORT = "compliance_stop_list_report"
CONSENT_REPORT = "compliance_consent_report"

def _errors(form) -> str:
    return " ".join(e for errors in form.errors.values() for e in errors)


def _query(request) -> tuple[str, str]:
    q = request.GET.get("q", "").strip()[:100].replace("\x00", "")
    return q, (f"q={q}" if q else "")


def _back(request, name: str):
    page = request.POST.get("page", "")
    url = reverse(name)
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


# --- the stop list ----------------------------------------------------------------------------------

@require_GET
@require_role()
def stop_list(request):
    client = request.client
    q, query = _query(request)
    page = Paginator(stop_list_for_client(client=client, search=q), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "compliance/stop_list.html", {
        "nav": "stop_list", "page": page, "rows": list(page.object_list), "q": q,
        "query": "&".join(filter(None, [query])), "add_form": StopListAddForm(), "import_form": CsvUploadForm(),
        "erase_form": EraseForm(), "report": request.session.pop(STOP_LIST_REPORT, None),
        "can_change": request.user.role in SEND_ROLES,
    })


@require_POST
@require_role(*SEND_ROLES)
def stop_list_add_view(request):
    form = StopListAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect("stop_list")
    try:
        entry, created = stop_list_add(client=request.client, phone=form.cleaned_data["phone"],
                                       note=form.cleaned_data["note"], actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("%(phone)s added to the stop list.") % {"phone": entry.phone} if created
                         else _("%(phone)s is already on the stop list.") % {"phone": entry.phone})
    return redirect("stop_list")


@require_POST
@require_role(*SEND_ROLES)
def stop_list_remove_view(request):
    form = PhoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return _back(request, "stop_list")
    try:
        stop_list_remove(client=request.client, phone=form.cleaned_data["phone"], actor=request.user)
    except ApplicationError as exc:
        if exc.status == 404:
            raise Http404(exc.detail) from None
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("%(phone)s removed from the stop list.") % {"phone": form.cleaned_data["phone"]})
    return _back(request, "stop_list")


@require_POST
@require_role(*SEND_ROLES)
def stop_list_import_view(request):
    form = CsvUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect("stop_list")
    try:
        report = stop_list_import(client=request.client, upload=form.cleaned_data["file"], actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
        return redirect("stop_list")
    request.session[STOP_LIST_REPORT] = {**report.as_dict(), "filename": form.cleaned_data["file"].name[:120]}
    messages.success(request, ngettext("%(n)s number added to the stop list.", "%(n)s numbers added to the stop list.",
                                       report.added) % {"n": number_format(report.added, force_grouping=True)})
    return redirect("stop_list")


@require_GET
@require_role()
def stop_list_export(request):
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(["phone", "source", "note", "opted_out_at", "consent_after"])
    for e in stop_list_for_client(client=request.client).iterator(chunk_size=5000):
        writer.writerow([e.phone, e.source, e.note, timezone.localtime(e.created_at).isoformat(),
                         "yes" if e.resumed else ""])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="stop-list.csv"'
    return response


# --- consents -------------------------------------------------------------------------------------

@require_role(*SEND_ROLES, methods=("POST",))
def consent_list(request):
    client = request.client
    form = ConsentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            consent = consent_record(client=client, phone=d["phone"], given_at=d["given_at"], name=d["name"],
                                     sms=d["sms"], viber=d["viber"], company=d["company"], source=d["source"],
                                     proof_text=d["proof_text"], proof_file=d["proof_file"], actor=request.user)
        except ApplicationError as exc:
            form.add_error(None, exc.detail)
        else:
            messages.success(request, _("Consent of %(phone)s recorded.") % {"phone": consent.phone})
            return redirect("consent_list")
    q, query = _query(request)
    page = Paginator(consents_for_client(client=client, search=q), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "compliance/consents.html", {
        "nav": "consents", "page": page, "rows": list(page.object_list), "q": q, "query": query, "form": form,
        "import_form": CsvUploadForm(), "proof_form": PhoneForm(),
        "settings_form": ConsentSettingsForm(initial={
            "require_consent": compliance_settings_get(client=client).require_consent}),
        "report": request.session.pop(CONSENT_REPORT, None), "can_change": request.user.role in SEND_ROLES,
    }, status=400 if form.is_bound and form.errors else 200)


@require_POST
@require_role(*SEND_ROLES)
def consent_withdraw_view(request, consent_id):
    if consent_get(client=request.client, consent_id=consent_id) is None:
        raise Http404(_("No such consent."))
    consent = consent_withdraw(client=request.client, consent_id=consent_id, actor=request.user)
    messages.success(request, _("Consent of %(phone)s marked as withdrawn.") % {"phone": consent.phone})
    return _back(request, "consent_list")


@require_POST
@require_role(*SEND_ROLES)
def consent_import_view(request):
    form = CsvUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect("consent_list")
    try:
        report = consents_import(client=request.client, upload=form.cleaned_data["file"], actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
        return redirect("consent_list")
    request.session[CONSENT_REPORT] = {**report.as_dict(), "filename": form.cleaned_data["file"].name[:120]}
    messages.success(request, ngettext("%(n)s consent recorded.", "%(n)s consents recorded.", report.added)
                     % {"n": number_format(report.added, force_grouping=True)})
    return redirect("consent_list")


@require_POST
@require_role(*SEND_ROLES)
def consent_settings_view(request):
    form = ConsentSettingsForm(request.POST)
    form.is_valid()
    on = bool(form.cleaned_data.get("require_consent"))
    compliance_settings_set(client=request.client, require_consent=on, actor=request.user)
    messages.success(request, _("Sends now skip recipients without a recorded consent.") if on
                     else _("Sends no longer require a recorded consent (Viber advertising still does)."))
    return redirect("consent_list")


@require_GET
@require_role()
def consent_proof_export(request):
    """Everything on one phone's consent and opt-outs, as a JSON download (R-CMP-06)."""
    phone = normalize_phone(request.GET.get("phone", "")[:32].replace("\x00", ""))
    if not phone:
        messages.error(request, _("Enter a phone number, e.g. +380671234567 or 0671234567."))
        return redirect("consent_list")
    proof = consent_proof(client=request.client, phone=phone)
    response = HttpResponse(json.dumps(proof, ensure_ascii=False, indent=2),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="consent-{phone.lstrip("+")}.json"'
    return response


@require_GET
@require_role()
def consent_proof_file(request, consent_id):
    consent = consent_get(client=request.client, consent_id=consent_id)
    if consent is None or not consent.proof_file:
        raise Http404(_("No such file."))
    try:
        handle = consent.proof_file.open("rb")
    except FileNotFoundError:
        raise Http404(_("No such file.")) from None
    return FileResponse(handle, as_attachment=True, filename=consent.proof_file.name.rsplit("/", 1)[-1])


# --- trademark proofs of rights (R-VIB-10) ----------------------------------------------------------

@require_role(*SEND_ROLES, methods=("POST",))
def trademark_proofs(request):
    """The client's trademark proof requests with their due days, and an upload form for each open one."""
    from smsportal.kyiv import kyiv_date
    today = kyiv_date()
    rows = list(trademark_proofs_for_client(client=request.client)[:200])
    for row in rows:
        row.current_status = row.status_on(today)
    return render(request, "compliance/trademark_proofs.html", {
        "nav": "compliance", "rows": rows, "form": TrademarkProofForm(),
        "can_change": request.user.role in SEND_ROLES})


@require_POST
@require_role(*SEND_ROLES)
def trademark_proof_upload(request, proof_id):
    try:
        proof = trademark_proof_get(client=request.client, proof_id=proof_id)
    except ApplicationError:
        raise Http404(_("No such trademark proof request.")) from None
    form = TrademarkProofForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect("trademark_proofs")
    try:
        trademark_proof_provide(client=request.client, proof_id=proof.pk, proof_file=form.cleaned_data["proof_file"],
                                comment=form.cleaned_data["comment"], actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Proof for %(trademark)s uploaded: staff will check it.") % {
            "trademark": proof.trademark})
    return redirect("trademark_proofs")
