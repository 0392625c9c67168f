"""Printable billing documents: the invoice (рахунок на оплату) and the monthly act of services
rendered (акт наданих послуг), as an HTML page with print CSS and as a PDF of the same HTML.

- The supplier comes from settings (`SMSPORTAL_SUPPLIER_*`), the buyer from the client's legal
  details (R-ACC-10); both are copied onto the invoice or act when it is issued (`parties`), so a
  document prints what it said then. A document issued before the copy existed shows today's.
- VAT: a supplier who is a VAT payer prints "including VAT 20 %" (the price includes it: VAT =
  total × 20 / 120); otherwise "Without VAT".
- The amount in words is Ukrainian: num2words for the whole hryvnias, the noun agreed with the
  number (1 гривня, 2 гривні, 5 гривень; 1 копійка, 2 копійки, 5 копійок), kopiykas as digits,
  as Ukrainian accounting documents write it.
- Language: a document follows its client's language (the owner's chosen language, Ukrainian
  when none is chosen); the amount in words is Ukrainian in every language.
"""
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from num2words import num2words

from accounts.models import Client

VAT_RATE = Decimal("20")
CENT = Decimal("0.01")
DEFAULT_LANGUAGE = "uk"


# --- the amount in words ---------------------------------------------------------------------------

def _plural_uk(n: int, one: str, few: str, many: str) -> str:
    """The Ukrainian noun form agreed with `n`: 1, 21 → one; 2–4, 22–24 → few; 0, 5–20, 11–14 → many."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def _feminine_uk(words: str) -> str:
    """num2words counts in the masculine ("один", "два"); гривня is feminine: "одна", "дві".
    Only the last word agrees with the noun (thousands and millions are already right)."""
    parts = words.split(" ")
    parts[-1] = {"один": "одна", "два": "дві"}.get(parts[-1], parts[-1])
    return " ".join(parts)


def amount_in_words(amount) -> str:
    """1234.56 → "Одна тисяча двісті тридцять чотири гривні 56 копійок"."""
    amount = Decimal(str(amount)).quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "мінус " if amount < 0 else ""
    amount = abs(amount)
    hryvnias = int(amount)
    kopiykas = int((amount - hryvnias) * 100)
    words = _feminine_uk(num2words(hryvnias, lang="uk"))
    text = (f"{sign}{words} {_plural_uk(hryvnias, 'гривня', 'гривні', 'гривень')} "
            f"{kopiykas:02d} {_plural_uk(kopiykas, 'копійка', 'копійки', 'копійок')}")
    return text[0].upper() + text[1:]


def vat_included(total) -> Decimal:
    """The VAT part of a price that includes 20 % VAT: total × 20 / 120, to the kopiyka."""
    return (Decimal(str(total)) * VAT_RATE / (100 + VAT_RATE)).quantize(CENT, rounding=ROUND_HALF_UP)


# --- the parties -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Party:
    name: str
    tax_label: str = "EDRPOU"  # EDRPOU of a legal entity, RNOKPP of an entrepreneur
    tax_code: str = ""
    vat_payer: bool = False
    vat_number: str = ""
    iban: str = ""
    bank: str = ""
    address: str = ""
    email: str = ""
    signatory: str = ""
    signatory_position: str = ""
    contract_number: str = ""


def supplier_get() -> Party:
    """The supplier as configured now (settings `SMSPORTAL_SUPPLIER_*`)."""
    return Party(name=settings.SMSPORTAL_SUPPLIER_NAME, tax_code=settings.SMSPORTAL_SUPPLIER_EDRPOU,
                 vat_payer=settings.SMSPORTAL_SUPPLIER_VAT_PAYER,
                 vat_number=settings.SMSPORTAL_SUPPLIER_VAT_NUMBER if settings.SMSPORTAL_SUPPLIER_VAT_PAYER else "",
                 iban=settings.SMSPORTAL_SUPPLIER_IBAN, bank=settings.SMSPORTAL_SUPPLIER_BANK,
                 address=settings.SMSPORTAL_SUPPLIER_ADDRESS, signatory=settings.SMSPORTAL_SUPPLIER_SIGNATORY,
                 signatory_position=settings.SMSPORTAL_SUPPLIER_SIGNATORY_POSITION)


def buyer_for(client: Client) -> Party:
    """The client's legal details (R-ACC-10); a client who has not filled them gets its name."""
    entrepreneur = client.legal_form == Client.LegalForm.ENTREPRENEUR
    return Party(name=client.legal_name or client.name, tax_label="RNOKPP" if entrepreneur else "EDRPOU",
                 tax_code=client.tax_code, vat_payer=client.vat_payer,
                 vat_number=client.vat_number if client.vat_payer else "",
                 address=" ".join(client.postal_address.split()), email=client.documents_email,
                 signatory=client.signatory_name, signatory_position=client.signatory_position,
                 contract_number=client.contract_number)


