"""Staff work on billing. Every button and action calls a service (never `queryset.update()`),
takes a reason where money moves, and is audited (`accounts.AuditEvent`, codes `billing.*`)."""
import uuid
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core import signing
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from accounts.admin import ReadOnlyAdmin
from accounts.services import audit_record
from smsportal.errors import ApplicationError
from smsportal.money import money_text

from .documents import act_html, act_pdf, invoice_html, invoice_pdf
from .models import (BaseRate, BillingConfig, DiscountRate, ExchangeRate, GracePeriod, Invoice, LedgerEntry,
                     OverdraftPenalty, Payment, RefundRequest, RepricedMessage, ServiceAct, Tariff, TariffPrice,
                     TopupStep, Wallet)
from .services import (StatementInvalid, bank_statement_apply, bank_statement_preview, invoice_payment_record,
                       previous_month, service_acts_generate)
from .services.payments import statement_rows_dump, statement_rows_load
from .services.rates import rate_deviation
from .services.refunds import refund_is_overdue, refund_request_mark_paid, refund_requests_overdue
from .services import (base_rate_set, billing_config_get, exchange_rates_load, invoice_cancel, invoice_mark_paid,
                       overdraft_due_date, tariff_copy, wallet_adjust, wallet_is_overdue, wallet_overdraft_set,
                       wallet_payout, wallet_penalty, wallet_refundable, wallet_topup, wallet_withhold)


# --- forms of the staff actions ------------------------------------------------------------------

def _token():
    return uuid.uuid4().hex


class _KeyedForm(forms.Form):
    """A hidden one-time token makes a double-submitted form move money once (the ledger key)."""

    token = forms.CharField(widget=forms.HiddenInput, initial=_token)


class TopupForm(forms.Form):
    amount = forms.DecimalField(label="Amount, UAH", min_value=1, decimal_places=0,
                                help_text="Whole hryvnias only (R-BILL-03).")
    reference = forms.CharField(max_length=100, help_text="Payment reference (bank statement line, invoice no.).")


class AdjustForm(_KeyedForm):
    amount = forms.DecimalField(label="Amount, UAH", max_digits=15, decimal_places=4,
                                help_text="Positive credits the wallet, negative debits it "
                                          "(a debit spends the bonus first).")
    reason = forms.CharField(max_length=250, help_text="Required; shown to the client in the statement.")


class PenaltyForm(_KeyedForm):
    messages_count = forms.IntegerField(label="Violating messages", min_value=1, initial=1)
    amount = forms.DecimalField(label="Total amount, UAH", required=False, min_value=Decimal("0.01"),
                                decimal_places=2, help_text="Leave empty for messages × the penalty per message "
                                                            "in billing settings (T 6.14: 100 UAH).")
    reason = forms.CharField(max_length=250, help_text="Required: which clause, which messages.")


class WithholdForm(_KeyedForm):
    reason = forms.CharField(max_length=250, help_text="Required: the confirmed violation (T 6.11, 6.12).")
    confirm = forms.BooleanField(label="I confirm the violation is confirmed and the balance is withheld")


class PayoutForm(_KeyedForm):
    amount = forms.DecimalField(label="Amount, UAH", required=False, min_value=Decimal("0.01"), decimal_places=4,
                                help_text="Leave empty to pay out everything refundable.")
    reference = forms.CharField(max_length=100, help_text="The bank transfer's reference.")
    reason = forms.CharField(max_length=250, help_text="Required: the client's request (date, letter no.).")
    forfeit_bonus = forms.BooleanField(label="Write off the unspent bonus (the account is closing)", required=False,
                                       initial=True)


class OverdraftForm(forms.Form):
    limit = forms.DecimalField(label="Overdraft limit, UAH", min_value=0, decimal_places=2,
                               help_text="0 withdraws the overdraft. Debt must be repaid within the term in "
                                         "billing settings (10 calendar days, T 5.5).")
    reason = forms.CharField(max_length=250, help_text="Required: who approved it and why.")


class MarkPaidForm(forms.Form):
    reference = forms.CharField(max_length=100, help_text="The bank statement line of the payment.")


class RecordPaymentForm(forms.Form):
    amount = forms.DecimalField(label="Amount received, UAH", min_value=Decimal("0.01"), max_digits=12,
                                decimal_places=2, help_text="What the bank statement shows; it may differ from the "
                                                            "invoice. The wallet is credited with exactly this.")
    paid_on = forms.DateField(label="Value date", help_text="The date in the bank statement. Format YYYY-MM-DD.")
    reference = forms.CharField(max_length=120, help_text="The bank's reference of the payment: a payment with the "
                                                          "same reference is never credited twice.")


