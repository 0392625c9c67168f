"""Bank payments for invoices, by amount (R-BILL-02): what actually arrived, which may be less or
more than the invoice, recorded by staff by hand or from a bank statement CSV.

- The wallet is credited with what was paid, in the same transaction as the payment row and the
  invoice's new status. Top-ups are whole hryvnias (R-BILL-03): the whole hryvnias are the
  top-up (they count for the top-up steps, R-BILL-04), kopiykas that came with them are credited
  as an adjustment next to it, so the wallet gets exactly what the bank received.
- The invoice is partly paid while the payments are below its amount, paid at its amount,
  overpaid above it (the surplus stays in the wallet like any money).
- Each bank payment is applied once: its bank reference is unique (a statement imported twice,
  or a form sent twice, credits nothing the second time).
- Statement rows are matched to invoices by the invoice number in the payment purpose.
"""
import csv
import hashlib
import io
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from djmoney.money import Money

from accounts.services import audit_record
from smsportal.money import money_text

from ..exceptions import BillingError, InvalidAmount, InvoiceConflict, InvoiceNotFound
from ..models import Invoice, Payment
from .config import billing_config_get
from .ledger import wallet_topup
from .settlement import wallet_adjust

PAYMENT_MAX = Decimal("100000000")
STATEMENT_MAX_BYTES = 2 * 1024 * 1024
STATEMENT_MAX_ROWS = 5000


class StatementInvalid(BillingError):
    code = "statement_invalid"


def _status_for(paid: Decimal, amount: Decimal) -> str:
    if paid < amount:
        return Invoice.Status.PARTLY_PAID
    return Invoice.Status.PAID if paid == amount else Invoice.Status.OVERPAID


def invoice_payment_record(*, number: str, amount, paid_on: date, reference: str, actor=None,
                           source: str = Payment.Source.STAFF, payer_tax_code: str = "",
                           purpose: str = "") -> tuple[Payment, bool]:
    """Records one bank payment of `amount` for invoice `number` and credits the wallet with it.
    Returns (payment, recorded now?); the same bank reference again returns the first payment.

    Refused: an unknown invoice (404), a cancelled one (409), an amount that is not positive or
    has more than two decimals, a missing reference (400)."""
    reference = (reference or "").strip()
    if not reference:
        raise BillingError(gettext("The bank reference of the payment is required."), code="reference_required")
    if len(reference) > 120:
        raise BillingError(gettext("The bank reference is at most 120 characters."), code="invalid")
    try:
        amount = Decimal(str(amount))
    except InvalidOperation:
        raise InvalidAmount(gettext("The amount is a number of hryvnias.")) from None
    if not amount.is_finite() or amount <= 0 or amount > PAYMENT_MAX or amount != amount.quantize(Decimal("0.01")):
        raise InvalidAmount(gettext("A payment is a positive amount of hryvnias and kopiykas."))
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("client").filter(number=number).first()
        if invoice is None:
            raise InvoiceNotFound(gettext("No invoice %(number)s.") % {"number": number})
        existing = Payment.objects.filter(reference=reference).select_related("invoice").first()
        if existing is not None:
            if existing.invoice_id != invoice.pk:
                raise InvoiceConflict(gettext("The payment %(reference)s was already applied to invoice %(number)s.")
                                      % {"reference": reference, "number": existing.invoice.number},
                                      code="payment_already_applied")
            return existing, False
        if invoice.status == Invoice.Status.CANCELLED:
            raise InvoiceConflict(gettext("Invoice %(number)s is cancelled.") % {"number": number},
                                  code="invoice_cancelled")
        whole = amount.to_integral_value(rounding="ROUND_FLOOR")
        kopiykas = amount - whole
        description = f"Payment {reference} for invoice {number}"
        entry = None
        if whole > 0:
            entry = wallet_topup(client=invoice.client, amount=whole, key=f"payment:{reference}", actor=actor,
                                 description=description)
        if kopiykas > 0:
            cents = wallet_adjust(client=invoice.client, amount=kopiykas, key=f"payment:{reference}:kopiykas",
                                  actor=actor, reason=f"kopiykas of payment {reference} for invoice {number} "
                                                      f"(top-ups are whole hryvnias, R-BILL-03)")
            entry = entry or cents
        payment = Payment.objects.create(
            invoice=invoice, amount=Money(amount, "UAH"), paid_on=paid_on, reference=reference,
            payer_tax_code=(payer_tax_code or "")[:10], purpose=(purpose or "")[:500], source=source, entry=entry,
            created_by=actor if getattr(actor, "pk", None) else None)
        paid = invoice.paid_amount.amount + amount
        invoice.paid_amount = Money(paid, "UAH")
        invoice.status = _status_for(paid, invoice.amount.amount)
        invoice.paid_at = timezone.now()
        invoice.paid_via = Invoice.PaidVia.STAFF
        invoice.payment_reference = reference
        invoice.paid_by = actor if getattr(actor, "pk", None) else None
        invoice.entry = invoice.entry or entry
        invoice.save(update_fields=["paid_amount", "status", "paid_at", "paid_via", "payment_reference", "paid_by",
                                    "entry"])
        audit_record(code="billing.invoice.payment_recorded", actor=actor, client=invoice.client, target=number,
                     details={"amount": str(amount), "reference": reference, "source": source,
                              "paid_on": paid_on.isoformat(), "status": invoice.status})
    return payment, True


