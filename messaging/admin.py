from django.contrib import admin
from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_lazy as _

from accounts.admin import ReadOnlyAdmin
from accounts.selectors import client_language_get
from compliance.screening import highlight_html
from compliance.services import content_screen
from smsportal.cache import Versions
from smsportal.errors import ApplicationError

from .models import (Campaign, Contact, ContactGroup, InboundMessage, Message, MessagePart, OperatorPrefix,
                     ReceiptInbox, ReviewQueue, Route, WebhookDelivery, WebhookEndpoint, WebhookEvent)
from .selectors import campaign_counts
from .services import campaign_cancel
from .services.review import ReviewError, review_items, review_items_count, reviews_decide


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    list_display = ("name", "host", "port", "system_id", "bind_mode", "binds", "tps_limit", "window_size",
                    "operators", "countries", "priority", "fallback", "is_active")
    list_filter = ("is_active", "bind_mode")
    list_select_related = ("fallback",)
    fieldsets = (
        (None, {"fields": ("name", "is_active", "priority", "fallback")}),
        ("SMSC", {"fields": ("host", "port", "system_id", "password", "system_type", "bind_mode", "binds")}),
        ("Throughput", {"fields": ("tps_limit", "window_size", "enquire_link_interval")}),
        ("Traffic it serves", {"fields": ("operators", "prefixes", "countries"),
                               "description": "A matching prefix wins (longest first); otherwise the routes whose "
                                              "operators and countries fit, lowest priority number first. The "
                                              "operator comes from the operator prefix table, else from the "
                                              "numbering plan."}),
        ("Addressing (source TON/NPI)", {"fields": (("alnum_source_ton", "alnum_source_npi"),
                                                    ("short_code_source_ton", "short_code_source_npi"),
                                                    ("numeric_source_ton", "numeric_source_npi"),
                                                    "receipt_id_format")}),
    )


@admin.register(OperatorPrefix)
class OperatorPrefixAdmin(admin.ModelAdmin):
    list_display = ("prefix", "operator", "note", "updated_at")
    search_fields = ("prefix", "operator", "note")


class MessagePartInline(admin.TabularInline):
    model = MessagePart
    fields = ("seq", "route", "status", "smsc_message_id", "error_code", "submitted_at", "done_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "client", "sender", "recipient", "status", "message_type", "segments", "price",
                    "route")
    list_filter = ("status", "message_type", "encoding", "is_bulk", "route")
    search_fields = ("public_id", "recipient", "sender", "client__name")
    date_hierarchy = "created_at"
    inlines = [MessagePartInline]
    list_select_related = ("client", "route")


@admin.register(MessagePart)
class MessagePartAdmin(ReadOnlyAdmin):
    """Every submit_sm; staff find the parts left in doubt by a crash (error code `in_doubt`, see
    messaging.smpp.connector) and the ones waiting for a retry here."""

    list_display = ("id", "message", "seq", "route", "status", "smsc_message_id", "error_code", "attempts",
                    "submitted_at", "next_attempt_at", "done_at")
    list_filter = ("status", "error_code", "route")
    search_fields = ("smsc_message_id", "message__public_id", "message__recipient")
    list_select_related = ("message", "route")
    raw_id_fields = ("message",)


@admin.register(ReceiptInbox)
class ReceiptInboxAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "route", "smsc_message_id", "stat", "error", "processed_at", "attempts")
    list_filter = ("stat", "route")
    search_fields = ("smsc_message_id",)


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "route", "source", "destination", "client", "text")
    list_select_related = ("route", "client")  # client is nullable: not followed by the automatic select_related
    search_fields = ("source", "destination", "text")


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "client", "name", "sender", "state", "accepted", "invalid", "duplicates",
                    "refused", "total_price")
    list_select_related = ("client",)
    list_filter = ("state", "source", "message_type")
    search_fields = ("public_id", "name", "client__name", "sender")
    date_hierarchy = "created_at"
    readonly_fields = ("outcome",)
    actions = ["cancel_selected"]

    @admin.display(description="Messages by outcome")
    def outcome(self, obj):
        return ", ".join(f"{k}: {v}" for k, v in campaign_counts(campaign=obj).items() if v) or "—"

    @admin.action(description="Cancel selected campaigns (refund what was not submitted)")
    def cancel_selected(self, request, queryset):
        for campaign in queryset.select_related("client"):
            try:
                campaign_cancel(client=campaign.client, public_id=campaign.public_id, actor=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"{campaign}: {exc.detail}", flash.WARNING)
            else:
                self.message_user(request, f"{campaign}: cancelled.", flash.SUCCESS)


class ContactInline(admin.TabularInline):
    model = Contact
    fields = ("phone", "name", "variables", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0


@admin.register(ContactGroup)
class ContactGroupAdmin(ReadOnlyAdmin):
    list_display = ("name", "client", "created_at")
    search_fields = ("name", "client__name")
    inlines = [ContactInline]


# --- status webhooks (read-only: the outbox is the product's, the endpoint the client's) ------

@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ("client", "url", "submitted_events", "secret_created_at", "updated_at")
    search_fields = ("client__name", "url")
    list_select_related = ("client",)
    exclude = ("secret",)  # the client's signing secret is never shown, not even to staff


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "client", "event", "state", "attempts", "last_http_status", "next_attempt_at",
                    "delivered_at", "url")
    list_filter = ("state", "event", "last_http_status", ("created_at", admin.DateFieldListFilter))
    search_fields = ("public_id", "url", "client__name", "last_error")
    list_select_related = ("client",)
    date_hierarchy = None
    show_full_result_count = False  # the outbox grows large: no COUNT(*) of the whole table


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "client", "url", "events", "http_status", "error", "duration_ms")
    list_filter = ("http_status", ("created_at", admin.DateFieldListFilter))
    search_fields = ("url", "client__name", "error")
    list_select_related = ("client",)
    show_full_result_count = False


