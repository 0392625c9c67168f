"""The client admin with its block and termination actions, which stop the account in every app;
the complaints about a client's messages (R-CMP-09): record, see what is overdue, decide."""
from django.contrib import admin, messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from accounts.admin import ClientAdmin as AccountsClientAdmin
from accounts.models import Client
from accounts.services import audit_record
from smsportal.errors import ApplicationError
from smsportal.admin_forms import staff_form_view
from smsportal.kyiv import kyiv_date

from . import services
from .complaints import complaint_block, complaint_dismiss, complaint_is_overdue, complaint_penalize, complaint_record
from .forms import ComplaintRecordForm, DecisionForm, PenaltyForm
from .announcements import announcement_publish
from .models import Announcement, Complaint
from .admin_views import spot_checks_view

admin.site.unregister(Client)


@admin.register(Client)
class ClientAdmin(AccountsClientAdmin):
    client_block = staticmethod(services.client_block)
    client_block_with_linked = staticmethod(services.client_block_with_linked)
    client_terminate = staticmethod(services.client_terminate)

    def get_urls(self):
        return [path("spot-checks/", self.admin_site.admin_view(self.spot_checks_view),
                     name="accounts_client_spot_checks")] + super().get_urls()

    def spot_checks_view(self, request):
        """R-CMP-08: a random sample of each client's recent texts, with one-click block of the
        text, its campaign or the account."""
        return spot_checks_view(request, model_admin=self)


# ---- complaints (R-CMP-09) --------------------------------------------------------------------

class OverdueFilter(admin.SimpleListFilter):
    title = _("answer")
    parameter_name = "answer"

    def lookups(self, request, model_admin):
        return [("overdue", _("Overdue (open past its answer day)")), ("waiting", _("Waiting, in time"))]

    def queryset(self, request, queryset):
        today = kyiv_date()
        if self.value() == "overdue":
            return queryset.filter(status=Complaint.Status.OPEN, answer_due_on__lt=today)
        if self.value() == "waiting":
            return queryset.filter(status=Complaint.Status.OPEN, answer_due_on__gte=today)
        return queryset


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ("short_id", "client", "source", "received_at", "answer_due_on", "answer_state", "status",
                    "decision", "message_count")
    list_filter = (OverdueFilter, "status", "decision", "source")
    list_select_related = ("client",)
    search_fields = ("client__name", "subject", "complainant")
    date_hierarchy = "received_at"
    fields = ("public_id", "client", "source", "complainant", "complainant_contact", "subject", "message_links",
              "received_at", "answer_due_on", "notified_email", "overdue_flagged_at", "status", "answer",
              "answered_at", "answered_by", "decision", "decision_note", "penalty_messages", "decided_at",
              "decided_by", "recorded_by", "staff_actions")
    readonly_fields = fields

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_messages=Count("messages", distinct=True))

    @admin.display(description=_("Id"))
    def short_id(self, obj):
        return str(obj.public_id)[:8]

    @admin.display(description=_("Messages"), ordering="n_messages")
    def message_count(self, obj):
        return obj.n_messages

    @admin.display(description=_("Answer"))
    def answer_state(self, obj):
        if obj.answered_at:
            late = kyiv_date(obj.answered_at) > obj.answer_due_on
            return gettext("answered late") if late else gettext("answered")
        if obj.status == Complaint.Status.OPEN and complaint_is_overdue(obj):
            return format_html('<strong style="color:#b3261e">{}</strong>', gettext("OVERDUE"))
        return "—" if obj.status == Complaint.Status.RESOLVED else gettext("waiting")

    @admin.display(description=_("Messages"))
    def message_links(self, obj):
        rows = list(obj.messages.order_by("created_at", "id")[:30])
        total = obj.messages.count()
        items = format_html_join(mark_safe("<br>"), '<a href="{}">{}</a> {} · {} · {} · {}', (
            (reverse("admin:messaging_message_change", args=[m.pk]), str(m.public_id)[:8],
             timezone.localtime(m.created_at).strftime("%d.%m.%Y %H:%M"), m.recipient, m.sender,
             m.text[:80]) for m in rows))
        more = gettext(" … and %(n)s more") % {"n": total - len(rows)} if total > len(rows) else ""
        return format_html("{}{}", items, more)

    @admin.display(description=_("Decide"))
    def staff_actions(self, obj):
        if not obj.pk or obj.status == Complaint.Status.RESOLVED:
            return "—"
        links = [("lifecycle_complaint_dismiss", gettext("Dismiss…")), ("lifecycle_complaint_penalize", gettext("Penalize…")),
                 ("lifecycle_complaint_block", gettext("Block the account…"))]
        return format_html_join(" ", '<a class="button" href="{}">{}</a>',
                                ((reverse(f"admin:{name}", args=[obj.pk]), label) for name, label in links))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("record/", view(self.record_view), name="lifecycle_complaint_record"),
            path("<int:complaint_id>/dismiss/", view(self.dismiss_view), name="lifecycle_complaint_dismiss"),
            path("<int:complaint_id>/penalize/", view(self.penalize_view), name="lifecycle_complaint_penalize"),
            path("<int:complaint_id>/block/", view(self.block_view), name="lifecycle_complaint_block"),
        ] + super().get_urls()

    def has_add_permission(self, request):
        return request.user.is_staff

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:lifecycle_complaint_record")

    def record_view(self, request):
        def perform(data):
            complaint = complaint_record(
                client=data["client"], source=data["source"], subject=data["subject"],
                complainant=data["complainant"], complainant_contact=data["complainant_contact"],
                public_ids=data["message_ids"], recipient=data["recipient"], date_from=data["date_from"],
                date_to=data["date_to"], actor=request.user)
            return gettext("Complaint recorded against %(n)s message(s) of %(client)s; the client is notified and "
                           "answers by %(due)s.") % {"n": complaint.messages.count(), "client": complaint.client,
                                                     "due": f"{complaint.answer_due_on:%d.%m.%Y}"}

        return staff_form_view(
            request, admin_site=self.admin_site, form_class=ComplaintRecordForm, title=gettext("Record a complaint"),
            intro=gettext("A complaint from an operator, a recipient or a third party against a client's messages: "
                          "name them by their ids, or by a recipient and the days they were sent. The client is "
                          "emailed and sees it on the website at once, and answers within 2 business days."),
            target=gettext("Complaints"), back_url=reverse("admin:lifecycle_complaint_changelist"),
            submit_label=gettext("Record and notify the client"), perform=perform)

    def _decide(self, request, complaint_id, *, form_class, title, intro, submit, perform, initial=None):
        complaint = get_object_or_404(Complaint.objects.select_related("client"), pk=complaint_id)
        start = initial(complaint) if initial else None
        return staff_form_view(
            request, admin_site=self.admin_site, form_class=lambda data: form_class(data, initial=start),
            title=f"{title}: {complaint}",
            intro=intro + "\n\n" + (gettext("The client's answer (%(at)s): %(answer)s") % {
                "at": f"{timezone.localtime(complaint.answered_at):%d.%m.%Y %H:%M}", "answer": complaint.answer}
                if complaint.answered_at else gettext("The client has not answered.")),
            target=str(complaint), back_url=reverse("admin:lifecycle_complaint_change", args=[complaint.pk]),
            submit_label=submit, perform=lambda data: perform(complaint, data))

    def dismiss_view(self, request, complaint_id):
        def perform(complaint, data):
            complaint_dismiss(complaint=complaint, note=data["note"], actor=request.user)
            return gettext("%(complaint)s dismissed; the client is told by email.") % {"complaint": complaint}

        return self._decide(request, complaint_id, form_class=DecisionForm, title=pgettext("complaint", "Dismiss"),
                            submit=pgettext("complaint", "Dismiss"),
                            intro=gettext("The complaint is unfounded: nothing is charged, the account stays as it is."),
                            perform=perform)

    def penalize_view(self, request, complaint_id):
        def perform(complaint, data):
            complaint_penalize(complaint=complaint, note=data["note"], messages=data["messages"], actor=request.user)
            return gettext("%(complaint)s: penalty charged for %(n)s message(s); the client is told by email.") % {
                "complaint": complaint, "n": data["messages"]}

        return self._decide(request, complaint_id, form_class=PenaltyForm, title=gettext("Penalize"),
                            submit=gettext("Charge the penalty"),
                            intro=gettext("A penalty per violating message (R-BILL-11) is debited from the client's "
                                          "wallet, even beyond its balance."), perform=perform,
                            initial=lambda complaint: {"messages": complaint.messages.count()})

    def block_view(self, request, complaint_id):
        def perform(complaint, data):
            complaint_block(complaint=complaint, note=data["note"], actor=request.user)
            return gettext("%(complaint)s: the account %(client)s is blocked; the client is notified by SMS and email.") % {
                "complaint": complaint, "client": complaint.client}

        return self._decide(request, complaint_id, form_class=DecisionForm, title=gettext("Block the account"),
                            submit=gettext("Block the account"),
                            intro=gettext("The account stops sending at once; the client sees the reason and may send "
                                          "a written explanation within 2 calendar days."), perform=perform)