class BankStatementForm(forms.Form):
    file = forms.FileField(label="Bank statement CSV",
                           help_text="Columns: date, amount, payer EDRPOU, purpose (optional: reference), with a "
                                     "header row; comma or semicolon; UTF-8 or Windows-1251. Rows are matched to "
                                     "invoices by the invoice number in the purpose.")


class ActsGenerateForm(forms.Form):
    month = forms.DateField(label="Month", input_formats=["%Y-%m"],
                            help_text="YYYY-MM, a month that has ended. Clients who already have the month's act "
                                      "keep it.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].initial = f"{previous_month():%Y-%m}"


STATEMENT_SALT = "billing.statement.preview"
STATEMENT_MAX_AGE = 3600


class RepriceRateForm(forms.Form):
    reason = forms.CharField(max_length=250, help_text="Required: e.g. the NBU rate moved 2.3 % from the base.")


class NbuUploadForm(forms.Form):
    file = forms.FileField(label="NBU JSON file", help_text='As served by bank.gov.ua: [{"cc": "EUR", "rate": 45.12, '
                                                            '"exchangedate": "24.11.2026", …}]')


def _action_view(request, *, admin_site, form_class, title, intro, target, back_url, submit_label, perform,
                 files=False):
    """Like `smsportal.admin_forms.staff_form_view`, with hidden fields and uploads: shows the
    form; on a valid POST calls `perform(cleaned_data)` (a service call) and returns to
    `back_url`; a service's ApplicationError becomes a form error."""
    form = form_class(request.POST or None, request.FILES or None) if files else form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = perform(form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.detail)
        else:
            messages.success(request, result)
            return redirect(back_url)
    context = {**admin_site.each_context(request), "form": form, "title": title, "intro": intro, "target": target,
               "back_url": back_url, "submit_label": submit_label, "multipart": files}
    return TemplateResponse(request, "admin/billing/action_form.html", context)


# --- billing settings ------------------------------------------------------------------------------

@admin.register(BillingConfig)
class BillingConfigAdmin(admin.ModelAdmin):
    fieldsets = (
        ("Registration bonus (R-BILL-05)", {"fields": ("registration_bonus",)}),
        ("Invoices (R-BILL-02)", {"fields": ("provider_name", "provider_requisites", "invoice_prefix",
                                             "invoice_due_days")}),
        ("Penalties and overdraft", {"fields": ("penalty_per_message", "overdraft_repay_days")}),
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        return redirect("admin:billing_billingconfig_change", billing_config_get().pk)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(code="billing.config.changed", actor=request.user, target="billing settings",
                     details={f: str(form.cleaned_data.get(f)) for f in form.changed_data})


# --- wallets -------------------------------------------------------------------------------------

INLINE_ENTRIES = 100


class LedgerEntryInline(admin.TabularInline):
    """The newest entries (all of them: "Ledger entries", filtered by the wallet)."""

    model = LedgerEntry
    fk_name = "wallet"
    fields = ("created_at", "kind", "amount", "bonus_delta", "held_delta", "balance_after", "description",
              "idempotency_key", "created_by")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-created_at", "-id")
    max_num = 0
    verbose_name_plural = f"ledger entries (the newest {INLINE_ENTRIES})"
    shown = INLINE_ENTRIES

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        wallet_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
        if wallet_id:
            newest = (LedgerEntry.objects.filter(wallet_id=wallet_id).order_by("-id")
                      .values_list("id", flat=True)[:self.shown])
            qs = qs.filter(pk__in=list(newest))
        return qs.select_related("created_by")


class GracePeriodInline(admin.TabularInline):
    model = GracePeriod
    fields = ("step", "starts_at", "ends_at", "valid_through", "tariff", "topup")
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0
    verbose_name_plural = "grace periods (R-BILL-04)"

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="valid through (Kyiv)")
    def valid_through(self, obj):
        return obj.valid_through


WALLET_ACTIONS = [
    ("topup", "Top up"), ("adjust", "Adjust"), ("penalty", "Penalty"), ("withhold", "Withhold balance"),
    ("payout", "Refund payout"), ("overdraft", "Overdraft limit"),
]


@admin.register(Wallet)
class WalletAdmin(admin.ModelAdmin):
    list_display = ("client", "balance", "bonus", "held", "overdraft_limit", "available_display", "debt_display",
                    "updated_at", "topup_link")
    search_fields = ("client__name",)
    list_select_related = ("client",)
    readonly_fields = ("client", "balance", "bonus", "held", "available_display", "refundable_display",
                       "overdraft_limit", "overdraft_approved_at", "overdraft_approved_by", "negative_since",
                       "debt_display", "created_at", "updated_at", "staff_actions", "all_entries")
    fields = readonly_fields
    inlines = [GracePeriodInline, LedgerEntryInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="available")
    def available_display(self, obj):
        return obj.available

    @admin.display(description="refundable (R-BILL-12)")
    def refundable_display(self, obj):
        return f"{money_text(wallet_refundable(obj))} UAH"

    @admin.display(description="debt")
    def debt_display(self, obj):
        if obj.balance.amount >= 0:
            return "—"
        due = overdraft_due_date(obj)
        state = "OVERDUE, sending stopped" if wallet_is_overdue(obj) else "due"
        return f"{obj.debt} ({state} by {due:%d.%m.%Y})"

    @admin.display(description="")
    def topup_link(self, obj):
        return format_html('<a class="button" href="{}">Top up</a>',
                           reverse("admin:billing_wallet_topup", args=[obj.pk]))

    @admin.display(description="statement")
    def all_entries(self, obj):
        return format_html('<a href="{}?wallet__id__exact={}">All {} ledger entries</a>',
                           reverse("admin:billing_ledgerentry_changelist"), obj.pk, obj.entries.count())

    @admin.display(description="staff actions")
    def staff_actions(self, obj):
        return format_html_join(" ", '<a class="button" href="{}">{}</a>', (
            (reverse(f"admin:billing_wallet_{name}", args=[obj.pk]), label) for name, label in WALLET_ACTIONS))

    def get_urls(self):
        views = {"topup": self.topup_view, "adjust": self.adjust_view, "penalty": self.penalty_view,
                 "withhold": self.withhold_view, "payout": self.payout_view, "overdraft": self.overdraft_view}
        return [path(f"<int:wallet_id>/{name}/", self.admin_site.admin_view(view), name=f"billing_wallet_{name}")
                for name, view in views.items()] + super().get_urls()

    def _form(self, request, wallet_id, *, form_class, title, intro, submit_label, perform):
        wallet = get_object_or_404(Wallet.objects.select_related("client"), pk=wallet_id)
        return _action_view(
            request, admin_site=self.admin_site, form_class=form_class, title=title, intro=intro(wallet),
            target=str(wallet),
            back_url=reverse("admin:billing_wallet_change", args=[wallet.pk]), submit_label=submit_label,
            perform=lambda data: perform(wallet, data))

    def topup_view(self, request, wallet_id):
        def perform(wallet, data):
            entry = wallet_topup(client=wallet.client, amount=data["amount"], actor=request.user,
                                 key=f"staff:{data['reference']}:{data['amount']}",
                                 description=f"Payment {data['reference']}")
            return f"{wallet.client}: credited {entry.amount}; balance {entry.balance_after}."

        return self._form(request, wallet_id, form_class=TopupForm, title="Top up", submit_label="Credit the wallet",
                          intro=lambda w: f"Credit a received payment to {w.client} (balance {w.balance}). "
                                          "The same reference and amount are credited only once. A top-up reaching "
                                          "step 2 or higher opens a grace period.", perform=perform)

    def adjust_view(self, request, wallet_id):
        def perform(wallet, data):
            entry = wallet_adjust(client=wallet.client, amount=data["amount"], reason=data["reason"],
                                  key=f"adjust:{data['token']}", actor=request.user)
            return f"{wallet.client}: adjusted by {entry.amount}; balance {entry.balance_after}."

        return self._form(request, wallet_id, form_class=AdjustForm, title="Adjust the balance",
                          submit_label="Record the adjustment", perform=perform,
                          intro=lambda w: f"A correction to {w.client}'s wallet (balance {w.balance}). "
                                          "It is a ledger entry the client sees, with your reason.")

    def penalty_view(self, request, wallet_id):
        per = billing_config_get().penalty_per_message

        def perform(wallet, data):
            entry = wallet_penalty(client=wallet.client, reason=data["reason"], key=f"penalty:{data['token']}",
                                   actor=request.user, messages=data["messages_count"], amount=data.get("amount"))
            return f"{wallet.client}: penalty {entry.amount}; balance {entry.balance_after}."

        return self._form(request, wallet_id, form_class=PenaltyForm, title="Penalty (R-BILL-11)",
                          submit_label="Debit the penalty", perform=perform,
                          intro=lambda w: f"Debit a penalty from {w.client} (balance {w.balance}); {per} per "
                                          "violating message by default. It is owed even beyond the balance.")

    def withhold_view(self, request, wallet_id):
        def perform(wallet, data):
            entry = wallet_withhold(client=wallet.client, reason=data["reason"], key=f"withhold:{data['token']}",
                                    actor=request.user)
            if entry is None:
                return f"{wallet.client}: nothing left to withhold."
            return f"{wallet.client}: withheld {money_text(-entry.amount.amount)} UAH."

        return self._form(request, wallet_id, form_class=WithholdForm, title="Withhold the balance (T 6.12)",
                          submit_label="Withhold", perform=perform,
                          intro=lambda w: f"On a confirmed serious violation, debit everything left on {w.client}'s "
                                          f"balance as a penalty: {money_text(max(w.balance.amount - w.held.amount, 0))} UAH "
                                          "now (money held for accepted messages stays).")

    def payout_view(self, request, wallet_id):
        def perform(wallet, data):
            entry = wallet_payout(client=wallet.client, reference=data["reference"], reason=data["reason"],
                                  key=f"payout:{data['token']}", actor=request.user, amount=data.get("amount"),
                                  forfeit_bonus=data.get("forfeit_bonus", False))
            return f"{wallet.client}: payout of {money_text(-entry.amount.amount)} UAH recorded."

        return self._form(request, wallet_id, form_class=PayoutForm, title="Refund payout (R-BILL-12)",
                          submit_label="Record the payout", perform=perform,
                          intro=lambda w: f"Record the bank transfer of {w.client}'s unused balance (within 10 days "
                                          f"of the request, T 6.7). Refundable now: {money_text(wallet_refundable(w))} UAH "
                                          f"(balance {w.balance.amount:.2f} − unspent bonus {w.bonus.amount:.2f} − "
                                          f"held {w.held.amount:.2f}). The bonus is never paid out.")

    def overdraft_view(self, request, wallet_id):
        def perform(wallet, data):
            w = wallet_overdraft_set(client=wallet.client, limit=data["limit"], reason=data["reason"],
                                     actor=request.user)
            return f"{wallet.client}: overdraft limit {w.overdraft_limit}."

        return self._form(request, wallet_id, form_class=OverdraftForm, title="Overdraft limit (R-BILL-09)",
                          submit_label="Save the limit", perform=perform,
                          intro=lambda w: f"{w.client} may spend down to minus this limit (now {w.overdraft_limit}). "
                                          "Only with the provider's approval (T 5.5).")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "wallet", "kind", "amount", "bonus_delta", "held_delta", "balance_after",
                    "description", "created_by")
    list_filter = ("kind",)
    search_fields = ("wallet__client__name", "idempotency_key", "description", "public_id")
    date_hierarchy = "created_at"
    list_select_related = ("wallet__client", "created_by")


