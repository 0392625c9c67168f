from django.contrib import admin

from accounts.admin import ReadOnlyAdmin

from django.contrib import messages as flash

from smsportal.errors import ApplicationError

from .models import (Campaign, Contact, ContactGroup, InboundMessage, Message, MessagePart, OperatorPrefix,
                     ReceiptInbox, Route, WebhookDelivery, WebhookEndpoint, WebhookEvent)
from .selectors import campaign_counts
from .services import campaign_cancel


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