# --- announcements (R-SVC-01, R-SVC-02, R-BILL-13) ---------------------------------------------------

@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "starts_at", "ends_at", "published_state", "emailed_at")
    list_filter = ("kind",)
    search_fields = ("title", "body")
    fields = ("kind", "title", "body", "starts_at", "ends_at", "tariff", "published_at", "published_by",
              "emailed_at")
    readonly_fields = ("published_at", "published_by", "emailed_at")
    actions = ["publish_selected"]
    change_form_template = "admin/lifecycle/announcement/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.published_at is not None:
            return (*self.readonly_fields, "kind", "tariff")
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return (obj is None or obj.published_at is None) and super().has_delete_permission(request, obj)

    @admin.display(description=_("published"))
    def published_state(self, obj):
        return f"{timezone.localtime(obj.published_at):%d.%m.%Y %H:%M}" if obj.published_at else gettext("draft")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(code="lifecycle.announcement.changed" if change else "lifecycle.announcement.created",
                     actor=request.user, target=str(obj.public_id), details={"fields": form.changed_data})

    def _publish(self, request, obj) -> bool:
        try:
            announcement_publish(announcement_id=obj.pk, actor=request.user)
        except ApplicationError as exc:
            self.message_user(request, f"{obj}: {exc.detail}", messages.ERROR)
            return False
        self.message_user(request, gettext("Published and emailed to clients: %(a)s") % {"a": obj}, messages.SUCCESS)
        return True

    @admin.action(description=_("Publish (banner, Announcements page, API, email)"))
    def publish_selected(self, request, queryset):
        for obj in queryset.filter(published_at__isnull=True):
            self._publish(request, obj)

    def get_urls(self):
        return [path("<int:pk>/publish/", self.admin_site.admin_view(self.publish_view),
                     name="lifecycle_announcement_publish")] + super().get_urls()

    def publish_view(self, request, pk):
        obj = get_object_or_404(Announcement, pk=pk)
        if request.method == "POST":
            self._publish(request, obj)
        return redirect(reverse("admin:lifecycle_announcement_change", args=[pk]))