@admin.register(GracePeriod)
class GracePeriodAdmin(ReadOnlyAdmin):
    list_display = ("wallet", "step", "starts_at", "ends_at", "tariff")
    list_select_related = ("wallet__client", "tariff")
    search_fields = ("wallet__client__name",)
    date_hierarchy = "starts_at"


# --- invoices --------------------------------------------------------------------------------------

@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ("number", "client", "amount", "paid_amount", "status", "created_at", "due_date", "paid_at",
                    "mark_paid_link", "document_links")
    change_list_template = "admin/billing/invoice/change_list.html"
    list_filter = ("status", "paid_via", "year")
    search_fields = ("number", "client__name", "payment_reference")
    date_hierarchy = "created_at"
    list_select_related = ("client",)
    actions = ["mark_paid_selected", "cancel_selected"]
    readonly_fields = ("number", "client", "amount", "status", "provider_name", "provider_requisites", "client_name",
                       "client_requisites", "due_date", "created_by", "created_at", "paid_at", "paid_via",
                       "payment_reference", "paid_by", "entry", "paid_amount", "mark_paid_link", "document_links")

    @admin.display(description="")
    def mark_paid_link(self, obj):
        if obj.status == Invoice.Status.CANCELLED:
            return "—"
        record = format_html('<a class="button" href="{}">Record a payment</a>',
                             reverse("admin:billing_invoice_record_payment", args=[obj.pk]))
        if obj.status != Invoice.Status.ISSUED:
            return record
        return format_html('<a class="button" href="{}">Mark paid</a> {}',
                           reverse("admin:billing_invoice_pay", args=[obj.pk]), record)

    @admin.display(description="document")
    def document_links(self, obj):
        return format_html('<a href="{}">HTML</a> · <a href="{}">PDF</a>',
                           reverse("admin:billing_invoice_document", args=[obj.pk]),
                           reverse("admin:billing_invoice_document_pdf", args=[obj.pk]))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("<int:invoice_id>/pay/", view(self.pay_view), name="billing_invoice_pay"),
                path("<int:invoice_id>/record-payment/", view(self.record_payment_view),
                     name="billing_invoice_record_payment"),
                path("<int:invoice_id>/document/", view(self.document_view), name="billing_invoice_document"),
                path("<int:invoice_id>/document.pdf", view(self.document_pdf_view),
                     name="billing_invoice_document_pdf"),
                path("import-statement/", view(self.statement_view), name="billing_invoice_statement"),
                ] + super().get_urls()

    def document_view(self, request, invoice_id):
        invoice = get_object_or_404(Invoice.objects.select_related("client"), pk=invoice_id)
        return HttpResponse(invoice_html(invoice, request=request, links={
            "back_url": reverse("admin:billing_invoice_change", args=[invoice.pk]),
            "pdf_url": reverse("admin:billing_invoice_document_pdf", args=[invoice.pk])}))

    def document_pdf_view(self, request, invoice_id):
        invoice = get_object_or_404(Invoice.objects.select_related("client"), pk=invoice_id)
        response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="invoice-{invoice.number}.pdf"'
        return response

    def record_payment_view(self, request, invoice_id):
        invoice = get_object_or_404(Invoice.objects.select_related("client"), pk=invoice_id)

        def perform(data):
            payment, created = invoice_payment_record(number=invoice.number, amount=data["amount"],
                                                      paid_on=data["paid_on"], reference=data["reference"],
                                                      actor=request.user)
            if not created:
                return f"Payment {payment.reference} was already recorded; nothing was credited again."
            payment.invoice.refresh_from_db()
            return (f"Invoice {invoice.number}: {money_text(payment.amount.amount)} UAH credited to {invoice.client}; "
                    f"the invoice is {payment.invoice.get_status_display().lower()} "
                    f"({money_text(payment.invoice.paid_amount.amount)} of {money_text(invoice.amount.amount)} UAH).")

        return _action_view(request, admin_site=self.admin_site, form_class=RecordPaymentForm,
                            title="Record a payment",
                            intro=f"Invoice {invoice.number} for {invoice.amount} ({invoice.client}); received so far "
                                  f"{invoice.paid_amount}. Record the amount that actually arrived: below the invoice "
                                  "it is partly paid, above it overpaid; the wallet gets what was paid.",
                            target=str(invoice), back_url=reverse("admin:billing_invoice_changelist"),
                            submit_label="Credit the wallet", perform=perform)

    def statement_view(self, request):
        """Upload → preview (matched and unmatched rows) → apply the matched ones."""
        back = reverse("admin:billing_invoice_changelist")
        context = {**self.admin_site.each_context(request), "title": "Import a bank statement", "back_url": back}
        if request.method == "POST" and "apply" in request.POST:
            try:
                rows = statement_rows_load(signing.loads(request.POST.get("rows", ""), salt=STATEMENT_SALT,
                                                         max_age=STATEMENT_MAX_AGE))
            except (signing.BadSignature, TypeError, ValueError):
                messages.error(request, "The preview expired or was changed; upload the statement again.")
                return redirect("admin:billing_invoice_statement")
            rows = bank_statement_apply(rows=rows, actor=request.user)
            applied = [r for r in rows if r.status == "applied" and not r.problem]
            messages.success(request, f"{len(applied)} payment(s) credited.")
            return TemplateResponse(request, "admin/billing/invoice/statement.html",
                                    {**context, "rows": rows, "applied": True})
        form = BankStatementForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                rows = bank_statement_preview(form.cleaned_data["file"].read())
            except StatementInvalid as exc:
                form.add_error("file", exc.detail)
            else:
                return TemplateResponse(request, "admin/billing/invoice/statement.html", {
                    **context, "rows": rows, "form": None,
                    "matched": sum(1 for r in rows if r.matched),
                    "signed_rows": signing.dumps(statement_rows_dump(rows), salt=STATEMENT_SALT, compress=True)})
        return TemplateResponse(request, "admin/billing/invoice/statement.html", {**context, "form": form})

    def pay_view(self, request, invoice_id):
        invoice = get_object_or_404(Invoice.objects.select_related("client"), pk=invoice_id)

        def perform(data):
            inv, credited = invoice_mark_paid(number=invoice.number, via=Invoice.PaidVia.STAFF,
                                              reference=data["reference"], actor=request.user)
            if not credited:
                return f"Invoice {inv.number} was already paid; nothing was credited again."
            return f"Invoice {inv.number} paid: {inv.client} credited {inv.amount}."

        return _action_view(request, admin_site=self.admin_site, form_class=MarkPaidForm, title="Mark paid",
                            intro=f"The payment for invoice {invoice.number} ({invoice.amount}, {invoice.client}) "
                                  "arrived: credit the wallet. An invoice is credited once, whatever repeats.",
                            target=str(invoice), back_url=reverse("admin:billing_invoice_changelist"),
                            submit_label="Credit the wallet", perform=perform)

    @admin.action(description="Mark selected invoices paid (credit the wallets)")
    def mark_paid_selected(self, request, queryset):
        for invoice in queryset:
            try:
                inv, credited = invoice_mark_paid(number=invoice.number, via=Invoice.PaidVia.STAFF,
                                                  reference=f"marked paid by {request.user}", actor=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"{invoice}: {exc.detail}", messages.WARNING)
            else:
                self.message_user(request, f"{inv}: {'credited ' + str(inv.amount) if credited else 'already paid'}.",
                                  messages.SUCCESS)

    @admin.action(description="Cancel selected unpaid invoices")
    def cancel_selected(self, request, queryset):
        for invoice in queryset:
            try:
                invoice_cancel(number=invoice.number, reason="cancelled by staff", actor=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"{invoice}: {exc.detail}", messages.WARNING)
            else:
                self.message_user(request, f"{invoice}: cancelled.", messages.SUCCESS)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("paid_on", "reference", "invoice", "amount", "payer_tax_code", "source", "created_by", "created_at")
    list_filter = ("source",)
    search_fields = ("reference", "invoice__number", "payer_tax_code", "purpose")
    date_hierarchy = "paid_on"
    list_select_related = ("invoice", "created_by")


