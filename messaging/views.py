"""Website pages of messaging: the dashboard, sending, the message list and detail.

Views are thin: form → service → message → redirect; services' ApplicationErrors become form errors.
"""
import uuid

from django.conf import settings
from django.contrib import messages
from django.db.models import Count
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import SEND_ROLES, client_required, require_role
from billing.exceptions import NoTariff
from billing.selectors import ledger_for_client, wallet_get
from billing.services import sms_flat_prices, tariff_current
from senders.selectors import approved_names, sender_names_for_client
from senders.services import sender_name_request, viber_shared_sender
from smsportal.errors import ApplicationError
from smsportal.money import money_text

from .forms import (
    KYIV,
    VIBER_CAPTION_MAX,
    VIBER_TEXT_MAX,
    MessageFilterForm,
    SendForm,
    SenderNameRequestForm,
    ViberSendForm,
    one_line_break,
    split_recipients,
)
from .cursors import BadCursor, cursor_decode, cursor_encode
from .selectors import error_text, messages_filtered, messages_for_client, messages_page, messages_page_before
from .services import message_send
from .services.prepare import message_estimate
from .status import FINAL, Status
from .viber.service import ViberRequest, viber_estimate, viber_send
from .viber_uploads import CONTENT_TYPES as VIBER_CONTENT_TYPES
from .viber_uploads import viber_image_path, viber_image_public_url, viber_image_store

PAGE_SIZE = 50
STATUS_POLL_MAX_IDS = 200
LONG_MESSAGE_PARTS = 3  # R-MSG-06: beyond this, delivery of long messages is not guaranteed


def _segment_price():
    """The price list's price per part, as the Send and New campaign pages show it (a first
    estimate), or None without a price list."""
    try:
        return tariff_current().sms_segment_price.amount
    except NoTariff:
        return None


def _money_text(amount) -> str:
    """A UAH price for display: 2 places, or 4 when it has fractions of a kopeck (as the API)."""
    return money_text(amount, None)


def _status_meta():
    """What the page's script needs to paint a badge: labels and which statuses are final."""
    return {"labels": dict(Status.choices), "final": sorted(FINAL)}


def _type_prices(client) -> dict[str, str] | None:
    """The flat price per part of each message type (the first estimate before the server's,
    which prices each recipient's operator): {"service": "0.8500", "advertising": "1.1000"}."""
    try:
        return {t: str(p) for t, p in sms_flat_prices(client=client).items()}
    except NoTariff:
        return None


def _approved_sender_names(senders) -> list[str]:
    return approved_names(senders)


@client_required
def dashboard(request):
    client = request.client
    start_of_today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    counts = dict(messages_for_client(client=client).filter(created_at__gte=start_of_today)
                  .order_by().values_list("status").annotate(n=Count("id")))
    today = [{"status": value, "label": label, "count": counts[value]}
             for value, label in Status.choices if counts.get(value)]
    senders = list(sender_names_for_client(client=client))
    return render(request, "portal/dashboard.html", {
        "nav": "dashboard",
        "wallet": wallet_get(client=client),
        "today": today,
        "today_total": sum(counts.values()),
        "recent": list(messages_for_client(client=client)[:10]),
        "senders": senders,
        "has_approved_sender": bool(_approved_sender_names(senders)),
        "sender_form": SenderNameRequestForm(),
        "ledger": list(ledger_for_client(client=client, limit=10)),
    })


@require_POST
@require_role(*SEND_ROLES)  # viewers see statistics only
def sender_request(request):
    form = SenderNameRequestForm(request.POST)
    if form.is_valid():
        try:
            sender = sender_name_request(client=request.client, name=form.cleaned_data["name"], actor=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, gettext("Sender name “%(name)s” requested. You can send with it once staff approve it.")
                             % {"name": sender.name})
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("dashboard")


CHANNEL_SMS, CHANNEL_VIBER = "sms", "viber"