# --- bank statements -------------------------------------------------------------------------------

HEADERS = {
    "date": {"date", "дата", "дата операції", "дата платежу", "value date"},
    "amount": {"amount", "сума", "сума, грн", "сума грн", "кредит"},
    "payer_tax_code": {"payer edrpou", "payer_edrpou", "edrpou", "єдрпоу", "єдрпоу платника", "код платника",
                       "payer tax code"},
    "purpose": {"purpose", "призначення", "призначення платежу", "payment purpose"},
    "reference": {"reference", "bank reference", "референс", "номер документа", "id"},
}


@dataclass
class StatementRow:
    """One credit line of a bank statement and what it matched."""

    line: int
    paid_on: str = ""  # ISO date
    amount: str = ""
    payer_tax_code: str = ""
    purpose: str = ""
    reference: str = ""
    invoice_number: str = ""
    client_name: str = ""
    status: str = ""  # matched | applied | unmatched | error
    problem: str = ""
    warnings: list = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return self.status == "matched"


def _number_pattern(prefix: str) -> re.Pattern:
    return re.compile(rf"(?<![0-9A-Za-z]){re.escape(prefix)}\s*[-‐–—]?\s*(\d{{4}})\s*[-‐–—/]?\s*(\d{{1,6}})(?!\d)",
                      re.IGNORECASE)


def invoice_number_find(purpose: str, prefix: str | None = None) -> str:
    """The first invoice number in a payment purpose ("Оплата рах. SP-2026-000123 …"), or ""."""
    prefix = prefix or billing_config_get().invoice_prefix
    found = _number_pattern(prefix).search(purpose or "")
    if not found:
        return ""
    return f"{prefix}-{found.group(1)}-{int(found.group(2)):06d}"


def _parse_date(text: str) -> date:
    text = text.strip()
    for fmt in ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%y"):
        try:
            value = datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a calendar date, no time)
        except ValueError:
            continue
        if 2000 <= value.year <= 2100:
            return value
    raise ValueError(text)


def _parse_amount(text: str) -> Decimal:
    cleaned = re.sub(r"[\s\u00a0\u202f']", "", text or "")
    if "," in cleaned and "." in cleaned:  # "1,500.00" or "1.500,00": the last one is the decimal point
        thousands = "," if cleaned.rindex(",") < cleaned.rindex(".") else "."
        cleaned = cleaned.replace(thousands, "")
    cleaned = cleaned.replace(",", ".")  # Ukrainian banks write "1500,00"
    value = Decimal(cleaned)
    if not value.is_finite():
        raise InvalidOperation
    return value


def _decode(data: bytes) -> str:
    if len(data) > STATEMENT_MAX_BYTES:
        raise StatementInvalid(gettext("The statement is larger than 2 MB; split it."))
    if b"\x00" in data:
        raise StatementInvalid(gettext("This is not a CSV text file."))
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise StatementInvalid(gettext("The statement is neither UTF-8 nor Windows-1251 text."))


