"""The payment purpose names the invoice's date in Kyiv: an invoice issued at 00:30 Kyiv time (22:30
UTC the day before) is dated that Kyiv day, the same date the invoice shows ("від …")."""
from datetime import datetime, timezone as dt_timezone

import pytest
import time_machine

from billing.documents import invoice_purpose
from billing.services import invoice_issue
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def test_payment_purpose_uses_the_kyiv_date_after_midnight():
    client = make_client()
    with time_machine.travel(datetime(2026, 3, 4, 22, 30, tzinfo=dt_timezone.utc), tick=False):  # 5 March 00:30 Kyiv
        invoice = invoice_issue(client=client, amount=100)
    assert f"№ {invoice.number} від 05.03.2026:" in invoice_purpose(invoice)