@require_role(*SEND_ROLES)  # viewers see statistics only
def send(request):
    """The Send page: the SMS tab, or the Viber tab (?channel=viber, and a posted channel=viber)."""
    client = request.client
    sms_senders = list(sender_names_for_client(client=client, channel=CHANNEL_SMS))
    approved = _approved_sender_names(sms_senders)
    channel = (request.POST if request.method == "POST" else request.GET).get("channel")
    if channel == CHANNEL_VIBER:
        return _send_viber(request, approved_sms=approved)
    segment_price = _segment_price()

    if request.method == "POST":
        form = SendForm(request.POST, sender_names=approved)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = message_send(client=client, sender=data["sender"], recipients=data["recipients"],
                                      text=data["text"], idempotency_key=f"web:{data['token']}",
                                      message_type=data["message_type"], send_at=data.get("send_at"),
                                      ttl=data.get("ttl"))
            except ApplicationError as exc:
                # The text's screening (R-CMP-01) is shown under the text, the contract under the type.
                field = {"contract_required": "message_type", "content_refused": "text",
                         "too_many_recipients": "recipients", "invalid_ttl": "ttl"}.get(exc.code)
                form.add_error(field, exc.detail)
            else:
                return _sent(request, result, channel=CHANNEL_SMS, send_at=data.get("send_at"))
    else:
        form = SendForm(sender_names=approved)

    return render(request, "portal/send.html", {
        **_send_page_context(request, channel=CHANNEL_SMS, approved_sms=approved, senders=sms_senders),
        "form": form,
        "segment_price": segment_price,
        "segment_price_text": _money_text(segment_price) if segment_price is not None else "",
        "bulk_threshold": settings.SMSPORTAL_BULK_THRESHOLD,
        "send_config": {
            "segmentPrice": str(segment_price) if segment_price is not None else None,
            "longParts": LONG_MESSAGE_PARTS,
            "estimateUrl": reverse("message_send_estimate"),
            "balanceUrl": reverse("message_send_balance"),
            "typePrices": _type_prices(client),
            "maxRecipients": settings.SMSPORTAL_MAX_RECIPIENTS,
        },
    }, status=400 if form.is_bound else 200)


def _send_page_context(request, *, channel, approved_sms, senders) -> dict:
    return {
        "nav": "send",
        "channel": channel,
        "senders": senders,
        "approved": approved_sms,
        "wallet": wallet_get(client=request.client),
        "max_recipients": settings.SMSPORTAL_MAX_RECIPIENTS,
    }


def _viber_sender_names(client) -> tuple[list[str], bool]:
    """The client's approved Viber names; without any, the provider's shared sender (R-SND-07),
    and whether it is that one."""
    own = _approved_sender_names(sender_names_for_client(client=client, channel=CHANNEL_VIBER))
    return (own, False) if own else ([viber_shared_sender()], True)


# A Viber service refusal shown under the field it is about (codes of messaging.viber.service and
# provider.Refusal); others above the form.
VIBER_ERROR_FIELDS = {
    "text_too_long": "text", "message_empty": "text", "test_word_missing": "text", "no_matching_template": "text",
    "contact_phone_required": "text", "content_refused": "text",
    "viber_type_invalid": "viber_type", "transactional_rich_content": "viber_type",
    "sender_invalid": "sender", "sender_not_approved": "sender", "shared_sender_transactional": "sender",
    "shared_sender_test_only": "sender", "shared_sender_own_phones_only": "sender",
    "image_url_invalid": "image_url", "image_type_invalid": "image_url", "file_too_big": "image_url",
    "button_incomplete": "button_url", "button_caption_too_long": "button_caption", "button_url_invalid": "button_url",
    "ttl_out_of_range": "ttl", "invalid_ttl": "ttl", "too_many_recipients": "recipients",
    "fallback_incomplete": "fallback_text",
}


def _viber_refusal_errors(form, exc) -> None:
    """Every refusal of a Viber send under its field (the service gives them all in `extra`)."""
    refusals = (getattr(exc, "extra", None) or {}).get("refusals") or [{"code": exc.code, "detail": exc.detail}]
    for refusal in refusals:
        field = VIBER_ERROR_FIELDS.get(refusal["code"])
        if field not in form.fields:
            field = None
        form.add_error(field, refusal["detail"])


