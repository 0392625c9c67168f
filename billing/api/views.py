"""Billing endpoints of the integrator API (/api/v1/): balance, transactions, invoices, prices, and
the payment system's signed callback. Errors are JSON `{"code", "detail"}` (smsportal.api)."""
from django.utils.translation import gettext
import math

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from smsportal.api_schema import ERRORS, ErrorOutput, idempotency_key_parameter
from smsportal.errors import NotFound
from smsportal.money import money_json

from ..exceptions import NoExchangeRate
from ..models import Channel
from ..selectors import invoice_get, invoices_for_client, ledger_entries_for_client, wallet_get
from ..services import (grace_period_current, invoice_issue, overdraft_due_date, payment_callback_apply,
                        price_table_for_client, rate_for, tariff_upcoming, wallet_is_overdue)
from .serializers import (BalanceOutput, InvoiceInput, InvoiceListOutput, InvoiceOutput, PaymentCallbackInput,
                          PaymentCallbackOutput, PricesOutput, TransactionFilter, TransactionPageOutput,
                          entry_json, grace_json, invoice_json)


class BalanceApi(APIView):
    """GET /api/v1/balance/"""

    @extend_schema(operation_id="balance_get", responses={200: BalanceOutput, **ERRORS},
                   description="`balance` is all money on the wallet, the unspent `bonus` included; `held` is "
                               "reserved for accepted messages; `available` = balance − held + approved overdraft "
                               "limit. `grace_period` is the one setting your prices now, or null.")
    def get(self, request):
        client = request.user.client
        wallet = wallet_get(client=client)
        due = overdraft_due_date(wallet)
        return Response({
            "balance": money_json(wallet.balance),
            "held": money_json(wallet.held),
            "bonus": money_json(wallet.bonus),
            "overdraft": {"limit": money_json(wallet.overdraft_limit), "used": money_json(wallet.debt),
                          "due": due.isoformat() if due else None, "overdue": wallet_is_overdue(wallet)},
            "available": money_json(wallet.available),
            "grace_period": grace_json(grace_period_current(client=client)),
        })


class TransactionListApi(APIView):
    """GET /api/v1/transactions/ — the wallet statement, newest first."""

    @extend_schema(operation_id="transactions_list", parameters=[TransactionFilter],
                   responses={200: TransactionPageOutput, **ERRORS},
                   description="Every movement of money (R-BILL-01). Filter by `kind` (comma-separated) and by "
                               "`date_from` / `date_to` (Kyiv days, inclusive); page with `page` and `page_size` "
                               "(at most 200).")
    def get(self, request):
        params = TransactionFilter(data=request.query_params)
        params.is_valid(raise_exception=True)
        f = params.validated_data
        qs = ledger_entries_for_client(client=request.user.client, kinds=f.get("kind"),
                                       date_from=f.get("date_from"), date_to=f.get("date_to"))
        size, page = f["page_size"], f["page"]
        count = qs.count()
        pages = max(1, math.ceil(count / size))
        if page > pages:
            raise NotFound(gettext("No page %(page)s: there are %(pages)s.") % {"page": page, "pages": pages})
        rows = list(qs[(page - 1) * size: page * size])

        def link(n):
            query = request.query_params.copy()
            query["page"] = n
            return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

        return Response({"count": count, "page": page, "page_size": size, "pages": pages,
                         "next": link(page + 1) if page < pages else None,
                         "previous": link(page - 1) if page > 1 else None,
                         "results": [entry_json(e) for e in rows]})


