"""Website pages for bulk campaigns and contact groups.

A new campaign takes two steps: the form (text, sender, one source of recipients: a CSV/XLSX file,
pasted numbers or a contact group, schedule and lifetime), then a review (the file's first rows,
its phone column, the {variables} it offers, an estimated cost) and the go-ahead. The draft
between the steps lives in the session under a random token; confirming it twice creates one
campaign. Files and groups are read by a Celery task (the detail page shows its progress);
pasted numbers are accepted at once.

Views are thin: form → service → message → redirect; services' ApplicationErrors become form
errors. Every query is scoped to `request.client`; another client's campaign, group or contact
is a 404.
"""
import io
import secrets
from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import SEND_ROLES, client_required, require_role
from billing.selectors import wallet_get
from compliance.services import content_screen, message_type_check
from senders.selectors import sender_names_for_client
from smsportal.csvsafe import csv_writer
from smsportal.errors import ApplicationError
from smsportal.money import money_text

from .forms import (CAMPAIGN_TTL_CHOICES, VIBER_TEXT_MAX, VIBER_TYPE_CHOICES, CampaignConfirmForm, CampaignForm, ContactAddForm,
                    ContactGroupForm, ContactImportForm, ViberCampaignForm)
from .models import Campaign, Contact, ContactGroup, Message, MessageType
from .selectors import (CAMPAIGN_COUNT_GROUPS, campaign_counts, campaign_get, campaign_status_counts,
                        campaigns_for_client, campaigns_status_counts, contact_groups_for_client, error_text,
                        row_error_text)
from .services import (campaign_cancel, campaign_settle, campaign_start, contact_add, contact_delete, contact_group_create,
                       contact_group_delete, contact_group_rename, contacts_import)
from .services.prepare import check_text, prepare_rows, template_variables, variables_empty, window_notice
from .services.send import sender_check
from .status import FINAL, Status
from .uploads import (HEAD_ROWS, MAX_ROWS, UploadError, recipient_dicts, upload_delete, upload_head, upload_inspect,
                      upload_path, upload_recipients, upload_save)
from .viber.campaigns import viber_campaign_check, viber_campaign_estimate
from .viber.service import ViberRequest
from .views import (LONG_MESSAGE_PARTS, _approved_sender_names, _money_text, _segment_price, _status_meta, _type_prices,
                    _viber_refusal_errors, _viber_sender_names)

CAMPAIGN_PAGE_SIZE = 25
CONTACT_PAGE_SIZE = 50
ESTIMATE_ROWS = 1000  # rows of a file or group the review prices; the rest is extrapolated ("about")
SHOWN_ERRORS = 20  # rows not accepted shown on the page; the CSV has all the campaign kept
DRAFTS = "portal_campaign_drafts"
IMPORTS = "portal_contact_imports"
IMPORT_REPORT = "portal_contact_import_report"
MAX_DRAFTS = 5
FINISHED = {Campaign.State.DONE, Campaign.State.CANCELLED, Campaign.State.FAILED}
CANCELLABLE = {Campaign.State.ACCEPTING, Campaign.State.SCHEDULED, Campaign.State.SENDING}
UNSENT = (Status.SCHEDULED, Status.QUEUED)  # what a cancel still stops (campaign_cancel)
SENT = ("submitted", "delivered", "undelivered", "expired", "failed")  # count groups that left the queue
TTL_LABELS = dict(CAMPAIGN_TTL_CHOICES)


def _n(number) -> str:
    """A count for a notice: 1,234 in English, 1 234 in Ukrainian."""
    return number_format(number, force_grouping=True)


# --- helpers --------------------------------------------------------------------------------