def bank_statement_parse(data: bytes) -> list[StatementRow]:
    """The rows of a statement CSV (comma or semicolon separated, a header row with the columns
    date, amount, payer EDRPOU, purpose and optionally reference, in English or Ukrainian).
    A row without a bank reference gets one made of its contents, so the same line imported again
    is recognised. Rows that cannot be read come back with status "error" and the reason."""
    text = _decode(data)
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise StatementInvalid(gettext("The statement is empty.")) from None
    columns = {}
    for i, name in enumerate(header):
        name = name.strip().lower()
        for key, names in HEADERS.items():
            if name in names and key not in columns:
                columns[key] = i
    missing = [k for k in ("date", "amount", "payer_tax_code", "purpose") if k not in columns]
    if missing:
        raise StatementInvalid(gettext("The statement needs the columns date, amount, payer EDRPOU and purpose; "
                                       "missing: %(columns)s.") % {"columns": ", ".join(missing)})
    rows = []
    try:
        for line, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= STATEMENT_MAX_ROWS:
                raise StatementInvalid(gettext("The statement has more than %(max)s rows; split it.")
                                       % {"max": STATEMENT_MAX_ROWS})

            def cell(key, values=values):
                i = columns.get(key)
                return values[i].strip() if i is not None and i < len(values) else ""

            row = StatementRow(line=line, payer_tax_code=cell("payer_tax_code")[:10], purpose=cell("purpose")[:500],
                               reference=cell("reference")[:120])
            try:
                row.paid_on = _parse_date(cell("date")).isoformat()
            except ValueError:
                row.status, row.problem = "error", gettext("The date is not a date (DD.MM.YYYY).")
            try:
                amount = _parse_amount(cell("amount"))
                row.amount = str(amount)
            except (InvalidOperation, ValueError):
                row.status, row.problem = "error", gettext("The amount is not a number.")
            else:
                if not row.problem and (amount <= 0 or amount != amount.quantize(Decimal("0.01"))
                                        or amount > PAYMENT_MAX):
                    row.status, row.problem = "error", gettext("Not an incoming payment in hryvnias and kopiykas.")
            if not row.reference:
                digest = hashlib.sha256("|".join([row.paid_on, row.amount, row.payer_tax_code, row.purpose])
                                        .encode()).hexdigest()[:24]
                row.reference = f"statement:{digest}"
            rows.append(row)
    except csv.Error as exc:
        raise StatementInvalid(gettext("The statement is not valid CSV: %(error)s") % {"error": exc}) from None
    return rows


def bank_statement_match(rows: list[StatementRow]) -> list[StatementRow]:
    """Matches each readable row to an invoice by the number in its purpose; marks rows already
    applied (their bank reference is recorded) and rows that cannot be applied, with the reason."""
    prefix = billing_config_get().invoice_prefix
    numbers = {r.line: invoice_number_find(r.purpose, prefix) for r in rows}
    invoices = {i.number: i for i in Invoice.objects.filter(number__in=set(numbers.values()) - {""})
                .select_related("client")}
    applied = dict(Payment.objects.filter(reference__in=[r.reference for r in rows])
                   .values_list("reference", "invoice__number"))
    for row in rows:
        if row.status == "error":
            continue
        row.warnings = []
        number = numbers[row.line]
        invoice = invoices.get(number)
        row.invoice_number = number
        if row.reference in applied:
            row.status, row.invoice_number = "applied", applied[row.reference]
            row.problem = gettext("Already applied.")
        elif not number:
            row.status, row.problem = "unmatched", gettext("No invoice number in the purpose.")
        elif invoice is None:
            row.status, row.problem = "unmatched", gettext("No invoice %(number)s.") % {"number": number}
        elif invoice.status == Invoice.Status.CANCELLED:
            row.status, row.problem = "unmatched", gettext("Invoice %(number)s is cancelled.") % {"number": number}
        else:
            row.status, row.problem = "matched", ""
            row.client_name = invoice.client.legal_name or invoice.client.name
            if row.payer_tax_code and invoice.client.tax_code and row.payer_tax_code != invoice.client.tax_code:
                row.warnings.append(gettext("The payer's EDRPOU %(payer)s is not the client's %(client)s.")
                                    % {"payer": row.payer_tax_code, "client": invoice.client.tax_code})
            due = invoice.amount.amount - invoice.paid_amount.amount
            if Decimal(row.amount) != due:
                row.warnings.append(gettext("The invoice awaits %(due)s UAH.") % {"due": money_text(max(due, 0))})
    return rows


def bank_statement_preview(data: bytes) -> list[StatementRow]:
    return bank_statement_match(bank_statement_parse(data))


def bank_statement_apply(*, rows: list[StatementRow], actor=None) -> list[StatementRow]:
    """Applies the matched rows, each in its own transaction (one refused row does not undo the
    others); re-matches first, so rows applied meanwhile are skipped. Returns the rows with their
    outcome: applied, or unmatched/error with the reason."""
    rows = bank_statement_match(rows)
    for row in rows:
        if row.status != "matched":
            continue
        try:
            _payment, created = invoice_payment_record(
                number=row.invoice_number, amount=Decimal(row.amount), paid_on=date.fromisoformat(row.paid_on),
                reference=row.reference, actor=actor, source=Payment.Source.STATEMENT,
                payer_tax_code=row.payer_tax_code, purpose=row.purpose)
        except BillingError as exc:
            row.status, row.problem = "error", exc.detail
        else:
            row.status = "applied"
            row.problem = "" if created else gettext("Already applied.")
    return rows


def statement_rows_dump(rows: list[StatementRow]) -> list[dict]:
    return [asdict(r) for r in rows]


def statement_rows_load(data: list[dict]) -> list[StatementRow]:
    names = set(StatementRow.__dataclass_fields__)
    return [StatementRow(**{k: v for k, v in item.items() if k in names}) for item in data]
