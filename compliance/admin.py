from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from accounts.models import Client
from smsportal.message_types import MessageType

from .content import content_config_delete, content_config_save, content_config_snapshot, content_screen
from .hours import SendingCalendar
from .models import AllowListEntry, Brand, CalendarDay, ContentRule, LinkDomain, SendingHoursExemption
from .screening import highlight_html
from .services import sending_hours_exemption_cap_set, sending_hours_exemption_grant, sending_hours_exemption_revoke

# --- Sending hours (R-CMP-07) ---------------------------------------------------------------


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Staff's word on a day of the sending window: a holiday the `holidays` package does not
    know (or a decree), or a weekend day made a working day. Days without a row follow the
    weekday and the holiday calendar (compliance.hours, SMSPORTAL_SENDING_HOURS_HOLIDAYS)."""

    list_display = ("date", "weekday", "kind", "calendar_default", "note", "updated_at")
    list_filter = ("kind",)
    date_hierarchy = "date"
    search_fields = ("note",)

    @admin.display(description="Weekday")
    def weekday(self, obj):
        return obj.date.strftime("%A")

    @admin.display(description="Without this row")
    def calendar_default(self, obj):
        rest = SendingCalendar().is_rest_day(obj.date)
        return (CalendarDay.Kind.HOLIDAY if rest else CalendarDay.Kind.BUSINESS).label


@admin.register(SendingHoursExemption)
class SendingHoursExemptionAdmin(admin.ModelAdmin):
    """Round-the-clock sending of one client's service messages (codes, bank confirmations,
    taxi). Granted or revoked, never edited: who granted it and when stay the evidence."""

    list_display = ("client", "message_type", "frequency_cap_exempt", "note", "granted_by", "created_at")
    list_filter = ("message_type", "frequency_cap_exempt")
    search_fields = ("client__name", "note")
    autocomplete_fields = ("client",)
    fields = ("client", "message_type", "frequency_cap_exempt", "note", "granted_by", "created_at")
    readonly_fields = ("granted_by", "created_at")
    actions = ("cap_exempt", "cap_apply")

    def has_change_permission(self, request, obj=None):
        return obj is None

    def save_model(self, request, obj, form, change):
        exemption = sending_hours_exemption_grant(client=obj.client, message_type=obj.message_type,
                                                  granted_by=request.user, note=obj.note)
        if obj.frequency_cap_exempt:
            sending_hours_exemption_cap_set(client=obj.client, exempt=True, actor=request.user)
        obj.pk = exemption.pk

    @admin.action(description="Exempt from the 10-a-day cap too")
    def cap_exempt(self, request, queryset):
        self._cap_set(request, queryset, True)

    @admin.action(description="Apply the 10-a-day cap again")
    def cap_apply(self, request, queryset):
        self._cap_set(request, queryset, False)

    def _cap_set(self, request, queryset, exempt: bool):
        changed = sum(sending_hours_exemption_cap_set(client=obj.client, exempt=exempt, actor=request.user)
                      for obj in queryset.select_related("client"))
        self.message_user(request, f"{changed} exemption(s) changed.")

    def delete_model(self, request, obj):
        sending_hours_exemption_revoke(client=obj.client, message_type=obj.message_type, actor=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("client"):
            self.delete_model(request, obj)


# --- Content screening (R-CMP-01, 02, 04, 10, 11) ---------------------------------------------


class ContentConfigAdmin(admin.ModelAdmin):
    """Screening configuration: every save and delete goes through compliance.content (an audit
    record with the values before and after; every process compiles the rules again)."""

    readonly_fields = ("created_at", "updated_at", "history")

    def save_model(self, request, obj, form, change):
        before = content_config_snapshot(obj) if change else None
        content_config_save(obj=obj, actor=request.user, changed_fields=list(form.changed_data) or None,
                            before=before)

    def delete_model(self, request, obj):
        content_config_delete(obj=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            content_config_delete(obj=obj, actor=request.user)

    @admin.display(description="History (audit)")
    def history(self, obj):
        from accounts.models import AuditEvent
        if obj is None or obj.pk is None:
            return "-"
        events = AuditEvent.objects.filter(target__startswith=f"{obj._meta.model_name}:{obj.pk} ").select_related("actor")[:20]
        if not events:
            return "-"
        return format_html_join(mark_safe("<br>"), "{} · {} · {} · {}",
                                ((e.created_at.strftime("%Y-%m-%d %H:%M"), e.code.rsplit(".", 1)[-1],
                                  e.actor or "system", ", ".join(sorted((e.details.get("after") or {}).keys())))
                                 for e in events))


class ContentTryForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 80}))
    message_type = forms.ChoiceField(choices=MessageType.choices, initial=MessageType.SERVICE)
    channel = forms.ChoiceField(choices=[("sms", "SMS"), ("viber", "Viber")], initial="sms")
    client = forms.ModelChoiceField(queryset=Client.objects.order_by("name"), required=False,
                                    help_text="Whose name advertising must carry, and whose allow-list applies.")
    sender = forms.CharField(required=False, help_text="The sender name (advertising may name it instead).")


@admin.register(ContentRule)
class ContentRuleAdmin(ContentConfigAdmin):
    """Screening rules. "Try a text" (top right) screens any text against the rules as they are."""

    list_display = ("__str__", "category", "action", "match_mode", "languages", "active", "updated_at")
    list_filter = ("action", "category", "match_mode", "active")
    list_editable = ("active",)
    search_fields = ("name", "patterns", "notes")
    fields = ("category", "name", "patterns", "languages", "match_mode", "action", "active", "notes",
              "created_at", "updated_at", "history")

    def get_urls(self):
        return [path("try/", self.admin_site.admin_view(self.try_view), name="compliance_contentrule_try")] \
            + super().get_urls()

    def try_view(self, request):
        form = ContentTryForm(request.POST or None)
        context = {**self.admin_site.each_context(request), "title": "Try a text against the screening rules",
                   "form": form, "opts": self.model._meta}
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            verdict = content_screen(client=data["client"], text=data["text"], message_type=data["message_type"],
                                     sender=data["sender"] or None, channel=data["channel"])
            context.update(verdict=verdict, highlighted=mark_safe(highlight_html(data["text"], verdict.findings)))
        return TemplateResponse(request, "admin/compliance/content_try.html", context)


@admin.register(Brand)
class BrandAdmin(ContentConfigAdmin):
    list_display = ("name", "kind", "domains_short", "active", "updated_at")
    list_filter = ("kind", "active")
    search_fields = ("name", "aliases", "domains", "link_tokens")
    fields = ("kind", "name", "aliases", "link_tokens", "domains", "active", "notes", "created_at", "updated_at",
              "history")

    @admin.display(description="Domains")
    def domains_short(self, obj):
        return ", ".join(obj.domain_list())


@admin.register(LinkDomain)
class LinkDomainAdmin(ContentConfigAdmin):
    list_display = ("domain", "kind", "active", "updated_at")
    list_filter = ("kind", "active")
    search_fields = ("domain", "notes")
    fields = ("kind", "domain", "active", "notes", "created_at", "updated_at", "history")


@admin.register(AllowListEntry)
class AllowListEntryAdmin(ContentConfigAdmin):
    list_display = ("value", "kind", "client", "active", "updated_at")
    list_select_related = ("client",)
    list_filter = ("kind", "active")
    search_fields = ("value", "notes", "client__name")
    autocomplete_fields = ("client",)
    fields = ("kind", "value", "client", "active", "notes", "created_at", "updated_at", "history")