def _percent(part: int, whole: int) -> int:
    """Floor percent, so a bar shows 100 only when everything is there."""
    if not whole:
        return 0
    return min(100, part * 100 // whole)


def _group_or_404(client, group_id) -> ContactGroup:
    group = ContactGroup.objects.filter(client=client, pk=group_id).first()
    if group is None:
        raise Http404(gettext("No such contact group."))
    return group


def _campaign_or_404(client, public_id) -> Campaign:
    campaign = campaign_get(client=client, public_id=public_id)
    if campaign is None:
        raise Http404(gettext("No such campaign."))
    return campaign


def _draft_put(request, key: str, draft: dict) -> str:
    drafts = request.session.get(key, {})
    while len(drafts) >= MAX_DRAFTS:  # the oldest abandoned draft goes, with its file
        oldest = next(iter(drafts))
        upload_delete(drafts.pop(oldest).get("upload"))
    token = secrets.token_urlsafe(12)
    drafts[token] = draft
    request.session[key] = drafts
    return token


def _draft_get(request, key: str, token: str) -> dict | None:
    return request.session.get(key, {}).get(token)


def _draft_pop(request, key: str, token: str) -> None:
    drafts = request.session.get(key, {})
    if drafts.pop(token, None) is not None:
        request.session[key] = drafts


def _phone_column(request, layout, default):
    raw = request.POST.get("phone_column") if request.method == "POST" else request.GET.get("phone_column")
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = default
    if value is None or not 0 <= value < len(layout.columns):
        value = layout.phone_column if layout.phone_column is not None else 0
    return value


def _counts(campaign: Campaign, grouped: dict[str, int]) -> dict[str, int]:
    return {"accepted": campaign.accepted, "invalid": campaign.invalid, "duplicates": campaign.duplicates,
            "refused": campaign.refused, **grouped}


def _read(campaign: Campaign) -> tuple[Campaign, dict[str, int], bool]:
    """The campaign with its counts and whether a cancel would still stop anything. When the counts
    show nothing left to submit, it is settled at once (done), not at the next per-minute job."""
    by_status = campaign_status_counts(campaign=campaign)
    grouped = campaign_counts(campaign=campaign, by_status=by_status)
    grouped["pending_review"] = by_status.get(Status.PENDING_REVIEW, 0)  # held for staff (R-CMP-02)
    if campaign.state in (Campaign.State.SENDING, Campaign.State.SCHEDULED) and not grouped["queued"]:
        campaign = campaign_settle(campaign=campaign)
    cancellable = campaign.state == Campaign.State.ACCEPTING or (
        campaign.state in CANCELLABLE and any(by_status.get(s) for s in UNSENT))
    return campaign, _counts(campaign, grouped), cancellable


OPEN_GROUPS = ("queued", "submitted")  # count groups whose messages are not final yet


def _progress(campaign: Campaign, counts: dict[str, int], cancellable: bool = False) -> dict:
    """The progress the campaign page shows and polls. `finished` is true only when the campaign
    is over and every message is final: a done campaign's submitted messages still wait for their
    delivery receipts, and the page keeps counting them (`open`)."""
    sent = sum(counts.get(k, 0) for k in SENT)
    still_open = sum(counts.get(k, 0) for k in OPEN_GROUPS)
    return {
        "state": campaign.state,
        "cancellable": cancellable,
        "state_label": campaign.get_state_display(),
        "finished": campaign.state in FINISHED and not still_open,
        "open": still_open,
        "accepting": {"processed": campaign.processed_rows, "total": campaign.total_rows,
                      "percent": 100 if campaign.state != Campaign.State.ACCEPTING and campaign.total_rows
                      else _percent(campaign.processed_rows, campaign.total_rows)},
        "sending": {"done": sent, "accepted": campaign.accepted, "percent": _percent(sent, campaign.accepted)},
        "delivered_percent": _percent(counts.get("delivered", 0), campaign.accepted),
        "counts": counts,
        "total_price": _money_text(campaign.total_price.amount),
        "error": error_text("", campaign.error_detail) or None,
    }


def _ttl_label(seconds: int | None) -> str:
    if not seconds:
        return gettext("24 hours (default)")
    if seconds in TTL_LABELS:
        return str(TTL_LABELS[seconds])
    if seconds >= 3600:
        hours = seconds / 3600  # a fraction (1.5 hours) takes the "many" form
        count = int(hours) if hours == int(hours) else 5
        return ngettext("%(n)s hours", "%(n)s hours", count) % {"n": f"{hours:g}"}
    return ngettext("%(n)s minutes", "%(n)s minutes", seconds // 60) % {"n": seconds // 60}


# --- campaigns: list -----------------------------------------------------------------------------

@client_required
def campaign_list(request):
    client = request.client
    qs = campaigns_for_client(client=client).only(
        "public_id", "name", "created_at", "state", "sender", "accepted", "invalid", "duplicates", "refused",
        "total_price", "total_price_currency", "processed_rows", "total_rows", "send_at", "error_detail")
    page = Paginator(qs, CAMPAIGN_PAGE_SIZE).get_page(request.GET.get("page"))
    campaigns = list(page.object_list)
    by_campaign = campaigns_status_counts(campaign_ids=[c.pk for c in campaigns])  # one query for the page
    rows = []
    for c in campaigns:
        statuses = by_campaign[c.pk]
        grouped = {name: sum(statuses.get(s, 0) for s in group) for name, group in CAMPAIGN_COUNT_GROUPS.items()}
        if c.state in (Campaign.State.SENDING, Campaign.State.SCHEDULED) and not grouped["queued"]:
            c = campaign_settle(campaign=c)  # finished by its counts: done now, not at the next minute
        rows.append({"campaign": c, **_progress(c, grouped)})
    return render(request, "portal/campaign_list.html", {"nav": "campaigns", "page": page, "rows": rows})


# --- campaigns: new (step 1) -----------------------------------------------------------------------

def _new_context(request, form, groups):
    client = request.client
    senders = list(sender_names_for_client(client=client))
    price = _segment_price()
    return {
        "nav": "campaigns",
        "form": form,
        "senders": senders,
        "approved": _approved_sender_names(senders),
        "segment_price": price,
        "segment_price_text": _money_text(price) if price is not None else "",
        "wallet": wallet_get(client=client),
        "groups": groups,
        "max_rows": MAX_ROWS,
        "campaign_config": {
            "segmentPrice": str(price) if price is not None else None,
            "longParts": LONG_MESSAGE_PARTS,
            "groups": {str(g.pk): g.size for g in groups},
            "typePrices": _type_prices(client),
        },
    }


def _initial_from(request, groups) -> dict:
    initial = {}
    draft = _draft_get(request, DRAFTS, request.GET.get("draft", ""))
    if draft:  # "Edit" on the review page: the form comes back filled (a file must be chosen again)
        initial = {k: draft.get(k) for k in ("name", "sender", "text", "ttl", "source")}
        initial["message_type"] = draft.get("message_type") or MessageType.SERVICE
        initial["send_at"] = parse_datetime(draft["send_at"]) if draft.get("send_at") else None
        if draft["source"] == CampaignForm.SOURCE_PASTE:
            initial["numbers"] = "\n".join(draft["numbers"])
        if draft["source"] == CampaignForm.SOURCE_GROUP:
            initial["group"] = draft["group"]
        for key, value in (draft.get("viber") or {}).items():
            initial[key] = value
        if (draft.get("viber") or {}).get("fallback_sender"):
            initial["fallback"] = True
    group = request.GET.get("group", "")
    if group.isdigit() and any(g.pk == int(group) for g in groups):  # "Send to this group"
        initial.update(source=CampaignForm.SOURCE_GROUP, group=int(group))
    return initial


def _channel(request) -> str:
    raw = request.POST.get("channel") if request.method == "POST" else request.GET.get("channel")
    if request.method == "GET" and not raw:
        draft = _draft_get(request, DRAFTS, request.GET.get("draft", ""))
        raw = (draft or {}).get("channel")
    return "viber" if raw == "viber" else "sms"


def _campaign_new_viber(request, groups, context):
    """The Viber tab of the New campaign page: ViberCampaignForm, the bubble preview."""
    client = request.client
    viber_names, shared_only = _viber_sender_names(client)
    kwargs = {"sender_names": viber_names, "groups": groups, "sms_sender_names": context["approved"]}
    if request.method == "POST":
        form = ViberCampaignForm(request.POST, request.FILES, **kwargs)
        if form.is_valid():
            token = _campaign_draft(request, form)
            if token:
                return redirect("campaign_review", token=token)
    else:
        form = ViberCampaignForm(initial=_initial_from(request, groups), **kwargs)
    context.update(form=form, channel="viber", shared_sender_only=shared_only, viber_text_max=VIBER_TEXT_MAX,
                   preview_text=(form["text"].value() or "").replace("\r\n", "\n"))
    return render(request, "portal/campaign_new.html", context, status=400 if form.is_bound else 200)


@require_role(*SEND_ROLES)
def campaign_new(request):
    client = request.client
    groups = list(contact_groups_for_client(client=client))
    context = _new_context(request, None, groups)
    approved = context["approved"]
    if _channel(request) == "viber":
        return _campaign_new_viber(request, groups, context)
    context["channel"] = "sms"
    if request.method == "POST":
        form = CampaignForm(request.POST, request.FILES, sender_names=approved, groups=groups)
        if form.is_valid():
            token = _campaign_draft(request, form)
            if token:
                return redirect("campaign_review", token=token)
    else:
        form = CampaignForm(sender_names=approved, groups=groups, initial=_initial_from(request, groups))
    context["form"] = form
    return render(request, "portal/campaign_new.html", context, status=400 if form.is_bound else 200)


def _default_name(data) -> str:
    """A campaign without a name is called after its recipients: the file, the group, or the day."""
    if data["source"] == CampaignForm.SOURCE_FILE and data.get("file"):
        return data["file"].name.rsplit(".", 1)[0][:200]
    if data["source"] == CampaignForm.SOURCE_GROUP:
        group = ContactGroup.objects.filter(pk=data.get("group")).only("name").first()
        if group:
            return group.name
    return gettext("Pasted numbers, %(when)s") % {"when": f"{timezone.localtime():%d.%m.%Y %H:%M}"}


def _campaign_draft(request, form) -> str | None:
    """Checks what the services would refuse anyway, stores the upload, returns a draft token."""
    data = form.cleaned_data
    client = request.client
    viber = None
    if isinstance(form, ViberCampaignForm):
        viber = {k: data.get(k) or "" for k in ("viber_type", "image_url", "button_caption", "button_url",
                                                "fallback_sender", "fallback_text")}
        try:
            viber_campaign_check(client=client, request=_viber_request({**data, "viber": viber}))
        except ApplicationError as exc:
            _viber_refusal_errors(form, exc)
    else:
        try:
            sender_check(client=client, sender=data["sender"])
        except ApplicationError as exc:
            form.add_error("sender", exc.detail)
        try:
            message_type_check(client=client, message_type=data["message_type"])  # R-CMP-11
        except ApplicationError as exc:
            form.add_error("message_type", exc.detail)
    if viber is None and not template_variables(data["text"]):
        try:
            check_text(data["text"])
        except ApplicationError as exc:
            form.add_error("text", exc.detail)
        if not form.errors:
            # One text for every recipient: refused content refuses the campaign here (R-CMP-01).
            verdict = content_screen(client=client, text=data["text"], message_type=data["message_type"],
                                     sender=data["sender"], with_spans=False)
            if verdict.refused:
                form.add_error("text", verdict.detail)
    if form.errors:
        return None
    draft = {"source": data["source"], "name": data["name"].strip() or _default_name(data),
             "sender": data["sender"], "text": data["text"], "message_type": data["message_type"],
             "send_at": data["send_at"].isoformat() if data.get("send_at") else None, "ttl": data["ttl"]}
    if viber is not None:
        draft.update(channel="viber", viber=viber,
                     message_type=MessageType.ADVERTISING if viber["viber_type"] == "advertising" else MessageType.SERVICE)
    if data["source"] == CampaignForm.SOURCE_FILE:
        uploaded = data["file"]
        try:
            name = upload_save(uploaded)
        except UploadError as exc:
            form.add_error("file", exc.detail)
            return None
        try:
            inspection = upload_inspect(upload_path(name), head=0)
        except UploadError as exc:
            upload_delete(name)
            form.add_error("file", exc.detail)
            return None
        draft.update(upload=name, filename=uploaded.name[:120], rows=inspection.rows,
                     phone_column=inspection.layout.phone_column)
    elif data["source"] == CampaignForm.SOURCE_PASTE:
        draft["numbers"] = data["numbers"]
    else:
        draft["group"] = data["group"]
    return _draft_put(request, DRAFTS, draft)


# --- campaigns: review and confirm (step 2) -----------------------------------------------------------

def _viber_request(draft: dict) -> ViberRequest:
    """The Viber request of a Viber campaign's draft (or of the form's cleaned data with `viber`)."""
    v = draft.get("viber") or {}
    send_at = draft.get("send_at")
    if isinstance(send_at, str):
        send_at = parse_datetime(send_at)
    return ViberRequest(sender=draft["sender"], text=draft["text"], viber_type=v.get("viber_type") or "advertising",
                        image_url=v.get("image_url", ""), button_caption=v.get("button_caption", ""),
                        button_url=v.get("button_url", ""), ttl=draft.get("ttl"),
                        fallback_sender=v.get("fallback_sender", ""), fallback_text=v.get("fallback_text", ""),
                        send_at=send_at)


def _estimate(client, text: str, rows: list, total: int, sender: str = "",
              message_type: str = MessageType.SERVICE, send_at=None) -> dict:
    """What the campaign would cost, from its first rows (exact when they are all of it), and
    what compliance would do with it: its text refused or held for review, recipients opted out
    or over the daily cap, and when it would go (the sending hours)."""
    try:
        prepared = prepare_rows(client=client, text=text, rows=rows, sender=sender, message_type=message_type,
                                send_at=send_at, refuse_text=False)
    except ApplicationError as exc:
        return {"error": exc.detail}
    verdict = prepared.verdict
    content_refused = [r for r in prepared.refused if r.get("content")]
    if verdict is not None and verdict.refused:
        return {"error": verdict.detail}
    sampled = len(rows)
    partial_sample = 0 < sampled < total
    scale = Decimal(total) / Decimal(sampled) if partial_sample else Decimal(1)
    parts = [r.segments for r in prepared.rows]
    units = {r.price / r.segments for r in prepared.rows}
    return {
        "sampled": sampled, "total": total, "approx": partial_sample,
        "valid": len(prepared.rows), "invalid": len(prepared.invalid), "duplicates": prepared.duplicates,
        "refused": len(prepared.refused),
        "recipients": int((len(prepared.rows) * scale).to_integral_value()),
        "parts_min": min(parts, default=0), "parts_max": max(parts, default=0),
        "cost": (prepared.total * scale).quantize(Decimal("0.01")),
        "unit_min": _money_text(min(units)) if units else None,
        "unit_max": _money_text(max(units)) if units else None,
        "long": max(parts, default=0) > LONG_MESSAGE_PARTS,
        "examples": [{"phone": r.recipient.phone, "text": r.text, "parts": r.segments,
                      "encoding": "GSM-7" if r.encoding == "gsm7" else "UCS-2"} for r in prepared.rows[:3]],
        "invalid_examples": prepared.invalid[:5],
        "opted_out": prepared.counts.get("opted_out", 0),
        "over_cap": prepared.counts.get("frequency_cap", 0),
        "content_refused": len(content_refused),
        "content_refused_detail": row_error_text(content_refused[0]) if content_refused else "",
        "review": prepared.review,
        "review_detail": next((r.review[1] for r in prepared.rows if r.review is not None), ""),
        "notice": prepared.notice,
        "refused_examples": [{k: v for k, v in r.items() if k not in ("text", "content")}
                             for r in prepared.refused[:5]],
    }


def _review_source(request, draft) -> dict:
    """Preview rows, columns, variables, the sample to price and the total, per source."""
    client = request.client
    source = draft["source"]
    if source == CampaignForm.SOURCE_FILE:
        head = upload_head(upload_path(draft["upload"]), rows=ESTIMATE_ROWS)
        layout = head.layout
        column = _phone_column(request, layout, draft.get("phone_column"))
        return {"layout": layout, "columns": layout.columns, "preview": head.preview, "phone_column": column,
                "phone_detected": layout.phone_column is not None, "variables": layout.variables(column),
                "sample": list(recipient_dicts(layout, head.head, column)), "total": draft["rows"]}
    if source == CampaignForm.SOURCE_PASTE:
        numbers = draft["numbers"]
        return {"preview": [[n] for n in numbers[:5]], "variables": [], "sample": numbers[:MAX_ROWS],
                "total": len(numbers)}
    group = ContactGroup.objects.filter(client=client, pk=draft["group"]).first()
    if group is None:
        raise UploadError(gettext("This contact group was deleted. Choose another one."))
    contacts = list(Contact.objects.filter(group=group).order_by("id")
                    .values_list("phone", "name", "variables")[:ESTIMATE_ROWS])
    keys = sorted({k for _, _, v in contacts for k in (v or {})} - {"phone", "name"})
    return {"group": group, "preview": [[p, n, ", ".join(f"{k}: {v}" for k, v in (vs or {}).items())]
                                        for p, n, vs in contacts[:5]],
            "variables": ["name", *keys], "sample": [{**(v or {}), "name": n, "phone": p} for p, n, v in contacts],
            "total": Contact.objects.filter(group=group).count() if len(contacts) >= ESTIMATE_ROWS else len(contacts)}


@require_role(*SEND_ROLES)
def campaign_review(request, token):
    client = request.client
    draft = _draft_get(request, DRAFTS, token)
    if draft is None:
        messages.info(request, gettext("This draft was already sent or has expired. Start a new campaign."))
        return redirect("campaign_new")
    try:
        src = _review_source(request, draft)
    except ApplicationError as exc:
        upload_delete(draft.get("upload"))
        _draft_pop(request, DRAFTS, token)
        messages.error(request, exc.detail)
        return redirect("campaign_new")
    used = template_variables(draft["text"])
    missing = [v for v in used if v != "phone" and v not in src["variables"]]
    # A group's variables are known from its first contacts only: later ones may still have them.
    blocking = bool(missing) and not (draft["source"] == CampaignForm.SOURCE_GROUP and src["total"] > len(src["sample"]))
    form = CampaignConfirmForm(request.POST if request.method == "POST" else None, columns=src.get("columns", ()),
                               initial={"phone_column": src.get("phone_column")})
    if request.method == "POST" and form.is_valid() and not blocking:
        response = _campaign_start(request, token, draft, src, form)
        if response is not None:
            return response
    wallet = wallet_get(client=client)
    if draft.get("channel") == "viber":
        try:
            estimate = viber_campaign_estimate(client=client, request=_viber_request(draft), rows=src["sample"],
                                               total=src["total"])
        except ApplicationError as exc:
            estimate = {"error": exc.detail}
    else:
        estimate = _estimate(client, draft["text"], src["sample"], src["total"], draft.get("sender") or "",
                             draft.get("message_type") or MessageType.SERVICE,
                             parse_datetime(draft["send_at"]) if draft.get("send_at") else None)
    return render(request, "portal/campaign_review.html", {
        "nav": "campaigns",
        "token": token,
        "draft": draft,
        "send_at": parse_datetime(draft["send_at"]) if draft.get("send_at") else None,
        "ttl_label": _ttl_label(draft["ttl"]),
        "type_label": MessageType(draft.get("message_type") or MessageType.SERVICE).label,
        "channel": draft.get("channel") or "sms",
        "viber_type_label": dict(VIBER_TYPE_CHOICES).get((draft.get("viber") or {}).get("viber_type"), ""),
        "src": src,
        "form": form,
        "used": used,
        "personalized": bool(used),
        "missing": missing,
        "blocking": blocking,
        # Rows whose {variable} is empty or missing (R-MSG personalization): warned before confirming.
        "empty_vars": variables_empty(draft["text"], src["sample"]) if used and not missing else None,
        "empty_vars_approx": src["total"] > len(src["sample"]),
        "estimate": estimate,
        "wallet": wallet,
        "short_of_funds": "cost" in estimate and estimate["cost"] > wallet.available.amount,
        "long_parts": LONG_MESSAGE_PARTS,
    }, status=400 if form.is_bound else 200)


def _campaign_start(request, token, draft, src, form):
    client = request.client
    source = draft["source"]
    kind = {CampaignForm.SOURCE_FILE: Campaign.Source.UPLOAD, CampaignForm.SOURCE_GROUP: Campaign.Source.GROUP,
            CampaignForm.SOURCE_PASTE: Campaign.Source.FORM}[source]
    try:
        campaign = campaign_start(
            client=client, sender=draft["sender"], text=draft["text"], name=draft["name"], source=kind, ttl=draft["ttl"],
            message_type=draft.get("message_type") or MessageType.SERVICE,
            send_at=parse_datetime(draft["send_at"]) if draft.get("send_at") else None,
            rows=draft["numbers"] if source == CampaignForm.SOURCE_PASTE else None,
            group_id=src["group"].pk if source == CampaignForm.SOURCE_GROUP else None,
            upload=(draft["upload"], src["phone_column"], draft["rows"]) if source == CampaignForm.SOURCE_FILE else None,
            viber=_viber_request(draft) if draft.get("channel") == "viber" else None)
    except ApplicationError as exc:
        campaign = getattr(exc, "campaign", None)
        if campaign is None:  # refused before the campaign existed: the form says why
            form.add_error(None, exc.detail)
            return None
        _draft_pop(request, DRAFTS, token)
        messages.error(request, gettext("The campaign could not start: %(detail)s") % {"detail": exc.detail})
        return redirect("campaign_detail", public_id=campaign.public_id)
    _draft_pop(request, DRAFTS, token)
    if source == CampaignForm.SOURCE_FILE:
        messages.success(request, ngettext("Campaign created. Reading %(n)s rows of %(filename)s…",
                                           "Campaign created. Reading %(n)s rows of %(filename)s…", draft["rows"])
                         % {"n": _n(draft["rows"]), "filename": draft["filename"]})
    elif source == CampaignForm.SOURCE_GROUP:
        messages.success(request, gettext("Campaign created. Reading the contacts of “%(name)s”…") % {"name": src["group"].name})
    else:
        if campaign.state == Campaign.State.SCHEDULED:
            text = ngettext("Campaign scheduled: %(n)s messages, %(amount)s UAH reserved on your wallet.",
                            "Campaign scheduled: %(n)s messages, %(amount)s UAH reserved on your wallet.", campaign.accepted)
        else:
            text = ngettext("Campaign started: %(n)s messages, %(amount)s UAH reserved on your wallet.",
                            "Campaign started: %(n)s messages, %(amount)s UAH reserved on your wallet.", campaign.accepted)
        messages.success(request, text % {"n": _n(campaign.accepted), "amount": money_text(campaign.total_price)})
        if notice := window_notice(send_at=campaign.send_at, created_at=campaign.created_at):
            messages.info(request, notice)
    return redirect("campaign_detail", public_id=campaign.public_id)


# --- campaigns: detail, progress, errors, cancel ---------------------------------------------------

@client_required
def campaign_detail(request, public_id):
    campaign, counts, cancellable = _read(_campaign_or_404(request.client, public_id))
    refund = None
    if campaign.state == Campaign.State.CANCELLED:
        refund = (Message.objects.filter(campaign=campaign, status=Status.CANCELLED)
                  .aggregate(s=Sum("price"))["s"]) or Decimal("0")
    recent = list(Message.objects.filter(campaign=campaign).order_by("-id").only(
        "public_id", "created_at", "recipient", "text", "segments", "price", "price_currency", "status")[:20])
    return render(request, "portal/campaign_detail.html", {
        "nav": "campaigns",
        "campaign": campaign,
        "progress": _progress(campaign, counts, cancellable),
        "counts": counts,
        "errors": campaign.errors[:SHOWN_ERRORS],
        "errors_total": len(campaign.errors),
        "refund": refund,
        "recent": recent,
        "final": FINAL,
        "can_cancel": cancellable,
        "ttl_label": _ttl_label(campaign.ttl_seconds),
        "price_text": _money_text(campaign.total_price.amount),
        "status_meta": _status_meta(),
        "hours_notice": window_notice(send_at=campaign.send_at, created_at=campaign.created_at)
        if campaign.state == Campaign.State.SCHEDULED else "",
    })


@require_GET
@client_required
def campaign_progress_json(request, public_id):
    campaign, counts, cancellable = _read(_campaign_or_404(request.client, public_id))
    return JsonResponse(_progress(campaign, counts, cancellable), headers={"Cache-Control": "no-store"})


@require_GET
@client_required
def campaign_errors_csv(request, public_id):
    campaign = _campaign_or_404(request.client, public_id)
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 with a BOM as UTF-8
    writer = csv_writer(out)
    writer.writerow(["row", "value", "reason"])
    for e in campaign.errors:
        writer.writerow([e.get("row", ""), e.get("value", ""), row_error_text(e)])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="campaign-{campaign.public_id}-rows-not-accepted.csv"'
    return response


@require_POST
@require_role(*SEND_ROLES)
def campaign_cancel_view(request, public_id):
    campaign = _campaign_or_404(request.client, public_id)
    try:
        campaign = campaign_cancel(client=request.client, public_id=campaign.public_id, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        row = Message.objects.filter(campaign=campaign, status=Status.CANCELLED).aggregate(s=Sum("price"), n=Count("*"))
        refund = row["s"] or Decimal("0")
        messages.success(request, ngettext("Campaign cancelled. %(n)s unsent message, %(amount)s UAH refunded to your wallet.",
                                           "Campaign cancelled. %(n)s unsent messages, %(amount)s UAH refunded to your wallet.",
                                           row["n"]) % {"n": _n(row["n"]), "amount": money_text(refund)})
    return redirect("campaign_detail", public_id=campaign.public_id)


# --- contacts ---------------------------------------------------------------------------------

@require_role(*SEND_ROLES)
def contact_groups(request):
    client = request.client
    form = ContactGroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = contact_group_create(client=client, name=form.cleaned_data["name"])
        except ApplicationError as exc:
            form.add_error("name", exc.detail)
        else:
            messages.success(request, gettext("Group “%(name)s” created. Upload a file or add contacts to it.") % {"name": group.name})
            return redirect("contact_group", group_id=group.pk)
    return render(request, "portal/contacts.html", {
        "nav": "contacts",
        "groups": list(contact_groups_for_client(client=client)),
        "form": form,
    }, status=400 if form.is_bound else 200)


@require_role(*SEND_ROLES)
def contact_group(request, group_id):
    client = request.client
    group = _group_or_404(client, group_id)
    qs = Contact.objects.filter(group=group).order_by("id").only("id", "phone", "name", "variables", "created_at")
    page = Paginator(qs, CONTACT_PAGE_SIZE).get_page(request.GET.get("page"))
    report = request.session.pop(IMPORT_REPORT, None)
    if report and report.get("group") != group.pk:
        report = None
    return render(request, "portal/contacts_group.html", {
        "nav": "contacts",
        "group": group,
        "page": page,
        "rows": list(page.object_list),
        "import_form": ContactImportForm(),
        "add_form": ContactAddForm(),
        "rename_form": ContactGroupForm(initial={"name": group.name}),
        "report": report,
    })


@require_POST
@require_role(*SEND_ROLES)
def contact_group_rename_view(request, group_id):
    group = _group_or_404(request.client, group_id)
    form = ContactGroupForm(request.POST)
    if form.is_valid():
        try:
            group = contact_group_rename(client=request.client, group_id=group.pk, name=form.cleaned_data["name"])
        except ApplicationError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, gettext("Group renamed to “%(name)s”.") % {"name": group.name})
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("contact_group", group_id=group.pk)


@require_POST
@require_role(*SEND_ROLES)
def contact_group_delete_view(request, group_id):
    group = _group_or_404(request.client, group_id)
    removed = contact_group_delete(client=request.client, group_id=group.pk)
    messages.success(request, ngettext("Group “%(name)s” and its %(n)s contact deleted.",
                                       "Group “%(name)s” and its %(n)s contacts deleted.", removed)
                     % {"name": group.name, "n": _n(removed)})
    return redirect("contact_groups")


@require_POST
@require_role(*SEND_ROLES)
def contact_add_view(request, group_id):
    group = _group_or_404(request.client, group_id)
    form = ContactAddForm(request.POST)
    if form.is_valid():
        try:
            contact = contact_add(client=request.client, group_id=group.pk, phone=form.cleaned_data["phone"],
                                  name=form.cleaned_data["name"])
        except ApplicationError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, gettext("%(phone)s added.") % {"phone": contact.phone})
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("contact_group", group_id=group.pk)


@require_POST
@require_role(*SEND_ROLES)
def contact_delete_view(request, group_id, contact_id):
    group = _group_or_404(request.client, group_id)
    contact = Contact.objects.filter(group=group, pk=contact_id).only("id", "phone").first()
    if contact is None:
        raise Http404(gettext("No such contact."))
    contact_delete(client=request.client, contact_id=contact.pk)
    messages.success(request, gettext("%(phone)s deleted from the group.") % {"phone": contact.phone})
    page = request.POST.get("page", "")
    url = reverse("contact_group", kwargs={"group_id": group.pk})
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


@require_POST
@require_role(*SEND_ROLES)
def contact_import(request, group_id):
    group = _group_or_404(request.client, group_id)
    form = ContactImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("contact_group", group_id=group.pk)
    uploaded = form.cleaned_data["file"]
    try:
        name = upload_save(uploaded)
    except UploadError as exc:
        messages.error(request, exc.detail)
        return redirect("contact_group", group_id=group.pk)
    try:
        inspection = upload_inspect(upload_path(name), head=0)
    except UploadError as exc:
        upload_delete(name)
        messages.error(request, exc.detail)
        return redirect("contact_group", group_id=group.pk)
    token = _draft_put(request, IMPORTS, {"group": group.pk, "upload": name, "filename": uploaded.name[:120],
                                          "rows": inspection.rows, "phone_column": inspection.layout.phone_column})
    return redirect("contact_import_review", group_id=group.pk, token=token)


@require_role(*SEND_ROLES)
def contact_import_review(request, group_id, token):
    client = request.client
    group = _group_or_404(client, group_id)
    draft = _draft_get(request, IMPORTS, token)
    if draft is None or draft["group"] != group.pk:
        messages.info(request, gettext("This import was already done or has expired. Upload the file again."))
        return redirect("contact_group", group_id=group.pk)
    try:
        head = upload_head(upload_path(draft["upload"]), rows=HEAD_ROWS)
    except UploadError as exc:
        upload_delete(draft["upload"])
        _draft_pop(request, IMPORTS, token)
        messages.error(request, exc.detail)
        return redirect("contact_group", group_id=group.pk)
    layout = head.layout
    column = _phone_column(request, layout, draft.get("phone_column"))
    form = CampaignConfirmForm(request.POST if request.method == "POST" else None, columns=layout.columns, initial={"phone_column": column})
    if request.method == "POST" and form.is_valid():
        try:
            report = contacts_import(client=client, group_id=group.pk,
                                     rows=upload_recipients(draft["upload"], column))
        except ApplicationError as exc:
            form.add_error(None, exc.detail)
        else:
            upload_delete(draft["upload"])
            _draft_pop(request, IMPORTS, token)
            request.session[IMPORT_REPORT] = {"group": group.pk, "filename": draft["filename"], **report.as_dict()}
            messages.success(request, gettext("Imported %(filename)s: %(added)s added, %(updated)s updated, %(invalid)s invalid.")
                             % {"filename": draft["filename"], "added": _n(report.added), "updated": _n(report.updated),
                                "invalid": _n(report.invalid)})
            return redirect("contact_group", group_id=group.pk)
    return render(request, "portal/contacts_import.html", {
        "nav": "contacts",
        "group": group,
        "draft": draft,
        "token": token,
        "form": form,
        "src": {"columns": layout.columns, "preview": head.preview, "phone_column": column,
                "phone_detected": layout.phone_column is not None, "variables": layout.variables(column),
                "layout": layout},
    }, status=400 if form.is_bound else 200)
