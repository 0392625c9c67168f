from django.contrib import admin

from accounts.admin import ReadOnlyAdmin

from .models import InboundMessage, Message, MessagePart, ReceiptInbox, Route


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    list_display = ("name", "host", "port", "system_id", "bind_mode", "tps_limit", "window_size", "priority",
                    "is_active")
    list_filter = ("is_active",)
    fieldsets = (
        (None, {"fields": ("name", "is_active", "priority")}),
        ("SMSC", {"fields": ("host", "port", "system_id", "password", "system_type", "bind_mode")}),
        ("Throughput", {"fields": ("tps_limit", "window_size", "enquire_link_interval")}),
        ("Addressing", {"fields": ("alnum_source_ton", "alnum_source_npi")}),
    )


class MessagePartInline(admin.TabularInline):
    model = MessagePart
    fields = ("seq", "route", "status", "smsc_message_id", "error_code", "submitted_at", "done_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "client", "sender", "recipient", "status", "segments", "price", "route")
    list_filter = ("status", "encoding", "is_bulk", "route")
    search_fields = ("public_id", "recipient", "sender", "client__name")
    date_hierarchy = "created_at"
    inlines = [MessagePartInline]
    list_select_related = ("client", "route")


@admin.register(ReceiptInbox)
class ReceiptInboxAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "route", "smsc_message_id", "stat", "error", "processed_at", "attempts")
    list_filter = ("stat", "route")
    search_fields = ("smsc_message_id",)


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "route", "source", "destination", "client", "text")
    search_fields = ("source", "destination", "text")