def _send_viber(request, *, approved_sms):
    client = request.client
    viber_names, shared_only = _viber_sender_names(client)
    if request.method == "POST":
        form = ViberSendForm(request.POST, request.FILES, sender_names=viber_names, sms_sender_names=approved_sms)
        if form.is_valid():
            data = form.cleaned_data
            image_url = data["image_url"]
            if data.get("image_file"):
                name = viber_image_store(file=data["image_file"], image_format=data["image_file"].image_format)
                image_url = viber_image_public_url(name=name, request=request)
                # A refused send comes back with the stored picture's URL: no second upload.
                form.data = form.data.copy()
                form.data["image_url"] = image_url
            viber_request = ViberRequest(
                sender=data["sender"], text=data["text"], viber_type=data["viber_type"], image_url=image_url,
                button_caption=data["button_caption"], button_url=data["button_url"], ttl=data["ttl"],
                fallback_sender=data["fallback_sender"], fallback_text=data["fallback_text"],
                send_at=data.get("send_at"))
            try:
                result = viber_send(client=client, recipients=data["recipients"], request=viber_request,
                                    actor=request.user, idempotency_key=f"web:{data['token']}")
            except ApplicationError as exc:
                _viber_refusal_errors(form, exc)
            except NotImplementedError:
                form.add_error(None, gettext("Viber sending is not available yet. Please try again later."))
            else:
                return _sent(request, result, channel=CHANNEL_VIBER, send_at=data.get("send_at"))
    else:
        form = ViberSendForm(sender_names=viber_names, sms_sender_names=approved_sms)
    return render(request, "portal/send_viber.html", {
        **_send_page_context(request, channel=CHANNEL_VIBER, approved_sms=approved_sms, senders=[]),
        "form": form,
        "preview_text": one_line_break(form["text"].value() or ""),
        "shared_sender_only": shared_only,
        "viber_text_max": VIBER_TEXT_MAX,
        "viber_caption_max": VIBER_CAPTION_MAX,
        "send_config": {"maxRecipients": settings.SMSPORTAL_MAX_RECIPIENTS,
                        "balanceUrl": reverse("message_send_balance"),
                        "estimateUrl": reverse("viber_send_estimate")},
    }, status=400 if form.is_bound else 200)


def _sent(request, result, *, channel: str, send_at=None):
    """The notice after an accepted send (SMS or Viber) and the page to go to: the message, or
    the list for several."""
    n = len(result.messages)
    if result.created:
        if channel == CHANNEL_VIBER:
            text = ngettext("Accepted %(n)s Viber message for sending; %(amount)s UAH reserved on your wallet.",
                            "Accepted %(n)s Viber messages for sending; %(amount)s UAH reserved on your wallet.", n)
        else:
            text = ngettext("Accepted %(n)s message for sending; %(amount)s UAH reserved on your wallet.",
                            "Accepted %(n)s messages for sending; %(amount)s UAH reserved on your wallet.", n)
        messages.success(request, text % {"n": n, "amount": money_text(result.total_price)})
        if send_at is not None:
            messages.info(request, gettext("Scheduled for %(time)s Kyiv time.")
                          % {"time": send_at.astimezone(KYIV).strftime("%d.%m.%Y %H:%M")})
        _compliance_notices(request, result)
    else:
        messages.info(request, ngettext(
            "This form was already sent (%(n)s message); nothing was charged again.",
            "This form was already sent (%(n)s messages); nothing was charged again.", n,
        ) % {"n": n})
    if n == 1:
        return redirect("message_detail", public_id=result.messages[0].public_id)
    return redirect("message_list")


