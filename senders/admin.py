from django import forms
from django.contrib import admin, messages
from django.db.models import Case, IntegerField, Value, When
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from smsportal.admin_forms import staff_form_view
from smsportal.errors import ApplicationError

from .business_hours import MODERATION_TARGET, business_deadline, business_time_between
from .models import Channel, FirstNameAllowance, NameWord, NationalRegistration, Operator, SenderName
from .services import (first_name_allow, national_list_import, sender_international_force, sender_name_approve,
                       sender_name_reject, sender_national_set, viber_sender_submit)


class RejectForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
                             help_text="The client sees this reason.")


class ApproveForm(forms.Form):
    """Nothing to fill in: the page asks staff to confirm."""

    confirm = forms.BooleanField(initial=True, widget=forms.HiddenInput)


class InternationalForm(forms.Form):
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
                             help_text="Why the name stays international (R-SND-06). Empty: stop forcing it.")


class NationalListForm(forms.Form):
    file = forms.FileField(help_text="CSV with the columns name, operator (kyivstar, vodafone, lifecell) and status "
                                     "(national or international): the operators' weekly list.")


def _duration(td) -> str:
    minutes = round(abs(td.total_seconds()) / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


class NationalRegistrationInline(admin.TabularInline):
    model = NationalRegistration
    extra = 0
    can_delete = False
    fields = ("operator", "status", "source", "decided_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


OPEN = (SenderName.Status.PENDING, SenderName.Status.SUBMITTED)


class NationalFilter(admin.SimpleListFilter):
    title = "national status"
    parameter_name = "national"

    def lookups(self, request, model_admin):
        return [("yes", "National with an operator"), ("no", "International only")]

    def queryset(self, request, queryset):
        national = queryset.filter(registrations__status=NationalRegistration.Status.NATIONAL).values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=national)
        if self.value() == "no":
            return queryset.exclude(pk__in=national)
        return queryset


@admin.register(SenderName)
class SenderNameAdmin(admin.ModelAdmin):
    """The moderation queue (R-SND-04): open requests first, oldest first, with the business time
    left against the 2-hour target; approve, reject with a reason, national status per operator."""

    # The decision links sit next to the status, so they show without scrolling the list sideways.
    list_display = ("name", "channel", "client", "status", "time_left", "reject_link", "proof_link", "national",
                    "decided_by")
    list_filter = ("status", "channel", NationalFilter)
    search_fields = ("name", "client__name")
    readonly_fields = ("public_id", "client", "channel", "name", "status", "decision", "rejection_reason", "decided_by",
                       "decided_at", "created_at", "time_left", "brand", "proof_link", "company_name", "company_code",
                       "website", "purpose", "sample_text", "description_updated_at", "description_state",
                       "international_reason", "fee_charge_key")
    exclude = ("proof", "proof_content_type")
    inlines = [NationalRegistrationInline]
    actions = ["approve_selected", "submit_to_viber", "mark_national_kyivstar", "mark_national_vodafone",
               "mark_national_lifecell", "mark_national_all", "mark_international_all"]
    change_list_template = "admin/senders/sendername/change_list.html"

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        open_first = Case(When(status__in=OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
        return (super().get_queryset(request).select_related("client", "decided_by")
                .prefetch_related("registrations").annotate(queue=open_first).order_by("queue", "created_at", "id"))

    @admin.display(description="Time left (2 business hours)")
    def time_left(self, obj):
        if obj.status not in OPEN:
            return "—"
        now = timezone.now()
        left = MODERATION_TARGET - business_time_between(obj.created_at, now)
        due = timezone.localtime(business_deadline(obj.created_at))
        if left.total_seconds() <= 0:
            return format_html('<strong style="color:#ba2121">overdue {}</strong> <span class="help">(due {})</span>',
                               _duration(left), due.strftime("%d.%m %H:%M"))
        return format_html('{} <span class="help">(due {})</span>', _duration(left), due.strftime("%d.%m %H:%M"))

    @admin.display(description="Proof")
    def proof_link(self, obj):
        if not obj.proof:
            return format_html('<span style="color:#ba2121">missing</span>') if obj.brand else "—"
        return format_html('<a href="{}" target="_blank">view</a>',
                           reverse("admin:senders_sendername_proof", args=[obj.pk]))

    @admin.display(description="National")
    def national(self, obj):
        if obj.channel != Channel.SMS:
            return "—"
        regs = {r.operator: r.status for r in obj.registrations.all()}
        if not regs:
            return "international"
        return format_html_join(", ", "{}: {}", ((Operator(op).label, st) for op, st in sorted(regs.items())))

    @admin.display(description="Description for operators")
    def description_state(self, obj):
        return "complete" if obj.description_complete else "incomplete (the name stays international)"

    @admin.display(description="Decision")
    def decision(self, obj):
        """The moderation buttons on the name's own page (the list has them as an action and a link)."""
        links = []
        if obj.status in OPEN:
            links.append(format_html('<a class="button" href="{}">Approve…</a>',
                                     reverse("admin:senders_sendername_approve", args=[obj.pk])))
        if obj.status != SenderName.Status.REJECTED:
            links.append(format_html('<a class="button" href="{}">Reject…</a>',
                                     reverse("admin:senders_sendername_reject", args=[obj.pk])))
        return format_html_join(" ", "{}", ((link,) for link in links)) or "—"

    @admin.display(description="")
    def reject_link(self, obj):
        links = []
        if obj.status != SenderName.Status.REJECTED:
            links.append(format_html('<a class="button" href="{}">Reject…</a>',
                                     reverse("admin:senders_sendername_reject", args=[obj.pk])))
        if obj.channel == Channel.SMS:
            links.append(format_html('<a href="{}">International…</a>',
                                     reverse("admin:senders_sendername_international", args=[obj.pk])))
        return format_html_join(" ", "{}", ((link,) for link in links))

    def _each(self, request, queryset, func, done: str):
        ok = 0
        for sender in queryset:
            try:
                func(sender)
                ok += 1
            except ApplicationError as exc:
                self.message_user(request, f"{sender}: {exc.detail}", messages.ERROR)
        if ok:
            self.message_user(request, f"{done}: {ok} sender name(s).", messages.SUCCESS)

    @admin.action(description="Approve selected sender names")
    def approve_selected(self, request, queryset):
        self._each(request, queryset, lambda s: sender_name_approve(sender_id=s.pk, actor=request.user), "Approved")

    @admin.action(description="Viber: mark submitted to Viber")
    def submit_to_viber(self, request, queryset):
        self._each(request, queryset, lambda s: viber_sender_submit(sender_id=s.pk, actor=request.user),
                   "Submitted to Viber")

    def _national(self, request, queryset, operators, national):
        def apply(sender):
            for op in operators:
                sender_national_set(sender_id=sender.pk, operator=op, national=national, actor=request.user)

        self._each(request, queryset, apply, "National" if national else "International")

    @admin.action(description="Mark national with Kyivstar")
    def mark_national_kyivstar(self, request, queryset):
        self._national(request, queryset, [Operator.KYIVSTAR], True)

    @admin.action(description="Mark national with Vodafone")
    def mark_national_vodafone(self, request, queryset):
        self._national(request, queryset, [Operator.VODAFONE], True)

    @admin.action(description="Mark national with lifecell")
    def mark_national_lifecell(self, request, queryset):
        self._national(request, queryset, [Operator.LIFECELL], True)

    @admin.action(description="Mark national with all operators")
    def mark_national_all(self, request, queryset):
        self._national(request, queryset, Operator.values, True)

    @admin.action(description="Mark international with all operators")
    def mark_international_all(self, request, queryset):
        self._national(request, queryset, Operator.values, False)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:sender_id>/approve/", view(self.approve_view), name="senders_sendername_approve"),
            path("<int:sender_id>/reject/", view(self.reject_view), name="senders_sendername_reject"),
            path("<int:sender_id>/international/", view(self.international_view),
                 name="senders_sendername_international"),
            path("<int:sender_id>/proof/", view(self.proof_view), name="senders_sendername_proof"),
            path("national-list/", view(self.national_list_view), name="senders_sendername_national_list"),
        ] + super().get_urls()

    def approve_view(self, request, sender_id):
        sender = get_object_or_404(SenderName.objects.select_related("client"), pk=sender_id)

        def perform(data):
            sender_name_approve(sender_id=sender.pk, actor=request.user)
            return f"Sender name {sender.name} approved."

        return staff_form_view(
            request, admin_site=self.admin_site, form_class=ApproveForm, title=f"Approve {sender.name}",
            intro=f"Approve the sender name '{sender.name}' of {sender.client}? The client can send with it at once "
                  f"and gets an email.", target=str(sender),
            back_url=reverse("admin:senders_sendername_change", args=[sender.pk]), submit_label="Approve",
            perform=perform)

    def reject_view(self, request, sender_id):
        sender = get_object_or_404(SenderName.objects.select_related("client"), pk=sender_id)

        def perform(data):
            sender_name_reject(sender_id=sender.pk, reason=data["reason"], actor=request.user)
            return f"Sender name {sender.name} rejected."

        return staff_form_view(
            request, admin_site=self.admin_site, form_class=RejectForm, title=f"Reject {sender.name}",
            intro=f"Reject the sender name '{sender.name}' of {sender.client}.", target=str(sender),
            back_url=reverse("admin:senders_sendername_changelist"), submit_label="Reject", perform=perform)

    def international_view(self, request, sender_id):
        sender = get_object_or_404(SenderName.objects.select_related("client"), pk=sender_id)

        def perform(data):
            sender_international_force(sender_id=sender.pk, reason=data["reason"], actor=request.user)
            return f"{sender.name}: " + ("kept international." if data["reason"] else "no longer forced international.")

        return staff_form_view(
            request, admin_site=self.admin_site, form_class=InternationalForm, title=f"Keep {sender.name} international",
            intro=f"'{sender.name}' of {sender.client} will be priced as international whatever the operators' lists say.",
            target=str(sender), back_url=reverse("admin:senders_sendername_change", args=[sender.pk]),
            submit_label="Save", perform=perform)

    def proof_view(self, request, sender_id):
        """The brand proof, to staff only (admin_view checks is_staff); never a public URL."""
        sender = get_object_or_404(SenderName, pk=sender_id)
        if not sender.proof:
            raise Http404("No proof document.")
        return FileResponse(sender.proof.open("rb"), content_type=sender.proof_content_type or "application/octet-stream",
                            filename=f"proof-{sender.name}.{sender.proof.name.rsplit('.', 1)[-1]}")

    def national_list_view(self, request):
        form = NationalListForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = national_list_import(data=upload.read(), actor=request.user, filename=upload.name)
            except ApplicationError as exc:
                form.add_error("file", exc.detail)
            else:
                self.message_user(request, f"National list applied: {result['national']} national, "
                                           f"{result['international']} international, {result['unchanged']} unchanged.",
                                  messages.SUCCESS)
                for problem in result["problems"][:20]:
                    self.message_user(request, problem, messages.WARNING)
                return redirect("admin:senders_sendername_changelist")
        context = {**self.admin_site.each_context(request), "form": form, "title": "Import the national names list",
                   "opts": self.model._meta}
        return TemplateResponse(request, "admin/senders/national_list_form.html", context)


@admin.register(NameWord)
class NameWordAdmin(admin.ModelAdmin):
    list_display = ("word", "kind", "match_anywhere", "language", "note", "created_at")
    list_filter = ("kind", "match_anywhere", "language")
    search_fields = ("word", "note")
    list_per_page = 200


@admin.register(FirstNameAllowance)
class FirstNameAllowanceAdmin(admin.ModelAdmin):
    list_display = ("name", "client", "note", "created_by", "created_at")
    list_select_related = ("client", "created_by")  # created_by is nullable: not followed automatically
    search_fields = ("name", "client__name")
    autocomplete_fields = ("client",)
    fields = ("client", "name", "note")

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        allowance = first_name_allow(client=obj.client, name=obj.name, note=obj.note, actor=request.user)
        obj.pk = allowance.pk
