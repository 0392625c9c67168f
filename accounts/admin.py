from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from smsportal.admin_forms import staff_form_view
from smsportal.errors import ApplicationError

from .mfa import admin_view_gate
from .models import AccountsSettings, ApiKey, AuditEvent, Client, ClientBlock, Invitation, User
from .selectors import clients_linked_to
from .services import (api_key_rate_set, audit_record, client_contract_sign, client_flags_set, client_legal_update,
                       client_unblock, tax_code_problem)
from .services.legal import FLAGS, FLAGS_NEED_CONTRACT, LEGAL_FIELDS

# MFA is required for staff: a staff session that logged in without an authenticator is sent to
# set one up before any admin page opens (accounts/mfa.py).
admin.site.admin_view = admin_view_gate(admin.site.admin_view)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class UserInline(admin.TabularInline):
    model = User
    fields = ("email", "first_name", "last_name", "role", "phone", "phone_verified", "is_active", "last_login")
    readonly_fields = ("email", "last_login", "phone", "phone_verified")
    extra = 0
    can_delete = False
    show_change_link = True


class BlockInline(admin.TabularInline):
    model = ClientBlock
    fields = ("kind", "reason", "blocked_at", "blocked_by", "explanation_due_at", "explanation", "lifted_at",
              "lifted_by", "lift_note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class BlockForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
                             help_text="The client sees it on every page and gets it by SMS and email at once.")


class UnblockForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
                           help_text="For a dormant account: how the owner was verified (required).")


class TerminateForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))
    at = forms.DateTimeField(required=False, help_text="Empty: now. A later date schedules it.",
                             widget=forms.DateTimeInput(attrs={"placeholder": "YYYY-MM-DD HH:MM"}))


class ContractForm(forms.Form):
    number = forms.CharField(required=False, max_length=50)
    signed_on = forms.DateField(required=False, help_text="Empty: today.",
                                widget=forms.DateInput(attrs={"placeholder": "YYYY-MM-DD"}))


class ClientAdminForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = "__all__"

    def clean(self):
        data = super().clean()
        code = data.get("tax_code")
        if code and (problem := tax_code_problem(code, data.get("legal_form", ""))):
            self.add_error("tax_code", problem)
        signed = self.instance.contract_signed if self.instance.pk else False
        for flag in FLAGS_NEED_CONTRACT:
            if data.get(flag) and not getattr(self.instance, flag, False) and not signed:
                self.add_error(flag, "Needs a signed contract first.")
        return data


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    # Block and termination stop the account in every app: their services live above the apps,
    # and lifecycle/admin.py registers this admin again with them.
    client_block = client_block_with_linked = client_terminate = None

    form = ClientAdminForm
    list_display = ("name", "status", "contract_status", "tax_code", "flags", "review_flag", "balance", "created_at")
    list_filter = ("status", "contract_status", "pay_for_delivered", "round_the_clock_approved", "viber_enabled",
                   ("review_flag", admin.EmptyFieldListFilter), "legal_form")
    search_fields = ("name", "legal_name", "tax_code", "users__email", "users__phone")
    readonly_fields = ("public_id", "status", "status_reason", "contract_status", "contract_requested_at",
                       "contract_signed_at", "contract_number", "termination_requested_at", "terminates_at",
                       "terminated_at", "termination_reason", "data_destroyed_at", "created_at", "updated_at",
                       "balance", "linked_accounts", "staff_actions", "is_system", "overdraft", "offer_version",
                       "offer_accepted_at")
    fieldsets = (
        (None, {"fields": ("name", "public_id", "status", "status_reason", "staff_actions", "balance", "is_system")}),
        ("One person, one account (R-ACC-02)", {"fields": ("review_flag", "linked_accounts")}),
        ("Legal details (R-ACC-10)", {"fields": LEGAL_FIELDS}),
        ("Contract", {"fields": ("contract_status", "contract_number", "contract_requested_at", "contract_signed_at",
                                 "offer_version", "offer_accepted_at")}),
        ("Staff flags", {"fields": (*FLAGS, "overdraft")}),
        ("Termination (R-ACC-08)", {"fields": ("termination_requested_at", "terminates_at", "terminated_at",
                                               "termination_reason", "data_destroyed_at")}),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )
    inlines = [UserInline, BlockInline]
    actions = ["block_with_linked"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("wallet")

    @admin.display(description="Balance")
    def balance(self, obj):
        wallet = getattr(obj, "wallet", None)
        return wallet.balance if wallet else "—"

    @admin.display(description="Overdraft limit")
    def overdraft(self, obj):
        """R-ACC-10 / R-BILL-09: set on the wallet (billing), approved by staff with a reason."""
        wallet = getattr(obj, "wallet", None) if obj.pk else None
        if wallet is None:
            return "—"
        return format_html('{} <a class="button" href="{}">Change…</a>', wallet.overdraft_limit,
                           reverse("admin:billing_wallet_overdraft", args=[wallet.pk]))

    @admin.display(description="Flags")
    def flags(self, obj):
        names = [label for flag, label in (("pay_for_delivered", "delivered-only"), ("round_the_clock_approved", "24h"),
                                           ("viber_enabled", "Viber")) if getattr(obj, flag)]
        return ", ".join(names) or "—"

    @admin.display(description="Linked accounts (same phone or legal code)")
    def linked_accounts(self, obj):
        if not obj.pk:
            return "—"
        linked = clients_linked_to(obj)
        if not linked:
            return "none"
        items = format_html_join(", ", '<a href="{}">{}</a> ({})', (
            (reverse("admin:accounts_client_change", args=[c.pk]), c.name, c.get_status_display()) for c in linked))
        block = format_html(' <a class="button" href="{}">Block all…</a>',
                            reverse("admin:accounts_client_block_linked", args=[obj.pk]))
        return format_html("{}{}", items, block)

    @admin.display(description="Actions")
    def staff_actions(self, obj):
        if not obj.pk:
            return "—"
        links = []
        if obj.status in (Client.Status.ACTIVE,):
            links.append(("accounts_client_block", "Block…"))
        if obj.status in (Client.Status.BLOCKED, Client.Status.DORMANT):
            links.append(("accounts_client_unblock", "Unblock…"))
        if obj.contract_status != Client.Contract.SIGNED:
            links.append(("accounts_client_contract", "Contract signed…"))
        if obj.status != Client.Status.TERMINATED:
            links.append(("accounts_client_terminate", "Terminate…"))
        return format_html_join(" ", '<a class="button" href="{}">{}</a>',
                                ((reverse(f"admin:{name}", args=[obj.pk]), label) for name, label in links))

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        before = Client.objects.get(pk=obj.pk)
        if before.name != obj.name or before.review_flag != obj.review_flag:
            Client.objects.filter(pk=obj.pk).update(name=obj.name, review_flag=obj.review_flag)
            audit_record(code="accounts.client.updated", actor=request.user, client=obj, target=str(obj.public_id),
                         details={"name": obj.name, "review_flag": obj.review_flag})
        try:
            client_legal_update(client=obj, data={f: getattr(obj, f) for f in LEGAL_FIELDS}, actor=request.user)
            client_flags_set(client=obj, actor=request.user, **{f: getattr(obj, f) for f in FLAGS})
        except ApplicationError as exc:
            self.message_user(request, exc.detail, messages.ERROR)

    @admin.action(description="Block selected accounts with all their linked accounts…")
    def block_with_linked(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choose one account.", messages.WARNING)
            return None
        return redirect("admin:accounts_client_block_linked", queryset.first().pk)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:client_id>/block/", view(self.block_view), name="accounts_client_block"),
            path("<int:client_id>/block-linked/", view(self.block_linked_view), name="accounts_client_block_linked"),
            path("<int:client_id>/unblock/", view(self.unblock_view), name="accounts_client_unblock"),
            path("<int:client_id>/terminate/", view(self.terminate_view), name="accounts_client_terminate"),
            path("<int:client_id>/contract/", view(self.contract_view), name="accounts_client_contract"),
        ] + super().get_urls()

    def _form(self, request, client, *, form_class, title, intro, submit, perform):
        return staff_form_view(request, admin_site=self.admin_site, form_class=form_class, title=title, intro=intro,
                               target=str(client), back_url=reverse("admin:accounts_client_change", args=[client.pk]),
                               submit_label=submit, perform=perform)

    def block_view(self, request, client_id):
        client = get_object_or_404(Client, pk=client_id)

        def perform(data):
            self.client_block(client=client, reason=data["reason"], actor=request.user)
            return f"{client} blocked; the client is notified by SMS and email."

        return self._form(request, client, form_class=BlockForm, title=f"Block {client}", submit="Block",
                          intro="The client can still log in and sees the reason; sending stops at once. They may send "
                                "a written explanation within 2 calendar days.", perform=perform)

    def block_linked_view(self, request, client_id):
        client = get_object_or_404(Client, pk=client_id)
        linked = clients_linked_to(client)

        def perform(data):
            blocks = self.client_block_with_linked(client=client, reason=data["reason"], actor=request.user)
            return f"Blocked {len(blocks)} account(s)."

        names = ", ".join(c.name for c in linked) or "none"
        return self._form(request, client, form_class=BlockForm, title=f"Block {client} and linked accounts",
                          submit="Block all", intro=f"Also blocks the accounts sharing its phone or legal code: {names}.",
                          perform=perform)

    def unblock_view(self, request, client_id):
        client = get_object_or_404(Client, pk=client_id)
        block = client.open_block

        def perform(data):
            client_unblock(client=client, note=data["note"], actor=request.user)
            return f"{client} unblocked."

        intro = f"Blocked: {client.status_reason}"
        if block and block.explanation:
            intro += f"\nThe client's explanation ({timezone.localtime(block.explanation_at):%d.%m.%Y %H:%M}): " \
                     f"{block.explanation}"
        return self._form(request, client, form_class=UnblockForm, title=f"Unblock {client}", submit="Unblock",
                          intro=intro, perform=perform)

    def terminate_view(self, request, client_id):
        client = get_object_or_404(Client, pk=client_id)

        def perform(data):
            self.client_terminate(client=client, reason=data["reason"], at=data.get("at"), actor=request.user)
            return f"{client}: termination recorded."

        return self._form(request, client, form_class=TerminateForm, title=f"Terminate {client}", submit="Terminate",
                          intro="The account stops sending and its API keys are revoked; personal data and recipient "
                                "lists are destroyed a year later.", perform=perform)

    def contract_view(self, request, client_id):
        client = get_object_or_404(Client, pk=client_id)

        def perform(data):
            signed_on = data.get("signed_on")
            at = timezone.make_aware(timezone.datetime.combine(signed_on, timezone.datetime.min.time())) \
                if signed_on else None
            client_contract_sign(client=client, number=data.get("number", ""), signed_at=at, actor=request.user)
            return f"{client}: contract signed."

        return self._form(request, client, form_class=ContractForm, title=f"Contract of {client} signed",
                          submit="Mark signed", intro="Both parties signed the contract.", perform=perform)


@admin.register(ClientBlock)
class ClientBlockAdmin(ReadOnlyAdmin):
    list_display = ("client", "kind", "reason", "blocked_at", "explanation_due_at", "has_explanation", "lifted_at")
    list_filter = ("kind", ("lifted_at", admin.EmptyFieldListFilter), ("explanation", admin.EmptyFieldListFilter))
    search_fields = ("client__name", "reason", "explanation")
    date_hierarchy = "blocked_at"

    @admin.display(boolean=True, description="Explanation")
    def has_explanation(self, obj):
        return bool(obj.explanation)


@admin.register(AccountsSettings)
class AccountsSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "duplicate_signups", "updated_at")

    def has_add_permission(self, request):
        return not AccountsSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "client", "role", "phone", "phone_verified", "is_staff", "is_active", "last_login")
    list_select_related = ("client",)  # nullable: the changelist's automatic select_related skips it
    list_filter = ("is_staff", "is_active", "role", "phone_verified")
    search_fields = ("email", "first_name", "last_name", "client__name", "phone")
    autocomplete_fields = ("client",)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "client", "role", "phone", "phone_verified")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    """Read-only but for the key's own rate limit (staff agree a higher one with an integrator)."""

    list_display = ("name", "prefix", "client", "created_at", "last_used_at", "allowed_ips", "rate_limit",
                    "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "name", "client__name")
    fields = ("name", "prefix", "client", "created_by", "created_at", "last_used_at", "revoked_at", "allowed_ips",
              "rate_limit")
    readonly_fields = ("name", "prefix", "client", "created_by", "created_at", "last_used_at", "revoked_at",
                       "allowed_ips")

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("accounts.change_apikey")

    def save_model(self, request, obj, form, change):
        api_key_rate_set(key_id=obj.pk, rate_limit=form.cleaned_data.get("rate_limit", ""), actor=request.user)


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ("email", "client", "role", "invited_by", "created_at", "expires_at", "accepted_at", "revoked_at")
    list_select_related = ("client", "invited_by")
    search_fields = ("email", "client__name")
    exclude = ("token_hash",)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "code", "actor", "client", "target")
    list_select_related = ("actor", "client")  # both nullable: not followed by the automatic select_related
    list_filter = ("code",)
    search_fields = ("code", "target", "client__name", "actor__email")
    date_hierarchy = "created_at"