@require_POST
@require_role(*SEND_ROLES)
def viber_send_estimate(request):
    """The Viber tab's live estimate: what viber_send would do with the form as typed (price in UAH
    and EUR at the day's rate, the text as it goes with the opt-out phone, refusals), sending nothing.
    An uploaded picture is not sent here: the preview shows it from the browser."""
    post = request.POST
    numbers = split_recipients(one_line_break(post.get("recipients", "")))
    limit = settings.SMSPORTAL_MAX_RECIPIENTS
    if not numbers:
        return JsonResponse({"code": "no_recipients", "detail": ""}, status=400)
    if len(numbers) > limit:
        return JsonResponse({"code": "too_many_recipients", "given": len(numbers), "max": limit,
                             "detail": gettext("You entered %(given)s numbers; one send takes at most %(max)s. "
                                               "Send them in parts, or upload them as a file in a campaign.")
                             % {"given": number_format(len(numbers), force_grouping=True),
                                "max": number_format(limit, force_grouping=True)}}, status=400)
    try:
        ttl = int(post.get("ttl") or 86400)
    except ValueError:
        ttl = 86400
    image_url = post.get("image_url", "")[:2000]
    if not image_url and post.get("has_image_file") == "1":
        image_url = "https://upload.invalid/preview.png"  # an upload: its checks come with the send
    viber_request = ViberRequest(
        sender=post.get("sender", "")[:20], text=one_line_break(post.get("text", ""))[:VIBER_TEXT_MAX + 1],
        viber_type=post.get("viber_type") or "advertising", image_url=image_url,
        button_caption=post.get("button_caption", "")[:VIBER_CAPTION_MAX + 1], button_url=post.get("button_url", "")[:2000],
        ttl=ttl)
    try:
        body = viber_estimate(client=request.client, recipients=numbers, request=viber_request)
    except ApplicationError as exc:
        return JsonResponse({"code": exc.code, "detail": exc.detail}, status=400)
    return JsonResponse(body, headers={"Cache-Control": "no-store"})


@require_GET
@client_required
def send_balance_json(request):
    """The wallet as the page header and the Send page show it, for their scripts to refresh it
    after a send without a reload."""
    wallet = wallet_get(client=request.client)
    return JsonResponse({
        "balance": {"amount": f"{wallet.balance.amount:.2f}", "currency": str(wallet.balance.currency)},
        "available": {"amount": f"{wallet.available.amount:.4f}", "currency": str(wallet.available.currency)},
        "held": {"amount": f"{wallet.held.amount:.2f}", "currency": str(wallet.held.currency)},
    }, headers={"Cache-Control": "no-store"})


@require_GET
def viber_image(request, name):
    """An uploaded Viber picture, public: Viber fetches it by URL when it delivers the message."""
    path = viber_image_path(name)
    if path is None or not default_storage.exists(path):
        raise Http404(gettext("No such image."))
    response = FileResponse(default_storage.open(path, "rb"), content_type=VIBER_CONTENT_TYPES[name.rsplit(".", 1)[1]])
    response["Cache-Control"] = "public, max-age=604800, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _compliance_notices(request, result) -> None:
    """What compliance did with an accepted send, beside the success message: held for staff
    review (R-CMP-02), refused recipients (R-CMP-03, 05) and the sending hours (R-CMP-07)."""
    review = [m for m in result.messages if m.status == Status.PENDING_REVIEW]
    if review:
        messages.warning(request, ngettext(
            "%(n)s message wait for approval by our staff before sending: %(detail)s The price stays reserved "
            "and is charged only once they are sent.",
            "%(n)s messages wait for approval by our staff before sending: %(detail)s The price stays reserved "
            "and is charged only once they are sent.", len(review),
        ) % {"n": len(review), "detail": error_text(review[0].error_code, review[0].error_detail)})
    refused: dict[str, list] = {}
    for m in result.messages:
        if m.status == Status.REFUSED:
            refused.setdefault(error_text(m.error_code, m.error_detail), []).append(m.recipient)
    for detail, phones in refused.items():
        shown = ", ".join(phones[:3]) + (" …" if len(phones) > 3 else "")
        messages.warning(request, gettext("Not sent to %(phones)s (nothing charged): %(detail)s")
                         % {"phones": shown, "detail": detail})
    if result.notice:
        messages.info(request, result.notice)


@require_POST
@require_role(*SEND_ROLES)
def send_estimate(request):
    """The send form's live preview: per-recipient operator, parts and price, and the total
    (the same answer as POST /api/v1/messages/estimate/), without sending."""
    text = request.POST.get("text", "")
    numbers = split_recipients(one_line_break(request.POST.get("recipients", "")))
    limit = settings.SMSPORTAL_MAX_RECIPIENTS
    if len(numbers) > limit:  # what the send would refuse: said, not estimated for the first `limit`
        return JsonResponse({"code": "too_many_recipients", "given": len(numbers), "max": limit,
                             "detail": gettext("You entered %(given)s numbers; one send takes at most %(max)s. "
                                               "Send them in parts, or upload them as a file in a campaign.")
                             % {"given": number_format(len(numbers), force_grouping=True),
                                "max": number_format(limit, force_grouping=True)}}, status=400)
    message_type = request.POST.get("message_type", "")
    if not numbers or not text.strip():
        return JsonResponse({"type": message_type or "service", "warnings": [], "recipients": [], "count": 0,
                             "invalid": [], "refused": [], "duplicates": 0,
                             "total_price": {"amount": "0.00", "currency": "UAH"},
                             "content": None, "opted_out": 0, "over_daily_cap": 0, "pending_review": 0,
                             "refused_by_reason": {}, "send_at": None, "schedule_reason": None, "notice": None})
    try:
        # Priced as the send would be: by type and by the chosen sender's national/international class.
        body = message_estimate(client=request.client, text=text, recipients=numbers, shown=50,
                                sender=request.POST.get("sender", "")[:20], message_type=message_type)
    except ApplicationError as exc:
        return JsonResponse({"code": exc.code, "detail": exc.detail}, status=400)
    return JsonResponse(body, headers={"Cache-Control": "no-store"})


