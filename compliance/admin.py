from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Client
from smsportal.message_types import MessageType
from smsportal.phones import normalize_phone

from .content import (approved_text_forget, content_config_delete, content_config_save, content_config_snapshot,
                      content_screen)
from .hours import SendingCalendar
from .models import (AllowListEntry, ApprovedText, Brand, CalendarDay, ComplianceSettings, Consent, ContentRule, GlobalOptOut,
                     LinkDomain, OptOut, SendingHoursExemption, TrademarkProof)
from .screening import highlight_html
from .services import (compliance_settings_set, global_opt_out_add, global_opt_out_remove,
                       sending_hours_exemption_cap_set,
                       sending_hours_exemption_grant, sending_hours_exemption_revoke, stop_list_add, stop_list_remove)

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

    @admin.display(description=_("Weekday"))
    def weekday(self, obj):
        return date_format(obj.date, "l")

    @admin.display(description=_("Without this row"))
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

    @admin.action(description=_("Exempt from the 10-a-day cap too"))
    def cap_exempt(self, request, queryset):
        self._cap_set(request, queryset, True)

    @admin.action(description=_("Apply the 10-a-day cap again"))
    def cap_apply(self, request, queryset):
        self._cap_set(request, queryset, False)

    def _cap_set(self, request, queryset, exempt: bool):
        changed = sum(sending_hours_exemption_cap_set(client=obj.client, exempt=exempt, actor=request.user)
                      for obj in queryset.select_related("client"))
        self.message_user(request, gettext("%(n)s exemption(s) changed.") % {"n": changed})

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

    @admin.display(description=_("History (audit)"))
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
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 4, "cols": 80}))
    message_type = forms.ChoiceField(label=_("Message type"), choices=MessageType.choices, initial=MessageType.SERVICE)
    channel = forms.ChoiceField(label=_("Channel"), choices=[("sms", "SMS"), ("viber", "Viber")], initial="sms")
    client = forms.ModelChoiceField(label=_("Client"), queryset=Client.objects.order_by("name"), required=False,
                                    help_text=_("Whose name advertising must carry, and whose allow-list applies."))
    sender = forms.CharField(label=_("Sender"), required=False, help_text=_("The sender name (advertising may name it instead)."))


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
        context = {**self.admin_site.each_context(request), "title": gettext("Try a text against the screening rules"),
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

    @admin.display(description=_("Domains"))
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


@admin.register(ApprovedText)
class ApprovedTextAdmin(admin.ModelAdmin):
    """Texts staff approved in the review queue (R-CMP-02): each passes screening at once for its
    client. Made by approving in the review queue, never edited here; deleting one withdraws the
    approval (audited), so the text is held for review again."""

    list_display = ("client", "text_short", "approved_by", "created_at")
    list_select_related = ("client", "approved_by")
    search_fields = ("client__name", "text")
    fields = ("client", "text", "key", "approved_by", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Text"))
    def text_short(self, obj):
        return obj.text[:100]

    def delete_model(self, request, obj):
        approved_text_forget(client=obj.client, text=obj.text, actor=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("client"):
            self.delete_model(request, obj)


# --- stop lists and consents (R-CMP-05, 06) ---------------------------------------------------------


class _ServiceWrites(admin.ModelAdmin):
    """Entries are added or removed (through the services, audited), never edited."""

    def has_change_permission(self, request, obj=None):
        return obj is None

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class OptOutForm(forms.ModelForm):
    class Meta:
        model = OptOut
        fields = ("client", "phone", "note")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "client" in self.fields:
            self.fields["client"].required = True
            self.fields["client"].help_text = gettext("For every client: the global stop list.")

    def clean_phone(self):
        phone = normalize_phone(self.cleaned_data["phone"])
        if not phone:
            raise forms.ValidationError(gettext("Enter a phone number, e.g. +380671234567."))
        return phone


@admin.register(OptOut)
class OptOutAdmin(_ServiceWrites):
    """One client's stop list (STOP replies, the client's and staff's entries). Staff may add a
    number for a client (e.g. a recipient's request that reached us about that client) and remove
    any entry (audited)."""

    form = OptOutForm
    list_display = ("phone", "client", "source", "note", "resumed_at", "created_at")
    list_filter = ("source",)
    search_fields = ("phone", "client__name", "note")
    autocomplete_fields = ("client",)
    fields = ("client", "phone", "source", "note", "resumed_at", "created_by", "created_at")
    readonly_fields = ("source", "resumed_at", "created_by", "created_at")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(client__isnull=False)

    def save_model(self, request, obj, form, change):
        entry, _created = stop_list_add(client=obj.client, phone=obj.phone, note=obj.note, actor=request.user,
                                        source=OptOut.Source.STAFF)
        obj.pk = entry.pk

    def delete_model(self, request, obj):
        stop_list_remove(client=obj.client, phone=obj.phone, actor=request.user, staff=True)


class GlobalOptOutForm(forms.ModelForm):
    source = forms.ChoiceField(choices=[(s.value, s.label) for s in (OptOut.Source.PROVIDER, OptOut.Source.OPERATOR,
                                                                    OptOut.Source.STAFF)])

    class Meta:
        model = GlobalOptOut
        fields = ("phone", "source", "note")

    def clean_phone(self):
        phone = normalize_phone(self.cleaned_data["phone"])
        if not phone:
            raise forms.ValidationError(gettext("Enter a phone number, e.g. +380671234567."))
        return phone


@admin.register(GlobalOptOut)
class GlobalOptOutAdmin(_ServiceWrites):
    """The global stop list: recipients who asked us, or whom staff block. Nothing goes to them
    from any client."""

    form = GlobalOptOutForm
    list_display = ("phone", "source", "note", "created_by", "created_at")
    list_filter = ("source",)
    search_fields = ("phone", "note")
    fields = ("phone", "source", "note", "created_by", "created_at")
    readonly_fields = ("created_by", "created_at")

    def save_model(self, request, obj, form, change):
        entry, _created = global_opt_out_add(phone=obj.phone, source=obj.source, note=obj.note, actor=request.user)
        obj.pk = entry.pk

    def delete_model(self, request, obj):
        global_opt_out_remove(phone=obj.phone, actor=request.user)


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    """Clients' consent records (their recipients' personal data): for answering a complaint or a
    regulator; clients record and withdraw them on the website."""

    list_display = ("phone", "client", "name", "sms", "viber", "company", "given_at", "withdrawn_at")
    list_filter = ("sms", "viber")
    search_fields = ("phone", "client__name", "name")
    date_hierarchy = "given_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ComplianceSettings)
class ComplianceSettingsAdmin(admin.ModelAdmin):
    list_display = ("client", "require_consent", "updated_at")
    list_filter = ("require_consent",)
    search_fields = ("client__name",)
    autocomplete_fields = ("client",)

    def save_model(self, request, obj, form, change):
        row = compliance_settings_set(client=obj.client, require_consent=obj.require_consent, actor=request.user)
        obj.pk = row.pk


class TrademarkProofRequestForm(forms.ModelForm):
    class Meta:
        model = TrademarkProof
        fields = ("client", "trademark", "note")


@admin.register(TrademarkProof)
class TrademarkProofAdmin(admin.ModelAdmin):
    """Proof of rights to trademarks in clients' Viber texts (R-VIB-10): add a request (the client
    is emailed; due in 1 business day), then accept or reject the proof the client uploads. While a
    request is overdue or rejected, the client's Viber texts naming the trademark are refused."""

    list_display = ("trademark", "client", "requested_at", "due_on", "current_status", "provided_at", "decided_at")
    list_filter = ("status",)
    search_fields = ("trademark", "client__name")
    autocomplete_fields = ("client",)
    actions = ("accept_proofs", "reject_proofs")
    readonly_fields = ("client", "trademark", "requested_at", "due_on", "status", "proof_link", "proof_comment",
                       "provided_at", "decided_at", "requested_by", "decided_by")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = TrademarkProofRequestForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("client", "trademark", "note")
        return self.readonly_fields + ("note",)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        from .trademarks import trademark_proof_request
        if change:
            TrademarkProof.objects.filter(pk=obj.pk).update(note=obj.note)
            return
        row = trademark_proof_request(client=obj.client, trademark=obj.trademark, note=obj.note, actor=request.user)
        obj.pk, obj.requested_at, obj.due_on = row.pk, row.requested_at, row.due_on

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Status"))
    def current_status(self, obj):
        from smsportal.kyiv import kyiv_date
        return TrademarkProof.Status(obj.status_on(kyiv_date())).label

    @admin.display(description=_("Proof file"))
    def proof_link(self, obj):
        from django.urls import reverse
        from django.utils.html import format_html
        if not obj.proof_file:
            return "-"
        return format_html('<a href="{}">{}</a>', reverse("admin:compliance_trademarkproof_file", args=[obj.pk]),
                           gettext("Download"))

    def get_urls(self):
        return [path("<int:pk>/file/", self.admin_site.admin_view(self.file_view), name="compliance_trademarkproof_file")] \
            + super().get_urls()

    def file_view(self, request, pk):
        from django.http import FileResponse, Http404
        obj = TrademarkProof.objects.filter(pk=pk).first()
        if obj is None or not obj.proof_file or not self.has_view_permission(request, obj):
            raise Http404
        return FileResponse(obj.proof_file.open("rb"), as_attachment=True,
                            filename=f"trademark-proof-{obj.pk}.{obj.proof_file.name.rsplit('.', 1)[-1]}")

    def _decide(self, request, queryset, accept: bool):
        from smsportal.errors import ApplicationError

        from .trademarks import trademark_proof_decide
        done = 0
        for proof in queryset:
            try:
                trademark_proof_decide(proof=proof, accept=accept, actor=request.user)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{proof}: {exc.detail}", level="warning")
        if done:
            self.message_user(request, gettext("%(count)s proof(s) decided.") % {"count": done})

    @admin.action(description=_("Accept the provided proof"))
    def accept_proofs(self, request, queryset):
        self._decide(request, queryset, True)

    @admin.action(description=_("Reject the provided proof"))
    def reject_proofs(self, request, queryset):
        self._decide(request, queryset, False)
