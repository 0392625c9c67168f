from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import ApiKey, AuditEvent, Client, User


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class UserInline(admin.TabularInline):
    model = User
    fields = ("email", "first_name", "last_name", "role", "is_active", "last_login")
    readonly_fields = ("email", "last_login")
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "balance", "created_at")
    list_filter = ("status",)
    search_fields = ("name", "users__email")
    readonly_fields = ("public_id", "created_at", "updated_at", "balance")
    inlines = [UserInline]

    @admin.display(description="Balance")
    def balance(self, obj):
        wallet = getattr(obj, "wallet", None)
        return wallet.balance if wallet else "—"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("wallet")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "client", "role", "is_staff", "is_active", "last_login")
    list_filter = ("is_staff", "is_active", "role")
    search_fields = ("email", "first_name", "last_name", "client__name")
    autocomplete_fields = ("client",)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "client", "role")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = ("name", "prefix", "client", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "name", "client__name")
    exclude = ("key_hash",)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "code", "actor", "client", "target")
    list_filter = ("code",)
    search_fields = ("code", "target", "client__name", "actor__email")
    date_hierarchy = "created_at"