class InvoiceListCreateApi(APIView):
    """GET /api/v1/invoices/ (newest 50) · POST /api/v1/invoices/ (R-BILL-02, R-BILL-03)."""

    @extend_schema(operation_id="invoices_list", responses={200: InvoiceListOutput, **ERRORS})
    def get(self, request):
        invoices = invoices_for_client(client=request.user.client)[:50]
        return Response({"invoices": [invoice_json(i, request) for i in invoices]})

    # Idempotency-Key: the view is made idempotent where the API's URLs are put together (smsportal/api_urls.py).
    @extend_schema(operation_id="invoices_create", request=InvoiceInput,
                   responses={201: InvoiceOutput, 422: ErrorOutput, **ERRORS},
                   parameters=[idempotency_key_parameter("the invoice")],
                   description="An invoice for a whole number of hryvnias. Pay it by bank transfer with its number "
                               "in the payment purpose; the wallet is credited when the payment arrives. A top-up "
                               "reaching step 2 or higher opens a 30-day grace period (see /prices/).")
    def post(self, request):
        data = InvoiceInput(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = invoice_issue(client=request.user.client, amount=data.validated_data["amount"])
        return Response(invoice_json(invoice, request), status=status.HTTP_201_CREATED)


class InvoiceDetailApi(APIView):
    @extend_schema(operation_id="invoices_get", responses={200: InvoiceOutput, **ERRORS})
    def get(self, request, number):
        invoice = invoice_get(client=request.user.client, number=number)
        if invoice is None:
            raise NotFound(gettext("No invoice with this number."))
        return Response(invoice_json(invoice, request))


def _tariff_json(tariff):
    return {"name": tariff.name, "valid_from": tariff.valid_from.isoformat()} if tariff else None


class PriceListApi(APIView):
    """GET /api/v1/prices/ — the price list that applies to this client now."""

    @extend_schema(operation_id="prices_get", responses={200: PricesOutput, **ERRORS},
                   description="SMS prices are UAH per segment; Viber prices EUR per message, charged in UAH at "
                               "`viber_rate`. `price` is yours now (grace periods included), `regular` the list "
                               "price. Blank (null) fields match any value.")
    def get(self, request):
        client = request.user.client
        table = price_table_for_client(client=client)  # NoTariff → 503 {"code": "no_tariff"}
        try:
            rate, rate_date, source = rate_for()
            viber_rate = {"rate": str(rate), "date": rate_date.isoformat(), "source": source}
        except NoExchangeRate:  # no rate loaded yet: Viber prices are shown in EUR only
            viber_rate = None
        steps = list(table.tariff.steps.order_by("number"))
        return Response({
            "price_list": _tariff_json(table.tariff),
            "upcoming": _tariff_json(tariff_upcoming()),
            "grace_period": grace_json(grace_period_current(client=client)),
            "sms_default": money_json(table.default_sms, "UAH"),
            "sms": [{"country": r.country or None, "operator": r.operator or None,
                     "message_type": r.message_type or None, "sender_class": r.sender_class or None,
                     "regular": money_json(r.regular, r.currency),
                     "price": money_json(r.yours, r.currency),
                     "step": r.step} for r in table.rows if r.channel == Channel.SMS],
            "viber": [{"message_type": r.message_type or None, "regular": money_json(r.regular, r.currency),
                       "price": money_json(r.yours, r.currency), "step": r.step}
                      for r in table.rows if r.channel == Channel.VIBER],
            "viber_rate": viber_rate,
            "steps": [{"step": s.number, "from": money_json(s.min_amount),
                       "to": money_json(steps[i + 1].min_amount.amount - 1, "UAH")
                       if i + 1 < len(steps) else None}
                      for i, s in enumerate(steps)],
        })


class PaymentCallbackApi(APIView):
    """POST /api/v1/payments/callback/ — the payment system reports a paid invoice (signed)."""

    authentication_classes = []
    permission_classes = []

    @extend_schema(
        operation_id="payments_callback", request=PaymentCallbackInput,
        parameters=[OpenApiParameter("X-Signature", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
                                     description="Hex HMAC-SHA256 of the raw request body with the shared secret.")],
        responses={200: PaymentCallbackOutput, 400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput, 409: ErrorOutput,
                   503: ErrorOutput},
        auth=[],
        description="Credits a paid invoice once, like staff do: a repeat with the same `payment_id` answers "
                    "200 again and credits nothing. 403 bad signature, 404 unknown invoice, 409 amount mismatch "
                    "or an invoice already paid by another payment, 503 `payment_callback_not_configured` while "
                    "the server has no shared secret (retry later).")
    def post(self, request):
        invoice, credited = payment_callback_apply(body=request.body, signature=request.headers.get("X-Signature", ""))
        return Response({"invoice_number": invoice.number, "status": invoice.status, "credited": credited,
                         "paid_at": invoice.paid_at.isoformat() if invoice.paid_at else None})