def parties_snapshot(client: Client) -> dict:
    """What an invoice or act stores when it is issued."""
    return {"supplier": asdict(supplier_get()), "buyer": asdict(buyer_for(client))}


def document_parties(document) -> tuple[Party, Party]:
    """(supplier, buyer) of an invoice or act: as issued, or today's for one issued before they were kept."""
    stored = document.parties or {}
    fields = set(Party.__dataclass_fields__)

    def party(data):
        return Party(**{k: v for k, v in data.items() if k in fields})

    supplier = party(stored["supplier"]) if stored.get("supplier") else supplier_get()
    buyer = party(stored["buyer"]) if stored.get("buyer") else buyer_for(document.client)
    return supplier, buyer


def document_language(client: Client) -> str:
    """The client's language: its owner's chosen one, Ukrainian when none is chosen."""
    owner = client.users.filter(is_active=True).order_by("date_joined", "id").first()
    languages = {code for code, _name in settings.LANGUAGES}
    language = getattr(owner, "language", "") or DEFAULT_LANGUAGE
    return language if language in languages else DEFAULT_LANGUAGE


# --- rendering -------------------------------------------------------------------------------------

def invoice_purpose(invoice) -> str:
    """The payment purpose; its date is the invoice's date in Kyiv (as printed on the invoice)."""
    return (f"Оплата за рахунком № {invoice.number} від {timezone.localtime(invoice.created_at):%d.%m.%Y}: "
            f"передоплата за послуги "
            f"розсилки повідомлень, рахунок клієнта {invoice.client.public_id}")


def _totals(total: Decimal, supplier: Party) -> dict:
    return {"total": total, "vat": vat_included(total) if supplier.vat_payer else None,
            "vat_rate": VAT_RATE, "in_words": amount_in_words(total)}


def invoice_context(invoice) -> dict:
    supplier, buyer = document_parties(invoice)
    total = invoice.amount.amount
    return {"doc": invoice, "kind": "invoice", "supplier": supplier, "buyer": buyer,
            "lines": [{"n": 1, "name": None, "unit": None, "quantity": 1, "price": total, "sum": total}],
            "purpose": invoice_purpose(invoice), **_totals(total, supplier)}


def act_context(act) -> dict:
    supplier, buyer = document_parties(act)
    lines = [{"n": i, "kind": line["kind"], "quantity": line.get("quantity"), "sum": Decimal(line["amount"])}
             for i, line in enumerate(act.lines, start=1)]
    return {"doc": act, "kind": "act", "supplier": supplier, "buyer": buyer, "lines": lines,
            "services_total": act.services_total.amount, "bonus_total": act.bonus_total.amount,
            **_totals(act.total.amount, supplier)}


def _render(template: str, context: dict, *, client: Client, for_pdf: bool, request=None, links=None) -> str:
    """`links`: the page's "Back" and "Download PDF" addresses (`back_url`, `pdf_url`), not in a PDF."""
    with translation.override(document_language(client)):
        return render_to_string(template, {**context, **(links or {}), "for_pdf": for_pdf}, request=request)


def invoice_html(invoice, *, request=None, for_pdf: bool = False, links: dict | None = None) -> str:
    return _render("billing/documents/invoice.html", invoice_context(invoice), client=invoice.client,
                   for_pdf=for_pdf, request=request, links=links)


def act_html(act, *, request=None, for_pdf: bool = False, links: dict | None = None) -> str:
    return _render("billing/documents/act.html", act_context(act), client=act.client, for_pdf=for_pdf,
                   request=request, links=links)


def html_to_pdf(html: str) -> bytes:
    """The same HTML as a PDF (A4, the print CSS). The document's CSS is inline: nothing is fetched."""
    from weasyprint import HTML  # noqa: PLC0415 (heavy: loaded only when a PDF is asked for)

    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def invoice_pdf(invoice) -> bytes:
    return html_to_pdf(invoice_html(invoice, for_pdf=True))


def act_pdf(act) -> bytes:
    return html_to_pdf(act_html(act, for_pdf=True))