# --- the content review queue (R-CMP-02) ---------------------------------------------------------

REVIEW_PAGE = 100
# Refusal reasons staff give most often; the client reads the chosen one in the client's own
# language, followed by the staff's own words when given.
REFUSAL_REASONS = {
    "company": _("The text does not name your company or give a way to contact you, so recipients cannot "
                 "identify the sender or opt out."),
    "restricted": _("The text advertises goods or services whose advertising by SMS is prohibited or restricted "
                    "in Ukraine (such as medicines, gambling or lotteries)."),
    "fraud": _("The text looks like fraud or phishing: it asks for card details, passwords or codes, or imitates "
               "a bank or a public body."),
    "link": _("The text contains a shortened or suspicious link: use a full link to your own website."),
    "consent": _("The text is advertising sent as a service message: send it as advertising, to recipients who "
                 "agreed to receive it."),
}


def _review_item_view(item, versions) -> dict:
    """What the queue shows of one item: the text with the matched words marked, as the rules
    see it now (whatever was approved before)."""
    head = item.message
    verdict = content_screen(client=head.client, text=head.text, message_type=head.message_type,
                             sender=head.sender, with_spans=True, approved=False, versions=versions)
    return {"item": item, "verdict": verdict, "highlighted": mark_safe(highlight_html(head.text, verdict.findings)),
            "category": verdict.category or "", "reason": head.error_code or verdict.reason,
            "detail": head.error_detail or verdict.detail}


@admin.register(ReviewQueue)
class ReviewQueueAdmin(admin.ModelAdmin):
    """Messages held for content review, one item per client and text, oldest first. Approve (the
    text passes at once next time; the messages go out and are charged when sent) or refuse with
    a reason the client sees (their reservation released), one item or several at once.
    Viewing needs the queue's view permission, deciding its change permission."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [path("", self.admin_site.admin_view(self.queue_view), name="%s_%s_changelist" % info)]

    def queue_view(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            if not self.has_change_permission(request):
                raise PermissionDenied
            self._decide(request)
            return redirect(request.get_full_path())
        try:
            page = max(int(request.GET.get("p", 0)), 0)
        except ValueError:
            page = 0
        items = review_items(limit=REVIEW_PAGE, offset=page * REVIEW_PAGE)
        versions = Versions()  # the screening rules' counters, read once for the page
        total = review_items_count()
        context = {**self.admin_site.each_context(request), "title": gettext("Review queue"), "opts": self.opts,
                   "rows": [_review_item_view(i, versions) for i in items], "total": total, "page": page,
                   "has_next": (page + 1) * REVIEW_PAGE < total, "can_decide": self.has_change_permission(request),
                   "refusal_reasons": list(REFUSAL_REASONS.items())}
        return TemplateResponse(request, "admin/messaging/review_queue.html", context)

    def _decide(self, request):
        post = request.POST
        if one := post.get("approve_one"):
            action, ids, reason, canned = "approve", [one], "", ""
        elif one := post.get("refuse_one"):
            action, ids = "refuse", [one]
            reason = post.get(f"reason_{one}", "") or post.get("reason", "")
            canned = post.get(f"canned_{one}", "") or post.get("canned", "")
        else:
            action, ids, reason, canned = (post.get("action", ""), post.getlist("items"), post.get("reason", ""),
                                           post.get("canned", ""))
        if not ids:
            self.message_user(request, gettext("Choose at least one item."), flash.WARNING)
            return
        if canned not in REFUSAL_REASONS or action != "refuse":
            groups = {"": ids}
        else:  # each client reads the common reason in its own language
            groups, clients = {}, {}
            for message in Message.objects.filter(pk__in=[i for i in ids if str(i).isdigit()]).select_related("client"):
                clients[message.client_id] = message.client
                groups.setdefault(message.client_id, []).append(message.pk)
        done, failed = [], []
        for client_id, group_ids in groups.items():
            text = reason
            if client_id:
                with translation.override(client_language_get(clients[client_id])):
                    text = " ".join(p for p in (str(REFUSAL_REASONS[canned]), reason.strip()) if p)
            try:
                d, f = reviews_decide(message_ids=group_ids, action=action, actor=request.user, reason=text)
            except ReviewError as exc:
                self.message_user(request, exc.detail, flash.ERROR)
                return
            done += d
            failed += f
        for d in done:
            if d.action == "approved":
                parts = [f"{d.queued} sent on", f"{d.scheduled} scheduled"] + \
                    ([f"{d.refused} opted out"] if d.refused else []) + ([f"{d.expired} expired"] if d.expired else [])
                self.message_user(request, f"Approved for {d.client}: {', '.join(parts)}.", flash.SUCCESS)
            else:
                self.message_user(request, f"Refused for {d.client}: {d.refused} message(s).", flash.SUCCESS)
        for item_id, why in failed:
            self.message_user(request, f"Item {item_id}: {why}", flash.WARNING)


# Viber templates, chat sessions, inbound messages and re-pricing (R-VIB-05, R-VIB-06, R-BILL-10).
from .viber import admin as _viber_admin  # noqa: E402,F401
