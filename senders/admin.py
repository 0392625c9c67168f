from django import forms
from django.contrib import admin, messages
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from smsportal.admin_forms import staff_form_view
from smsportal.errors import ApplicationError

from .models import SenderName
from .services import sender_name_approve, sender_name_reject


class RejectForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
                             help_text="The client sees this reason.")


@admin.register(SenderName)
class SenderNameAdmin(admin.ModelAdmin):
    list_display = ("name", "client", "status", "waiting", "decided_by", "decided_at", "reject_link")
    list_filter = ("status",)
    search_fields = ("name", "client__name")
    ordering = ("created_at",)
    readonly_fields = ("client", "name", "status", "rejection_reason", "decided_by", "decided_at", "created_at")
    actions = ["approve_selected"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Waiting")
    def waiting(self, obj):
        if obj.status != SenderName.Status.PENDING:
            return "—"
        minutes = int((timezone.now() - obj.created_at).total_seconds() // 60)
        return f"{minutes // 60} h {minutes % 60} min"

    @admin.display(description="")
    def reject_link(self, obj):
        if obj.status == SenderName.Status.REJECTED:
            return ""
        return format_html('<a class="button" href="{}">Reject…</a>', reverse("admin:senders_sendername_reject", args=[obj.pk]))

    @admin.action(description="Approve selected sender names")
    def approve_selected(self, request, queryset):
        for sender in queryset:
            try:
                sender_name_approve(sender_id=sender.pk, actor=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"{sender}: {exc.detail}", messages.ERROR)
        self.message_user(request, f"Approved {queryset.count()} sender name(s).", messages.SUCCESS)

    def get_urls(self):
        return [path("<int:sender_id>/reject/", self.admin_site.admin_view(self.reject_view),
                     name="senders_sendername_reject")] + super().get_urls()

    def reject_view(self, request, sender_id):
        sender = SenderName.objects.select_related("client").get(pk=sender_id)

        def perform(data):
            sender_name_reject(sender_id=sender.pk, reason=data["reason"], actor=request.user)
            return f"Sender name {sender.name} rejected."

        return staff_form_view(
            request, admin_site=self.admin_site, form_class=RejectForm, title=f"Reject {sender.name}",
            intro=f"Reject the sender name '{sender.name}' of {sender.client}.", target=str(sender),
            back_url=reverse("admin:senders_sendername_changelist"), submit_label="Reject", perform=perform)