@admin.register(ServiceAct)
class ServiceActAdmin(ReadOnlyAdmin):
    list_display = ("number", "client", "period", "act_date", "services_total", "bonus_total", "total",
                    "document_links")
    search_fields = ("number", "client__name", "client__legal_name", "client__tax_code")
    date_hierarchy = "period"
    list_select_related = ("client",)
    change_list_template = "admin/billing/serviceact/change_list.html"

    @admin.display(description="document")
    def document_links(self, obj):
        return format_html('<a href="{}">HTML</a> · <a href="{}">PDF</a>',
                           reverse("admin:billing_serviceact_document", args=[obj.pk]),
                           reverse("admin:billing_serviceact_document_pdf", args=[obj.pk]))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("generate/", view(self.generate_view), name="billing_serviceact_generate"),
                path("<int:act_id>/document/", view(self.document_view), name="billing_serviceact_document"),
                path("<int:act_id>/document.pdf", view(self.document_pdf_view), name="billing_serviceact_document_pdf"),
                ] + super().get_urls()

    def document_view(self, request, act_id):
        act = get_object_or_404(ServiceAct.objects.select_related("client"), pk=act_id)
        return HttpResponse(act_html(act, request=request, links={
            "back_url": reverse("admin:billing_serviceact_changelist"),
            "pdf_url": reverse("admin:billing_serviceact_document_pdf", args=[act.pk])}))

    def document_pdf_view(self, request, act_id):
        act = get_object_or_404(ServiceAct.objects.select_related("client"), pk=act_id)
        response = HttpResponse(act_pdf(act), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="act-{act.number}.pdf"'
        return response

    def generate_view(self, request):
        def perform(data):
            acts = service_acts_generate(period=data["month"], actor=request.user)
            return f"{data['month']:%m.%Y}: {len(acts)} act(s) (existing ones kept)."

        return _action_view(request, admin_site=self.admin_site, form_class=ActsGenerateForm,
                            title="Generate acts of services rendered", target="Acts of services rendered",
                            intro="Makes the act of every client whose wallet paid for services in the month "
                                  "(the monthly job does this on the 1st for the previous month).",
                            back_url=reverse("admin:billing_serviceact_changelist"), submit_label="Generate",
                            perform=perform)


# --- price lists --------------------------------------------------------------------------------

def _in_force(tariff) -> bool:
    """A list whose date has come is history: it is never edited in place (copy it instead)."""
    return tariff is not None and tariff.pk is not None and tariff.valid_from <= timezone.now()


def _lines_locked(tariff) -> bool:
    """Prices of a list in force, or announced to clients, never change (R-BILL-13)."""
    return _in_force(tariff) or (tariff is not None and tariff.announced_at is not None)


class _TariffLinesInline(admin.TabularInline):
    def has_add_permission(self, request, obj=None):
        return not _lines_locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not _lines_locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _lines_locked(obj) and super().has_delete_permission(request, obj)


class TopupStepInline(_TariffLinesInline):
    model = TopupStep
    extra = 0
    verbose_name_plural = "top-up steps (R-BILL-04): step 1 is the regular price"


class TariffPriceInline(_TariffLinesInline):
    model = TariffPrice
    extra = 1
    fields = ("step", "channel", "country", "operator", "message_type", "sender_class", "price")
    verbose_name_plural = "prices (SMS: UAH per segment; Viber: EUR per message; blank fields match anything)"


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    list_display = ("name", "valid_from", "sms_segment_price", "steps_display", "lines", "in_force")
    inlines = [TopupStepInline, TariffPriceInline]
    readonly_fields = ("announced_at", "created_at")
    actions = ["copy_selected"]

    def get_readonly_fields(self, request, obj=None):
        if _in_force(obj):
            return ("name", "valid_from", "sms_segment_price", "viber_sender_fee", "notes", "announced_at", "created_at")
        if obj is not None and obj.announced_at is not None:  # start may move later, never closer (R-BILL-13)
            return ("sms_segment_price", "viber_sender_fee", "announced_at", "created_at")
        return self.readonly_fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if _in_force(obj) and request.method == "GET":
            messages.info(request, "This price list is in force (or past) and cannot be edited: messages were "
                                   "charged by it. Use the action “Copy as a new price list” and edit the copy; "
                                   "it starts at least 7 days ahead (R-BILL-13).")
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Copy as a new price list (starts 7 days from now)")
    def copy_selected(self, request, queryset):
        for tariff in queryset:
            copy = tariff_copy(tariff=tariff, actor=request.user)
            self.message_user(request, format_html('Copied to <a href="{}">{}</a>: a draft. Edit its prices, then publish a tariff-change '
                                                   'announcement (Lifecycle → Announcements) at least 7 days before '
                                                   'it starts; it applies only once announced (R-BILL-13).',
                                                   reverse("admin:billing_tariff_change", args=[copy.pk]), copy),
                              messages.SUCCESS)

    @admin.display(description="steps")
    def steps_display(self, obj):
        return ", ".join(f"{s.number}: {s.min_amount.amount:.0f}+" for s in obj.steps.all()) or "—"

    @admin.display(description="lines")
    def lines(self, obj):
        return obj.prices.count()

    @admin.display(description="status")
    def in_force(self, obj):
        current = Tariff.objects.filter(valid_from__lte=timezone.now(), announced_at__isnull=False).order_by(
            "-valid_from", "-id").first()
        if current and current.pk == obj.pk:
            return "in force"
        if obj.announced_at is None:
            return "draft (not announced)"
        return "announced" if obj.valid_from > timezone.now() else "past"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("steps")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(code="billing.tariff.changed" if change else "billing.tariff.created", actor=request.user,
                     target=str(obj), details={"fields": form.changed_data})

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.has_changed():
            audit_record(code="billing.tariff.lines_changed", actor=request.user, target=str(form.instance),
                         details={"model": formset.model._meta.model_name,
                                  "added": len(formset.new_objects), "changed": len(formset.changed_objects),
                                  "deleted": len(formset.deleted_objects)})


# --- exchange rates --------------------------------------------------------------------------------

def _deviation_text() -> str:
    state = rate_deviation()
    if state.official is None:
        return "No NBU rate is loaded yet."
    if state.base is None:
        return f"No base rate yet; the NBU rate {state.official.rate} ({state.official.date:%d.%m.%Y}) applies."
    verdict = ("Re-pricing is allowed now." if state.may_reprice else
               "Re-pricing is not allowed now: " + ("the move is under 2 %." if not state.moved_enough
                                                    else "it is past 12:00 Kyiv time."))
    return (f"Base {state.base.rate} (from {state.base.effective_from:%d.%m.%Y}); NBU {state.official.rate} "
            f"({state.official.date:%d.%m.%Y}): deviation {state.deviation * 100:.2f} %. {verdict}")


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ("date", "currency", "rate", "source", "created_by")
    list_filter = ("currency", "source")
    date_hierarchy = "date"
    fields = ("currency", "date", "rate")
    actions = ["make_base"]
    change_list_template = "admin/billing/exchangerate/change_list.html"

    def save_model(self, request, obj, form, change):
        obj.created_by = request.user
        obj.source = "manual"  # typed in by staff; NBU files come through "Load NBU JSON" / load_nbu_rates
        super().save_model(request, obj, form, change)
        audit_record(code="billing.rates.saved", actor=request.user, target=str(obj),
                     details={"rate": str(obj.rate), "date": obj.date.isoformat()})

    def changelist_view(self, request, extra_context=None):
        state = rate_deviation()
        extra_context = {**(extra_context or {}), "deviation_text": _deviation_text(), "may_reprice": state.may_reprice}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        return [path("upload/", self.admin_site.admin_view(self.upload_view), name="billing_exchangerate_upload"),
                path("reprice/", self.admin_site.admin_view(self.reprice_view), name="billing_exchangerate_reprice"),
                ] + super().get_urls()

    def upload_view(self, request):
        def perform(data):
            created, updated = exchange_rates_load(data["file"].read(), actor=request.user)
            return f"NBU rates loaded: {created} new, {updated} updated."

        return _action_view(request, admin_site=self.admin_site, form_class=NbuUploadForm, files=True,
                            title="Load NBU rates", target="Exchange rates",
                            intro="Upload NBU's JSON (the same file `manage.py load_nbu_rates` reads). EUR rates "
                                  "are stored; a day loaded again is replaced.",
                            back_url=reverse("admin:billing_exchangerate_changelist"), submit_label="Load",
                            perform=perform)

    def reprice_view(self, request):
        def perform(data):
            base = base_rate_set(reason=data["reason"], actor=request.user)
            return f"Viber re-priced: base rate {base.rate} from {base.effective_from:%d.%m.%Y}."

        return _action_view(request, admin_site=self.admin_site, form_class=RepriceRateForm,
                            title="Re-price Viber at the current NBU rate", target="Exchange rates",
                            intro=f"{_deviation_text()} Viber prices are charged at the base rate until you decide "
                                  "to re-price; it never switches by itself. Re-pricing takes the NBU rate of the "
                                  "day as the new base, effective today; it is allowed once the NBU rate has moved "
                                  "2 % or more from the base, and only before 12:00 Kyiv time (R-BILL-08, R-VIB-10, "
                                  "T 4.10).",
                            back_url=reverse("admin:billing_baserate_changelist"), submit_label="Set the base rate",
                            perform=perform)

    @admin.action(description="Re-price Viber at the selected rate (new base from today)")
    def make_base(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one rate.", messages.WARNING)
            return None
        rate = queryset.get()
        try:
            base = base_rate_set(reason=f"Re-priced at the NBU rate of {rate.date:%d.%m.%Y}", actor=request.user,
                                 rate=rate.rate)
        except ApplicationError as exc:
            self.message_user(request, exc.detail, messages.WARNING)
        else:
            self.message_user(request, f"Base rate {base.rate} from {base.effective_from:%d.%m.%Y}.", messages.SUCCESS)
        return None


@admin.register(BaseRate)
class BaseRateAdmin(ReadOnlyAdmin):
    list_display = ("effective_from", "currency", "rate", "reason", "set_by", "created_at")

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "title": "Base exchange rates (set them with “Re-price Viber”)"}
        return super().changelist_view(request, extra_context)


@admin.register(RepricedMessage)
class RepricedMessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "wallet", "message_id", "charged", "repriced", "difference", "rate")
    search_fields = ("message_id", "wallet__client__name")


