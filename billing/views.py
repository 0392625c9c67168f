"""Website pages of billing: the wallet overview, the statement (with CSV), invoices, prices.

Views are thin: form → service → message → redirect; reads go through selectors and the pricing
services; services' ApplicationErrors become form errors.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import OWNER, SEND_ROLES, client_required, require_role
from smsportal.csvsafe import csv_writer
from smsportal.errors import ApplicationError
from smsportal.kyiv import kyiv_date
from smsportal.money import money_plain, money_text, table_places

from .descriptions import entry_description
from .documents import act_html, act_pdf, document_parties, invoice_html, invoice_pdf, invoice_purpose
from .exceptions import NoExchangeRate, NoTariff
from .forms import InvoiceCreateForm, RefundRequestForm, StatementFilterForm
from .models import Channel, GracePeriod, Invoice, MessageType, SenderClass, UaOperator
from .selectors import (invoice_get, invoices_for_client, ledger_entries_for_client, ledger_for_client,
                        refund_requests_for_client, service_act_get, service_acts_for_client, wallet_get)
from .services import (billing_config_get, grace_period_current, invoice_issue, overdraft_due_date,
                       price_table_for_client, tariff_current, tariff_upcoming, unit_price, wallet_is_overdue)
from .services.rates import rate_for
from .services.refunds import REFUND_DAYS, refund_may_request, refund_request_create
from .services.settlement import wallet_refundable
from .templatetags.billing_tags import mul_rate

PAGE_SIZE = 50


def _steps_with_prices(client, tariff) -> list[dict]:
    """The top-up steps of the price list with the headline SMS price each one gives for 30 days."""
    steps = list(tariff.steps.order_by("number"))
    rows = []
    for i, step in enumerate(steps):
        grace = [] if step.number < 2 else [GracePeriod(step=step.number)]
        price = unit_price(client=None, channel=Channel.SMS, tariff=tariff, country="UA",
                           operator=UaOperator.KYIVSTAR, message_type=MessageType.SERVICE,
                           sender_class=SenderClass.INTERNATIONAL, grace=grace).amount
        upper = steps[i + 1].min_amount.amount - 1 if i + 1 < len(steps) else None
        rows.append({"number": step.number, "from": step.min_amount.amount, "to": upper, "price": price})
    return rows


@client_required
def billing_overview(request):
    client = request.client
    wallet = wallet_get(client=client)
    try:
        tariff = tariff_current()
    except NoTariff:
        tariff = None
    return render(request, "portal/billing_overview.html", {
        "nav": "billing",
        "wallet": wallet,
        "grace": grace_period_current(client=client) if tariff else None,
        "steps": _steps_with_prices(client, tariff) if tariff else [],
        "tariff": tariff,
        "upcoming": tariff_upcoming(),
        "overdraft_due": overdraft_due_date(wallet),
        "overdue": wallet_is_overdue(wallet),
        "repay_days": billing_config_get().overdraft_repay_days,
        "ledger": list(ledger_for_client(client=client, limit=10)),
        "invoices": list(invoices_for_client(client=client)[:5]),
        "acts": list(service_acts_for_client(client=client)[:12]),
    })


def _statement(request):
    form = StatementFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    kind = data.get("kind")
    entries = ledger_entries_for_client(client=request.client, kinds=[kind] if kind else None,
                                        date_from=data.get("date_from"), date_to=data.get("date_to"))
    return form, entries


@client_required
def billing_statement(request):
    form, entries = _statement(request)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "portal/billing_statement.html", {
        "nav": "billing",
        "filters": form,
        "page": page,
        "rows": page.object_list,
        "query": query.urlencode(),
        "filtered": form.is_bound and (not form.is_valid() or any(form.cleaned_data.values())),
        "wallet": wallet_get(client=request.client),
    })


class _Echo:
    def write(self, value):
        return value


@client_required
def billing_statement_csv(request):
    """The filtered statement as CSV (streamed: a statement can be long)."""
    _form, entries = _statement(request)
    writer = csv_writer(_Echo())

    def rows():
        yield "\ufeff" + writer.writerow(["date (Kyiv)", "id", "kind", "description", "amount UAH", "bonus part UAH",
                                          "held change UAH", "balance after UAH"])
        for e in entries.iterator(chunk_size=2000):
            yield writer.writerow([timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M:%S"), e.public_id,
                                   e.kind, entry_description(e.description), money_plain(e.amount), money_plain(e.bonus_delta),
                                   money_plain(e.held_delta), money_plain(e.balance_after)])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="statement-{timezone.localdate():%Y-%m-%d}.csv"'
    return response


@client_required
def billing_prices(request):
    client = request.client
    try:
        table = price_table_for_client(client=client)
    except NoTariff:
        table = None
    try:
        rate = rate_for()
    except NoExchangeRate:
        rate = None
    sms = [r for r in table.rows if r.channel == Channel.SMS] if table else []
    viber = [r for r in table.rows if r.channel == Channel.VIBER] if table else []
    has_operator_lines = any(r.operator for r in sms)
    # One number of decimals per table (0.0150 next to 0.0500, not 0.05), the UAH column included.
    sms_places = table_places([v for r in sms for v in (r.regular, r.yours)] + ([table.default_sms] if table else []))
    viber_places = table_places([v for r in viber for v in (r.regular, r.yours)]
                                + ([mul_rate(r.yours, rate[0]) for r in viber] if rate else []))
    return render(request, "portal/billing_prices.html", {
        "nav": "billing",
        "table": table,
        "sms": sms,
        "viber": viber,
        "sms_places": sms_places,
        "viber_places": viber_places,
        "has_operator_lines": has_operator_lines,
        "rate": rate,
        "grace": grace_period_current(client=client) if table else None,
        "steps": _steps_with_prices(client, table.tariff) if table else [],
        "upcoming": tariff_upcoming(),
    })


@require_role(*SEND_ROLES, methods=("POST",))  # every role sees the invoices; viewers issue none
def invoice_list(request):
    client = request.client
    if request.method == "POST":
        form = InvoiceCreateForm(request.POST)
        if form.is_valid():
            try:
                invoice = invoice_issue(client=client, amount=form.cleaned_data["amount"], actor=request.user)
            except ApplicationError as exc:
                form.add_error("amount", exc.detail)
            else:
                messages.success(request, _("Invoice %(number)s for %(amount)s UAH created. Print it or pay it by bank "
                                            "transfer; the wallet is credited when the payment arrives.")
                                 % {"number": invoice.number, "amount": money_text(invoice.amount, 0)})
                return redirect("invoice_detail", public_id=invoice.public_id)
    else:
        form = InvoiceCreateForm()
    invoices = invoices_for_client(client=client)
    page = Paginator(invoices, PAGE_SIZE).get_page(request.GET.get("page"))
    try:
        steps = _steps_with_prices(client, tariff_current())
    except NoTariff:
        steps = []
    return render(request, "portal/invoice_list.html", {
        "nav": "billing",
        "form": form,
        "page": page,
        "rows": page.object_list,
        "steps": steps,
        "can_issue": request.user.role in SEND_ROLES,
    }, status=400 if form.is_bound else 200)


@client_required
def invoice_detail(request, public_id):
    invoice = invoice_get(client=request.client, public_id=public_id)
    if invoice is None:
        raise Http404("No such invoice.")
    supplier, buyer = document_parties(invoice)
    return render(request, "portal/invoice_detail.html", {
        "nav": "billing",
        "invoice": invoice,
        "supplier": supplier,
        "buyer": buyer,
        "is_paid": invoice.status == Invoice.Status.PAID,
        # the same payment purpose as the invoice document's (Ukrainian: it goes to a Ukrainian bank)
        "purpose": invoice_purpose(invoice),
    })


# --- printable documents (billing.documents) --------------------------------------------------------

def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@client_required
def invoice_document(request, public_id):
    """The invoice as a printable page (the same HTML the PDF is made of)."""
    invoice = invoice_get(client=request.client, public_id=public_id)
    if invoice is None:
        raise Http404("No such invoice.")
    return HttpResponse(invoice_html(invoice, request=request, links={
        "back_url": reverse("invoice_detail", args=[invoice.public_id]),
        "pdf_url": reverse("invoice_document_pdf", args=[invoice.public_id])}))


@client_required
def invoice_document_pdf(request, public_id):
    invoice = invoice_get(client=request.client, public_id=public_id)
    if invoice is None:
        raise Http404("No such invoice.")
    return pdf_response(invoice_pdf(invoice), f"invoice-{invoice.number}.pdf")


@client_required
def act_document(request, public_id):
    act = service_act_get(client=request.client, public_id=public_id)
    if act is None:
        raise Http404("No such act.")
    return HttpResponse(act_html(act, request=request, links={
        "back_url": reverse("billing_overview"), "pdf_url": reverse("act_document_pdf", args=[act.public_id])}))


@client_required
def act_document_pdf(request, public_id):
    act = service_act_get(client=request.client, public_id=public_id)
    if act is None:
        raise Http404("No such act.")
    return pdf_response(act_pdf(act), f"act-{act.number}.pdf")


@require_role(OWNER, methods=("POST",))
def billing_refund(request):
    """R-BILL-12: the refund of the unused balance on termination, requested with bank details."""
    client = request.client
    wallet = wallet_get(client=client)
    form = RefundRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            refund_request_create(client=client, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            field = "iban" if exc.code == "invalid_iban" else "holder_tax_code" if exc.code == "invalid_tax_code" else None
            form.add_error(field, exc.detail)
        else:
            messages.success(request, _("Your refund request was sent. We pay it within 10 calendar days."))
            return redirect("billing_refund")
    return render(request, "portal/billing_refund.html", {
        "nav": "billing", "wallet": wallet, "form": form, "refundable": wallet_refundable(wallet),
        "may_request": refund_may_request(client), "requests": refund_requests_for_client(client=client),
        "can_request": request.user.role == OWNER, "days": REFUND_DAYS, "today": kyiv_date(),
    })
