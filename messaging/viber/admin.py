"""Staff pages for Viber templates (R-VIB-05), chat sessions and inbound messages (R-VIB-06), and
the re-pricing of transactional messages that did not match their template (R-BILL-10).
Actions call services; nothing here writes a row itself."""
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from smsportal.errors import ApplicationError

from ..models import ChatSession, ViberInbound, ViberLimit, ViberRepricing, ViberTemplate
from .provider import ViberType
from .service import viber_limit_delete, viber_limit_save
from .templates import (OPEN, REJECT_REASONS, template_approve, template_mark_review, template_reject,
                        viber_reprice_as_advertising)

State = ViberTemplate.State


class _QueueChangeList(ChangeList):
    """Open templates first, oldest first, unless staff sort by a column."""

    def get_ordering(self, request, queryset):
        if ORDER_VAR in self.params:
            return super().get_ordering(request, queryset)
        return ["queue", "created_at", "id"]


def _ids(request) -> list[int]:
    return [int(i) for i in request.GET.get("ids", "").split(",") if i.strip().isdigit()][:500]


class TemplateRejectForm(forms.Form):
    canned = forms.ChoiceField(label="Reason", required=False,
                               choices=[("", "— write your own below —")] + [(str(r), str(r)) for r in REJECT_REASONS])
    reason = forms.CharField(label="Details", required=False, max_length=300,
                             widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
                             help_text="The client sees the reason (and these details) in an email and on the page.")

    def clean(self):
        data = super().clean()
        text = " ".join(p for p in (data.get("canned", "").strip(), data.get("reason", "").strip()) if p)
        if not text:
            raise forms.ValidationError("Choose a reason or write one.")
        data["full_reason"] = text[:300]
        return data


class RepriceForm(forms.Form):
    reason = forms.CharField(label="Note to the client", max_length=250,
                             widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
                             help_text="E.g. “Viber report 11/2026: the text did not match the approved template.” "
                                       "The client gets it by email.")


