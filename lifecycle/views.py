"""The client's Compliance page: its complaints (R-CMP-09) with their answers and decisions, and
how many of its recent messages were refused or are held for review. A complaint of another
client is a 404 (R-CMP-12)."""
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.permissions import ALL_ROLES, SEND_ROLES, require_role
from accounts.views import form_error_from
from smsportal.errors import ApplicationError
from smsportal.kyiv import kyiv_date

from .announcements import announcements_current, announcements_published
from .complaints import complaint_answer
from .forms import ComplaintAnswerForm
from .models import Complaint
from .selectors import RECENT_DAYS, complaint_get, complaints_for_client, compliance_message_counts


@require_role(*ALL_ROLES)
def compliance_overview(request):
    client = request.client
    return render(request, "lifecycle/compliance.html", {
        "nav": "compliance", "complaints": complaints_for_client(client=client), "today": kyiv_date(),
        "counts": compliance_message_counts(client=client), "recent_days": RECENT_DAYS,
    })


@require_role(*SEND_ROLES, methods=("POST",))
def complaint_detail(request, public_id):
    client = request.client
    complaint = complaint_get(client=client, public_id=public_id)
    if complaint is None:
        raise Http404(_("No such complaint."))
    can_answer = request.user.role in SEND_ROLES and complaint.status == Complaint.Status.OPEN
    form = ComplaintAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            complaint_answer(complaint=complaint, text=form.cleaned_data["text"], actor=request.user)
        except ApplicationError as exc:
            form_error_from(form, exc, "text")
        else:
            messages.success(request, _("Answer sent. Staff will review it and tell you their decision by email."))
            return redirect("complaint_detail", public_id=complaint.public_id)
    sample = list(complaint.messages.order_by("created_at", "id")[:50])
    return render(request, "lifecycle/complaint_detail.html", {
        "nav": "compliance", "complaint": complaint, "form": form, "can_answer": can_answer,
        "sample": sample, "message_count": complaint.messages.count(), "today": kyiv_date(),
    }, status=400 if form.is_bound else 200)


def announcements_list(request):
    """Every published notice (maintenance, tariff and terms changes), the current ones first."""
    current = announcements_current()
    ids = {a.pk for a in current}
    past = [a for a in announcements_published().order_by("-published_at", "-id")[:50] if a.pk not in ids]
    return render(request, "lifecycle/announcements.html", {"nav": "announcements", "current": current, "past": past})
