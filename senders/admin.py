from django import forms
from django.contrib import admin, messages
from django.db.models import Case, IntegerField, Value, When
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, gettext_lazy as _, pgettext_lazy

from accounts.selectors import client_language_get
from smsportal.admin_forms import staff_form_view
from smsportal.errors import ApplicationError

from .business_hours import MODERATION_TARGET, business_deadline, business_time_between
from .models import Channel, FirstNameAllowance, NameWord, NationalRegistration, Operator, SenderName
from .services import (first_name_allow, national_list_import, sender_international_force, sender_name_approve,
                       sender_name_reject, sender_national_set, viber_sender_submit)


# Reasons staff give most often; the client reads the chosen one in the client's own language,
# followed by the staff's own words when given.
REJECTION_REASONS = {
    "brand": _("The name is a brand or trademark: attach a letter or agreement from its owner that allows your "
               "company to use it, and request the name again."),
    "look_alike": _("The name is too close to the name of a mobile operator, a bank or a public body, and could "
                    "mislead recipients."),
    "generic": _("The name is a generic word (such as INFO, SMS or SALE) and does not identify your company: "
                 "choose a name recipients will recognise as yours."),
    "relation": _("We could not see how the name relates to your company: fill in the description (company, "
                  "website, what the messages are about) and request it again."),
    "prohibited": _("The name contains offensive or prohibited words."),
}


class RejectForm(forms.Form):
    canned = forms.ChoiceField(
        label=_("Common reason"), required=False,
        choices=[("", _("— write my own —")), *((key, text) for key, text in REJECTION_REASONS.items())])
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
                             help_text=_("The client sees this reason, after the common one if both are given."))

    def clean(self):
        data = super().clean()
        if not data.get("canned") and not (data.get("reason") or "").strip():
            raise forms.ValidationError(_("Choose a common reason or write one: the client sees it."))
        return data


def rejection_text(data: dict, *, language: str) -> str:
    """The reason the client reads: the common reason in `language`, then the staff's words."""
    parts = []
    if data.get("canned"):
        with translation.override(language):
            parts.append(str(REJECTION_REASONS[data["canned"]]))
    if (data.get("reason") or "").strip():
        parts.append(data["reason"].strip())
    return " ".join(parts)


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


class QueueFilter(admin.SimpleListFilter):
    """The list opens on the requests waiting for a decision; decided names one click away."""

    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("waiting", _("Waiting for a decision")), ("decided", pgettext_lazy("moderation queue", "Decided")), ("all", _("All"))]

    def value(self):
        return super().value() or "waiting"

    def choices(self, changelist):
        for key, title in self.lookup_choices:
            yield {"selected": self.value() == key, "query_string": changelist.get_query_string({self.parameter_name: key}),
                   "display": title}

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(status__in=OPEN)
        if self.value() == "decided":
            return queryset.exclude(status__in=OPEN)
        return queryset


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
    list_display = ("name", "channel", "client", "status", "time_left", "decision_links", "proof_link", "national",
                    "decided_by")
    list_filter = (QueueFilter, "status", "channel", NationalFilter)
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

    @admin.display(description=_("Decision"))
    def decision(self, obj):
        """The moderation buttons on the name's own page (the list has them per row)."""
        links = []
        if obj.status in OPEN:
            links.append(format_html('<a class="button" href="{}">{}</a>',
                                     reverse("admin:senders_sendername_approve", args=[obj.pk]), gettext("Approve…")))
            links.append(format_html('<a class="button" href="{}">{}</a>',
                                     reverse("admin:senders_sendername_reject", args=[obj.pk]), gettext("Reject…")))
        elif obj.status == SenderName.Status.APPROVED:  # an approved name can still be withdrawn, with a reason
            links.append(format_html('<a class="button" href="{}">{}</a>',
                                     reverse("admin:senders_sendername_reject", args=[obj.pk]),
                                     gettext("Withdraw approval…")))
        return format_html_join(" ", "{}", ((link,) for link in links)) or "—"

    @admin.display(description=_("Decide"))
    def decision_links(self, obj):
        """Per row: approve or reject a waiting request (decided rows have neither)."""
        links = []
        if obj.status in OPEN:
            links.append(format_html('<a class="button" href="{}?from=list">{}</a>',
                                     reverse("admin:senders_sendername_approve", args=[obj.pk]), gettext("Approve…")))
            links.append(format_html('<a class="button" href="{}">{}</a>',
                                     reverse("admin:senders_sendername_reject", args=[obj.pk]), gettext("Reject…")))
        if obj.channel == Channel.SMS and obj.status != SenderName.Status.REJECTED:
            links.append(format_html('<a href="{}">{}</a>', reverse("admin:senders_sendername_international",
                                                                    args=[obj.pk]), gettext("International…")))
        return format_html_join(" ", "{}", ((link,) for link in links)) or "—"

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
            return gettext("Sender name %(name)s approved.") % {"name": sender.name}

        from_list = request.GET.get("from") == "list"
        return staff_form_view(
            request, admin_site=self.admin_site, form_class=ApproveForm,
            title=gettext("Approve %(name)s") % {"name": sender.name},
            intro=gettext("Approve the sender name '%(name)s' of %(client)s? The client can send with it at once "
                          "and gets an email.") % {"name": sender.name, "client": sender.client},
            target=str(sender),
            back_url=reverse("admin:senders_sendername_changelist") if from_list
            else reverse("admin:senders_sendername_change", args=[sender.pk]),
            submit_label=gettext("Approve"), perform=perform)

    def reject_view(self, request, sender_id):
        sender = get_object_or_404(SenderName.objects.select_related("client"), pk=sender_id)

        def perform(data):
            reason = rejection_text(data, language=client_language_get(sender.client))
            sender_name_reject(sender_id=sender.pk, reason=reason, actor=request.user)
            return gettext("Sender name %(name)s rejected.") % {"name": sender.name}

        return staff_form_view(
            request, admin_site=self.admin_site, form_class=RejectForm,
            title=gettext("Reject %(name)s") % {"name": sender.name},
            intro=gettext("Reject the sender name '%(name)s' of %(client)s. The client gets the reason by email "
                          "and sees it on the Sender names page.") % {"name": sender.name, "client": sender.client},
            target=str(sender), back_url=reverse("admin:senders_sendername_changelist"),
            submit_label=gettext("Reject"), perform=perform)

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
