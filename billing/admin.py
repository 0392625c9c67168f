from django import forms
from django.contrib import admin
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.admin import ReadOnlyAdmin
from smsportal.admin_forms import staff_form_view

from .models import LedgerEntry, Tariff, Wallet
from .services import wallet_topup


class TopupForm(forms.Form):
    amount = forms.DecimalField(label="Amount, UAH", min_value=1, decimal_places=0,
                                help_text="Whole hryvnias only (R-BILL-03).")
    reference = forms.CharField(max_length=100, help_text="Payment reference (bank statement line, invoice no.).")


class LedgerEntryInline(admin.TabularInline):
    model = LedgerEntry
    fields = ("created_at", "kind", "amount", "balance_after", "description", "idempotency_key", "created_by")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-created_at", "-id")
    max_num = 0

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Wallet)
class WalletAdmin(admin.ModelAdmin):
    list_display = ("client", "balance", "updated_at", "topup_link")
    search_fields = ("client__name",)
    readonly_fields = ("client", "balance", "created_at", "updated_at", "topup_link")
    inlines = [LedgerEntryInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="")
    def topup_link(self, obj):
        return format_html('<a class="button" href="{}">Top up</a>', reverse("admin:billing_wallet_topup", args=[obj.pk]))

    def get_urls(self):
        return [path("<int:wallet_id>/topup/", self.admin_site.admin_view(self.topup_view),
                     name="billing_wallet_topup")] + super().get_urls()

    def topup_view(self, request, wallet_id):
        wallet = Wallet.objects.select_related("client").get(pk=wallet_id)
        def perform(data):
            entry = wallet_topup(client=wallet.client, amount=data["amount"], actor=request.user,
                                 key=f"staff:{data['reference']}:{data['amount']}",
                                 description=f"Payment {data['reference']}")
            return f"{wallet.client}: credited {entry.amount}; balance {entry.balance_after}."

        return staff_form_view(
            request, admin_site=self.admin_site, form_class=TopupForm, title="Top up",
            intro=f"Credit a received payment to {wallet.client} (balance {wallet.balance}). "
                  "The same reference and amount are credited only once.",
            target=str(wallet), back_url=reverse("admin:billing_wallet_change", args=[wallet.pk]),
            submit_label="Credit the wallet", perform=perform)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "wallet", "kind", "amount", "balance_after", "description")
    list_filter = ("kind",)
    search_fields = ("wallet__client__name", "idempotency_key", "description")
    date_hierarchy = "created_at"


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    list_display = ("name", "valid_from", "sms_segment_price")