@admin.register(ViberTemplate)
class ViberTemplateAdmin(admin.ModelAdmin):
    """The template queue: new and under review first, oldest first; mark under review, approve,
    reject with a reason (not a decided one)."""

    list_display = ("name", "client", "state", "short_text", "created_at", "decided_at", "decided_by")
    list_filter = ("state",)
    search_fields = ("name", "text", "client__name")
    readonly_fields = ("public_id", "client", "name", "text", "state", "rejection_reason", "decided_at", "decided_by",
                       "created_at", "updated_at")
    actions = ["mark_under_review", "approve_selected", "reject_selected"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_changelist(self, request, **kwargs):
        return _QueueChangeList

    def get_queryset(self, request):
        open_first = Case(When(state__in=OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
        return (super().get_queryset(request).select_related("client", "decided_by")
                .annotate(queue=open_first).order_by("queue", "created_at", "id"))

    @admin.display(description="Text")
    def short_text(self, obj):
        return obj.text if len(obj.text) <= 80 else obj.text[:79] + "…"

    def _each(self, request, queryset, func, done):
        ok = 0
        for template in queryset:
            try:
                func(template)
                ok += 1
            except ApplicationError as exc:
                self.message_user(request, f"{template}: {exc.detail}", messages.ERROR)
        if ok:
            self.message_user(request, f"{done}: {ok} template(s).", messages.SUCCESS)

    @admin.action(description="Mark under review (sent to Viber)")
    def mark_under_review(self, request, queryset):
        self._each(request, queryset, lambda t: template_mark_review(template_id=t.pk, actor=request.user),
                   "Under review")

    @admin.action(description="Approve (Viber approved)")
    def approve_selected(self, request, queryset):
        self._each(request, queryset, lambda t: template_approve(template_id=t.pk, actor=request.user), "Approved")

    @admin.action(description="Reject with a reason…")
    def reject_selected(self, request, queryset):
        decided = [t for t in queryset if t.state not in OPEN]
        for t in decided:
            self.message_user(request, f"{t}: already {t.get_state_display().lower()}; only new or under-review "
                                       "templates can be rejected.", messages.ERROR)
        ids = [str(t.pk) for t in queryset if t.state in OPEN]
        if ids:
            return redirect(reverse("admin:messaging_vibertemplate_reject") + "?ids=" + ",".join(ids))
        return None

    def get_urls(self):
        return [path("reject/", self.admin_site.admin_view(self.reject_view), name="messaging_vibertemplate_reject"),
                ] + super().get_urls()

    def reject_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        templates = list(ViberTemplate.objects.select_related("client").filter(pk__in=_ids(request), state__in=OPEN))
        back = reverse("admin:messaging_vibertemplate_changelist")
        if not templates:
            self.message_user(request, "No new or under-review template chosen.", messages.WARNING)
            return redirect(back)
        form = TemplateRejectForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            self._each(request, templates, lambda t: template_reject(
                template_id=t.pk, reason=form.cleaned_data["full_reason"], actor=request.user), "Rejected")
            return redirect(back)
        context = {**self.admin_site.each_context(request), "form": form, "opts": self.opts,
                   "title": f"Reject {len(templates)} Viber template(s)", "back_url": back,
                   "target": "Viber templates", "submit_label": "Reject",
                   "intro": "\n".join(f"{t.client}: {t.name} — {t.text}" for t in templates)}
        return TemplateResponse(request, "admin/simple_form.html", context)


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ChatSession)
class ChatSessionAdmin(_ReadOnly):
    list_display = ("sender", "recipient", "client", "opened_at", "expires_at", "client_messages", "in_a_row",
                    "unread", "charged_at", "price")
    search_fields = ("recipient", "sender", "client__name")
    list_select_related = ("client",)


@admin.register(ViberInbound)
class ViberInboundAdmin(_ReadOnly):
    list_display = ("phone", "sender", "client", "received_at", "text", "read_at")
    search_fields = ("phone", "sender", "text", "provider_message_id")
    list_select_related = ("client",)


class RepricedFilter(admin.SimpleListFilter):
    title = "re-priced"
    parameter_name = "repriced"

    def lookups(self, request, model_admin):
        return [("no", "Not re-priced"), ("yes", "Re-priced")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(repriced_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(repriced_at__isnull=False)
        return queryset


@admin.register(ViberRepricing)
class ViberRepricingAdmin(admin.ModelAdmin):
    """Transactional Viber messages; staff select those Viber reported as not matching their
    template and re-charge them as advertising, once each, with a note to the client."""

    list_display = ("message_link", "client", "sender", "recipient", "text", "status", "charged", "template",
                    "repriced_at")
    list_filter = (RepricedFilter,)
    search_fields = ("message__public_id", "message__recipient", "message__client__name", "message__text")
    actions = ["reprice_selected"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def get_queryset(self, request):
        return (super().get_queryset(request).filter(viber_type=ViberType.TRANSACTIONAL)
                .select_related("message", "message__client", "template").order_by("-message__created_at"))

    @admin.display(description="Message")
    def message_link(self, obj):
        return format_html("<span class=\"mono\">{}</span>", str(obj.message.public_id)[:8])

    @admin.display(description="Client")
    def client(self, obj):
        return obj.message.client

    @admin.display(description="Sender")
    def sender(self, obj):
        return obj.message.sender

    @admin.display(description="Recipient")
    def recipient(self, obj):
        return obj.message.recipient

    @admin.display(description="Text")
    def text(self, obj):
        t = obj.message.text
        return t if len(t) <= 60 else t[:59] + "…"

    @admin.display(description="Status")
    def status(self, obj):
        return obj.message.get_status_display()

    @admin.display(description="Charged, UAH")
    def charged(self, obj):
        return obj.message.price.amount

    @admin.action(description="Re-price as advertising (not matching its template)…")
    def reprice_selected(self, request, queryset):
        ids = [str(pk) for pk in queryset.filter(repriced_at__isnull=True).values_list("pk", flat=True)]
        if not ids:
            self.message_user(request, "Every selected message was re-priced already.", messages.WARNING)
            return None
        return redirect(reverse("admin:messaging_viberrepricing_reprice") + "?ids=" + ",".join(ids))

    def get_urls(self):
        return [path("reprice/", self.admin_site.admin_view(self.reprice_view), name="messaging_viberrepricing_reprice"),
                ] + super().get_urls()

    def reprice_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        ids = _ids(request)
        back = reverse("admin:messaging_viberrepricing_changelist")
        form = RepriceForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = viber_reprice_as_advertising(message_ids=ids, reason=form.cleaned_data["reason"],
                                                      actor=request.user)
            except ApplicationError as exc:
                form.add_error(None, exc.detail)
            else:
                self.message_user(request, f"Re-priced {result.repriced} message(s) of {result.clients} client(s): "
                                           f"{result.amount} UAH debited; {result.skipped} skipped.", messages.SUCCESS)
                return redirect(back)
        context = {**self.admin_site.each_context(request), "form": form, "opts": self.opts,
                   "title": f"Re-price {len(ids)} transactional message(s) as advertising", "back_url": back,
                   "target": "Viber transactional messages", "submit_label": "Re-price",
                   "intro": "The difference between the advertising price and what each message was charged is "
                            "debited from its client's wallet, once per message (R-BILL-10)."}
        return TemplateResponse(request, "admin/simple_form.html", context)


@admin.register(ViberLimit)
class ViberLimitAdmin(admin.ModelAdmin):
    """Staff set a client's Viber messages per Kyiv day (R-VIB-09); sends over it are refused per
    recipient (`viber_daily_limit`). No row: no limit. Every change is audited."""

    list_display = ("client", "daily_limit", "note", "updated_at")
    search_fields = ("client__name",)
    autocomplete_fields = ("client",)
    list_select_related = ("client",)
    ordering = ("client__name",)
    fields = ("client", "daily_limit", "note", "updated_at")
    readonly_fields = ("updated_at",)

    def get_readonly_fields(self, request, obj=None):
        # The client of an existing limit stays; a new client gets a new limit.
        return ("client", "updated_at") if obj is not None else ("updated_at",)

    def save_model(self, request, obj, form, change):
        before = None
        if change:
            old = ViberLimit.objects.filter(pk=obj.pk).values("daily_limit", "note").first()
            before = dict(old) if old else None
        viber_limit_save(limit=obj, actor=request.user, before=before)

    def delete_model(self, request, obj):
        viber_limit_delete(limit=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("client"):
            viber_limit_delete(limit=obj, actor=request.user)