def _period_filter(filters) -> dict:
    """created_at bounds for the From/To dates (Kyiv days, inclusive)."""
    if not filters.is_valid():
        return {}
    out = {}
    tz = timezone.get_current_timezone()
    if filters.cleaned_data.get("date_from"):
        out["created_at__gte"] = timezone.make_aware(
            timezone.datetime.combine(filters.cleaned_data["date_from"], timezone.datetime.min.time()), tz)
    if filters.cleaned_data.get("date_to"):
        out["created_at__lt"] = timezone.make_aware(timezone.datetime.combine(
            filters.cleaned_data["date_to"] + timezone.timedelta(days=1), timezone.datetime.min.time()), tz)
    return out


def _cursor_arg(request, name: str):
    raw = request.GET.get(name, "")
    if not raw:
        return None
    try:
        return cursor_decode(raw)
    except BadCursor:  # a mangled link shows the first page
        return None


@client_required
def message_list(request):
    """The client's messages, newest first, a keyset page at a time (the API's cursor: no COUNT,
    no OFFSET, however many messages there are): `after` = older than that row, `before` = newer."""
    client = request.client
    filters = MessageFilterForm(request.GET or None)
    status = filters.cleaned_data.get("status") if filters.is_valid() else None
    digits = filters.recipient_digits()
    period = _period_filter(filters)
    qs = messages_filtered(client=client, status=status or None, recipient_contains=digits,
                           created_from=period.get("created_at__gte"), created_to=period.get("created_at__lt"))
    qs = qs.only("public_id", "created_at", "recipient", "sender", "text", "segments", "encoding",
                 "price", "price_currency", "status")
    before = _cursor_arg(request, "before")
    after = None if before else _cursor_arg(request, "after")
    if before is not None:
        rows, newer = messages_page_before(qs, before=before, limit=PAGE_SIZE)
        older = (rows[-1].created_at, rows[-1].pk) if rows else None
        if not rows:  # nothing newer any more: the newest page
            rows, older = messages_page(qs, after=None, limit=PAGE_SIZE)
    else:
        rows, older = messages_page(qs, after=after, limit=PAGE_SIZE)
        newer = (rows[0].created_at, rows[0].pk) if after is not None and rows else None
    query = request.GET.copy()
    for key in ("page", "after", "before"):
        query.pop(key, None)
    return render(request, "portal/messages.html", {
        "nav": "messages",
        "filters": filters,
        "rows": rows,
        "older_cursor": cursor_encode(older),
        "newer_cursor": cursor_encode(newer),
        "paged": bool(after or before),
        "final": FINAL,
        "query": query.urlencode(),
        "filtered": bool(status or digits or period),
        "status_meta": _status_meta(),
    })


@require_GET
@client_required
def message_status_json(request):
    """{public id: status} of the asked messages that belong to the user's client."""
    ids = []
    for raw in request.GET.get("ids", "").split(",")[:STATUS_POLL_MAX_IDS]:
        try:
            ids.append(uuid.UUID(raw.strip()))
        except ValueError:
            continue
    rows = (messages_for_client(client=request.client).filter(public_id__in=ids)
            .values_list("public_id", "status")) if ids else []
    return JsonResponse({str(public_id): status for public_id, status in rows},
                        headers={"Cache-Control": "no-store"})


# The message detail page (its timeline and Cancel) is messaging.web_messages.message_detail.
