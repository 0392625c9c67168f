"""Website pages of the message list beyond the list itself: a message's detail with its
timeline and Cancel, the delivery-report exports (CSV and XLSX, the list's filters applied,
streamed), and the SMS replies page.

A message has no status-history table: its timeline is made of what it records (created, send
time, submitted, done with its final status), its parts (each submit_sm and its receipt) and the
webhook events written for it (one per status change reported to the client's server, when it
has a webhook)."""
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import SEND_ROLES, client_required, require_role, user_can_send
from smsportal.errors import ApplicationError
from smsportal.money import money_text

from .cursors import BadCursor, cursor_decode, cursor_encode
from .exports import csv_response, xlsx_response
from .forms import MessageFilterForm
from .selectors import inbound_for_client, inbound_page, message_get, message_webhook_events, messages_filtered
from .services.cancel import CANCELLABLE, message_cancel
from .services.inbound import is_stop_reply
from .services.prepare import waiting_for_window_notice
from .status import FINAL, Status
from .views import _period_filter, _status_meta

REPLIES_PAGE = 50


def _timeline(message, parts, events) -> list[dict]:
    """What happened to a message, oldest first: (time, what, detail)."""
    steps = [{"at": message.created_at, "label": gettext("Accepted"), "detail": ""}]
    if message.send_at and message.send_at > message.created_at:
        steps.append({"at": message.send_at, "label": gettext("Scheduled to go out"), "detail": ""})
    for p in parts:
        if p.submitted_at:
            steps.append({"at": p.submitted_at, "label": gettext("Part %(seq)s sent to the operator") % {"seq": p.seq},
                          "detail": p.smsc_message_id or ""})
        if p.done_at:
            steps.append({"at": p.done_at, "label": gettext("Part %(seq)s: %(status)s")
                          % {"seq": p.seq, "status": p.get_status_display()}, "detail": p.error_code})
    if message.submitted_at:
        steps.append({"at": message.submitted_at, "label": Status(Status.SUBMITTED).label, "detail": ""})
    if message.done_at and message.status in FINAL:
        steps.append({"at": message.done_at, "label": message.get_status_display(),
                      "detail": message.error_code if message.status not in (Status.DELIVERED,) else ""})
    return sorted(steps, key=lambda s: s["at"])


@client_required
def message_detail(request, public_id):
    message = message_get(client=request.client, public_id=public_id)
    if message is None:
        raise Http404(gettext("No such message."))
    parts = list(message.parts.all())
    events = message_webhook_events(message=message)
    return render(request, "portal/message_detail.html", {
        "nav": "messages",
        "message": message,
        "price_text": money_text(message.price.amount, None),
        "parts": parts,
        "timeline": _timeline(message, parts, events),
        "events": events,
        "is_final": message.status in FINAL,
        "can_cancel": message.status in CANCELLABLE and user_can_send(request.user),
        "status_meta": _status_meta(),
        "hours_notice": waiting_for_window_notice(message),
    })


@require_POST
@require_role(*SEND_ROLES)
def message_cancel_view(request, public_id):
    try:
        message_cancel(client=request.client, public_id=public_id, actor=request.user)
    except ApplicationError as exc:
        if exc.status == 404:
            raise Http404(exc.detail) from None
        messages.error(request, exc.detail)
    else:
        messages.success(request, gettext("The message was cancelled; its reserved price is back on your balance."))
    return redirect("message_detail", public_id=public_id)


def _filtered(request):
    """The list page's filters (status, number, period) as a queryset, as the page shows them."""
    filters = MessageFilterForm(request.GET or None)
    status = filters.cleaned_data.get("status") if filters.is_valid() else None
    period = _period_filter(filters)
    return messages_filtered(client=request.client, status=status or None,
                             recipient_contains=filters.recipient_digits(),
                             created_from=period.get("created_at__gte"), created_to=period.get("created_at__lt"))


@require_GET
@client_required
def messages_export_csv(request):
    """The delivery report of the list's filters as CSV, streamed from a server-side cursor."""
    return csv_response(_filtered(request))


@require_GET
@client_required
def messages_export_xlsx(request):
    """The same as XLSX (openpyxl write-only into a temporary file, then sent)."""
    return xlsx_response(_filtered(request))


@client_required
def sms_replies(request):
    """SMS sent by recipients to the client's sender names, newest first; STOP replies marked."""
    qs = inbound_for_client(client=request.client)
    after = None
    raw = request.GET.get("cursor", "")
    if raw:
        try:
            after = cursor_decode(raw)
        except BadCursor:  # a mangled link shows the first page
            after = None
    rows, key = inbound_page(qs, after=after, limit=REPLIES_PAGE)
    return render(request, "portal/sms_replies.html", {
        "nav": "inbox",
        "rows": [{"m": m, "is_stop": is_stop_reply(m.text)} for m in rows],
        "next_cursor": cursor_encode(key),
        "paged": bool(raw),
    })
