"""Every write of the billing app (and the pricing other apps call), as one namespace:
`from billing.services import wallet_charge, sms_price, …` keeps working as the package grows.

- ledger: the wallet and its append-only entries (top-up, bonus, charge, refund, holds)
- holds: settling many holds at once: `hold_settle` turns the outcomes of what a send paid for into
  captures, releases and pay-for-delivered refunds (`hold_open` reserves, in `ledger`)
- prices, grace, rates: price lists, top-up steps and grace periods, EUR/UAH for Viber
- invoices: invoices, payments by staff and by the payment system's callback
- payments: bank payments by amount (staff, bank statement CSV) for invoices
- acts: monthly acts of services rendered from the ledger
- settlement: overdraft, adjustments, penalties, withholding, payouts, Viber re-pricing
"""
from .acts import previous_month, service_act_generate, service_acts_generate
from .config import billing_config_get
from .grace import GRACE_DAYS, grace_period_current, grace_period_open, topup_step_for
from ..holdrefs import HoldRef, OpenHold, Outcome, SettleItem
from .holds import HoldMove, hold_settle, hold_stop, holds_release_rest, holds_settle
from .invoices import (invoice_cancel, invoice_issue, invoice_mark_paid, payment_callback_apply,
                       payment_signature)
from .ledger import (HoldNotCommitted, bonus_credit, hold_open, hold_remaining, overdraft_due_date, wallet_assert_can_pay, wallet_assert_can_spend,
                     wallet_capture, wallet_charge, wallet_hold, wallet_is_overdue, wallet_open, wallet_refund, wallet_release,
                     wallet_topup, wallets_reconcile)
from .payments import (StatementInvalid, StatementRow, bank_statement_apply, bank_statement_match,
                       bank_statement_parse, bank_statement_preview, invoice_number_find, invoice_payment_record)
from .prices import (PRICE_QUANT, PriceContext, grace_periods_active, price_context, price_table_for_client,
                     sms_flat_prices, sms_price,
                     tariff_copy, tariff_current, tariff_upcoming, unit_price, viber_price)
from .rates import base_rate_set, eur_to_uah, exchange_rates_load, nbu_rates_parse, rate_for
from .settlement import (RepriceItem, reprice_viber_messages, wallet_adjust, wallet_overdraft_set, wallet_payout,
                         wallet_penalty, wallet_refundable, wallet_withhold)

__all__ = [
    "StatementInvalid", "StatementRow", "bank_statement_apply", "bank_statement_match", "bank_statement_parse",
    "bank_statement_preview", "invoice_number_find", "invoice_payment_record", "previous_month",
    "service_act_generate", "service_acts_generate",
    "GRACE_DAYS", "PRICE_QUANT", "HoldMove", "HoldNotCommitted", "PriceContext", "price_context", "RepriceItem", "base_rate_set", "billing_config_get", "bonus_credit",
    "eur_to_uah", "exchange_rates_load", "grace_period_current", "grace_period_open", "grace_periods_active",
    "HoldRef", "OpenHold", "Outcome", "SettleItem", "hold_open", "hold_settle", "hold_stop",
    "hold_remaining", "holds_release_rest", "holds_settle", "invoice_cancel", "invoice_issue", "invoice_mark_paid", "nbu_rates_parse",
    "overdraft_due_date", "payment_callback_apply", "payment_signature", "price_table_for_client", "rate_for",
    "reprice_viber_messages", "sms_flat_prices", "sms_price", "tariff_copy", "tariff_current", "tariff_upcoming", "topup_step_for",
    "unit_price",
    "viber_price", "wallet_adjust", "wallet_assert_can_pay", "wallet_assert_can_spend", "wallet_capture",
    "wallet_charge", "wallet_hold",
    "wallet_is_overdue", "wallet_open", "wallet_overdraft_set", "wallet_payout", "wallet_penalty",
    "wallet_refund", "wallet_refundable", "wallet_release", "wallet_topup", "wallet_withhold", "wallets_reconcile",
]
