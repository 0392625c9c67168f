"""Monthly acts of services rendered (акт наданих послуг) from the ledger: one per client and
Kyiv month, the bonus part taken off, listed for the client, printable and as PDF (R-BILL-01,
R-BILL-05, R-ACC-10)."""
import re
from datetime import date
from decimal import Decimal
from html import unescape

import pytest
import time_machine
from django.db import transaction
from django_celery_beat.models import PeriodicTask
from djmoney.money import Money

from accounts.models import Client
from billing.models import ServiceAct
from billing.services import (billing_config_get, previous_month, service_act_generate, service_acts_generate,
                              wallet_capture, wallet_charge, wallet_hold, wallet_refund, wallet_release)
from billing.services.settlement import wallet_penalty
from billing.documents import act_html, act_pdf
from billing.exceptions import BillingError
from billing.tasks import service_acts_generate_task
from tests.billing.factories import kyiv, make_staff
from tests.billing.test_invoice_document import pdf_info, pdf_pages
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def _text(html: str) -> str:
    body = html[html.index("<body"):]
    return re.sub(r"\s+,", ",", " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split()))


@pytest.fixture
def november_client():
    """A client with a 10 UAH registration bonus who in November 2026 (Kyiv) paid 30 UAH by a
    charge (5 UAH of it refunded) and 20 UAH by a capture, and a 100 UAH penalty (not a service);
    with entries just outside the month on both sides."""
    config = billing_config_get()
    config.registration_bonus = Money(Decimal("10"), "UAH")
    config.save()
    with time_machine.travel(kyiv("2026-10-20 12:00"), tick=False):
        client = make_client(name="Kvitka", balance=200)
        Client.objects.filter(pk=client.pk).update(legal_name="ТОВ «Квітка»", tax_code="87654321",
                                                   signatory_name="Коваль І. І.", signatory_position="Директор")
        client.refresh_from_db()
        owner = client.users.first()
        owner.language = "en"
        owner.save(update_fields=["language"])
    with time_machine.travel(kyiv("2026-10-31 23:50"), tick=False), transaction.atomic():
        wallet_charge(client=client, amount=Decimal("1"), key="october", description="October SMS")
    with time_machine.travel(kyiv("2026-11-01 00:10"), tick=False), transaction.atomic():
        wallet_charge(client=client, amount=Decimal("30"), key="charge-1", description="SMS")
    with time_machine.travel(kyiv("2026-11-15 10:00"), tick=False):
        wallet_refund(client_id=client.pk, amount=Decimal("5"), key="refund-1", description="undelivered",
                      charge_key="charge-1")
        with transaction.atomic():
            wallet_hold(client=client, amount=Decimal("50"), key="hold-1", description="send")
        wallet_capture(client=client, hold_key="hold-1", amount=Decimal("20"), key="capture-1")
        wallet_release(client=client, hold_key="hold-1", key="release-1")
        wallet_penalty(client=client, reason="T 6.14", key="penalty-1", amount=Decimal("100"))
    with time_machine.travel(kyiv("2026-12-01 00:05"), tick=False), transaction.atomic():  # Nov 30 in UTC
        wallet_charge(client=client, amount=Decimal("7"), key="december", description="December SMS")
    return client


def test_r_bill_01_act_sums_the_kyiv_months_services_less_the_bonus(november_client):
    with time_machine.travel(kyiv("2026-12-02 09:00"), tick=False):
        act = service_act_generate(client=november_client, period=date(2026, 11, 1))
    # services: 30 charged − 5 refunded + 20 captured = 45 (not October's 1 UAH, December's 7 or the
    # penalty). The bonus (10, of which October took 1) paid 9 of the charge, the refund returned 5
    # to it and the capture spent those 5 again: 9 paid by the bonus, 36 by the client's money.
    assert act.services_total.amount == Decimal("45.00") and act.bonus_total.amount == Decimal("9.00")
    assert act.total.amount == Decimal("36.00")
    assert act.lines == [{"kind": "messaging", "amount": "45.00"}]
    assert act.period == date(2026, 11, 1) and act.act_date == date(2026, 11, 30)
    assert act.number == f"SP-A-202611-{november_client.pk:06d}"


def test_r_bill_01_one_act_per_client_and_month(november_client):
    with time_machine.travel(kyiv("2026-12-02 09:00"), tick=False):
        first = service_act_generate(client=november_client, period=date(2026, 11, 1))
        again = service_act_generate(client=november_client, period=date(2026, 11, 20))
        assert service_acts_generate(period=date(2026, 11, 1)) == [first]
    assert again.pk == first.pk and ServiceAct.objects.count() == 1


def test_r_bill_01_no_act_for_a_month_without_services_or_not_ended(november_client):
    with time_machine.travel(kyiv("2026-12-02 09:00"), tick=False):
        assert service_act_generate(client=november_client, period=date(2026, 9, 1)) is None
        with pytest.raises(BillingError) as exc:
            service_act_generate(client=november_client, period=date(2026, 12, 1))
    assert exc.value.code == "month_not_ended"


def test_r_bill_01_the_monthly_job_makes_the_previous_kyiv_months_acts_once(november_client):
    make_client(name="Idle")  # no services: no act
    with time_machine.travel(kyiv("2026-12-01 03:20"), tick=False):  # still Nov 30 in UTC until 02:00
        assert previous_month() == date(2026, 11, 1)
        assert service_acts_generate_task() == 1
        assert service_acts_generate_task() == 1
    assert list(ServiceAct.objects.values_list("client_id", "period")) == [(november_client.pk, date(2026, 11, 1))]
    job = PeriodicTask.objects.get(task="billing.service_acts_generate")
    assert job.enabled and job.crontab.day_of_month == "1" and str(job.crontab.timezone) == "Europe/Kyiv"


def test_r_acc_10_act_document_prints_both_parties_and_the_amount_in_words(november_client, settings):
    settings.SMSPORTAL_SUPPLIER_VAT_PAYER = True
    with time_machine.travel(kyiv("2026-12-02 09:00"), tick=False):
        act = service_act_generate(client=november_client, period=date(2026, 11, 1))
    html = act_html(act, for_pdf=True)
    text = _text(html)
    assert f"Act of services rendered № {act.number}" in text and "of 30.11.2026" in text
    assert settings.SMSPORTAL_SUPPLIER_NAME in text and f"EDRPOU {settings.SMSPORTAL_SUPPLIER_EDRPOU}" in text
    assert "ТОВ «Квітка», EDRPOU 87654321" in text and "Коваль І. І." in text
    assert "from 01.11.2026 to 30.11.2026" in text
    assert "45.00" in text and "−9.00" in text
    assert "Тридцять шість гривень 00 копійок" in text and "Including VAT 20 %: 6.00" in text
    pdf = act_pdf(act)
    assert pdf_pages(pdf) >= 1 and pdf_info(pdf, "Subject") == "Тридцять шість гривень 00 копійок"


def test_r_bill_01_the_client_sees_its_acts_and_downloads_them(client, november_client):
    with time_machine.travel(kyiv("2026-12-02 09:00"), tick=False):
        act = service_act_generate(client=november_client, period=date(2026, 11, 1))
    client.force_login(november_client.users.first())
    overview = client.get("/billing/").content.decode()
    assert act.number in overview and f"/billing/acts/{act.public_id}/document.pdf" in overview
    page = client.get(f"/billing/acts/{act.public_id}/")
    assert page.status_code == 200 and "Тридцять шість гривень 00 копійок" in page.content.decode()
    pdf = client.get(f"/billing/acts/{act.public_id}/document.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf_pages(pdf.content) >= 1
    other = make_client(name="Other")
    client.force_login(other.users.first())
    assert client.get(f"/billing/acts/{act.public_id}/").status_code == 404
    assert client.get(f"/billing/acts/{act.public_id}/document.pdf").status_code == 404


def test_r_bill_01_staff_generate_acts_on_demand(client, november_client):
    client.force_login(make_staff())
    url = "/admin/billing/serviceact/generate/"
    with time_machine.travel(kyiv("2026-12-02 09:00"), tick=True):
        assert client.get(url).status_code == 200
        assert client.post(url, {"month": "2026-11"}).status_code == 302
        refused = client.post(url, {"month": "2026-12"})
    assert refused.status_code == 200 and b"has ended" in refused.content
    act = ServiceAct.objects.get()
    assert client.get(f"/admin/billing/serviceact/{act.pk}/document/").status_code == 200