# --- R-BILL-12: refunds on termination ---------------------------------------------------------------

class RefundOverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue (past its 10 days)")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset & refund_requests_overdue()
        return queryset


@admin.register(RefundRequest)
class RefundRequestAdmin(ReadOnlyAdmin):
    list_display = ("requested_at", "client", "amount", "due_date", "deadline", "status", "paid_at",
                    "payment_reference")
    list_filter = ("status", RefundOverdueFilter)
    search_fields = ("client__name", "iban", "payment_reference")
    readonly_fields = ("client", "status", "amount", "iban", "account_holder", "holder_tax_code", "requested_by",
                       "requested_at", "due_date", "paid_at", "paid_by", "payment_reference", "entry")
    change_form_template = "admin/billing/refundrequest/change_form.html"

    @admin.display(description="deadline")
    def deadline(self, obj):
        if refund_is_overdue(obj):
            return format_html('<strong style="color:#ba2121">OVERDUE since {}</strong>', f"{obj.due_date:%d.%m.%Y}")
        if obj.status == RefundRequest.Status.REQUESTED:
            return f"pay by {obj.due_date:%d.%m.%Y}"
        return "—"

    def get_urls(self):
        return [path("<int:request_id>/paid/", self.admin_site.admin_view(self.paid_view),
                     name="billing_refundrequest_paid")] + super().get_urls()

    def paid_view(self, request, request_id):
        refund = get_object_or_404(RefundRequest, pk=request_id)

        def perform(data):
            refund_request_mark_paid(request_id=refund.pk, reference=data["reference"], actor=request.user)
            return f"Refund of {money_text(refund.amount.amount)} UAH to {refund.client} recorded as paid."

        return _action_view(request, admin_site=self.admin_site, form_class=MarkPaidForm,
                            title=f"Mark the refund to {refund.client} paid", target="Refund requests",
                            intro=f"Transfer {money_text(refund.amount.amount)} UAH (at most what is refundable now) "
                                  f"to {refund.iban} ({refund.account_holder}, {refund.holder_tax_code}) by "
                                  f"{refund.due_date:%d.%m.%Y}; then record the bank reference. The ledger records "
                                  "the payout and writes the unspent bonus off.",
                            back_url=reverse("admin:billing_refundrequest_changelist"), submit_label="Mark paid",
                            perform=perform)


@admin.register(DiscountRate)
class DiscountRateAdmin(admin.ModelAdmin):
    list_display = ("effective_from", "rate", "created_by", "created_at")
    fields = ("effective_from", "rate")

    def save_model(self, request, obj, form, change):
        obj.created_by = request.user
        super().save_model(request, obj, form, change)
        audit_record(code="billing.discount_rate.saved", actor=request.user, target=str(obj),
                     details={"rate": str(obj.rate), "effective_from": obj.effective_from.isoformat()})


@admin.register(OverdraftPenalty)
class OverdraftPenaltyAdmin(ReadOnlyAdmin):
    list_display = ("day", "wallet", "debt", "rate", "amount")
    date_hierarchy = "day"
