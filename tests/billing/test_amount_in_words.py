"""The amount in words on invoices and acts: Ukrainian, hryvnias agreed with the number (feminine:
одна, дві), kopiykas as digits with their own agreement (billing.documents, R-BILL-02)."""
from decimal import Decimal

import pytest

from billing.documents import amount_in_words, vat_included


@pytest.mark.parametrize(("amount", "words"), [
    ("1", "Одна гривня 00 копійок"),
    ("2", "Дві гривні 00 копійок"),
    ("5", "П'ять гривень 00 копійок"),
    ("11", "Одинадцять гривень 00 копійок"),
    ("12", "Дванадцять гривень 00 копійок"),
    ("21", "Двадцять одна гривня 00 копійок"),
    ("22", "Двадцять дві гривні 00 копійок"),
    ("111", "Сто одинадцять гривень 00 копійок"),
    ("1234.56", "Одна тисяча двісті тридцять чотири гривні 56 копійок"),
    ("2002.02", "Дві тисячі дві гривні 02 копійки"),
    ("1000000", "Один мільйон гривень 00 копійок"),
    ("0.01", "Нуль гривень 01 копійка"),
    ("0.11", "Нуль гривень 11 копійок"),
    ("3.21", "Три гривні 21 копійка"),
])
def test_r_bill_02_amount_in_words_is_ukrainian_with_agreed_hryvnias_and_kopiykas(amount, words):
    assert amount_in_words(Decimal(amount)) == words


def test_r_bill_02_amount_in_words_rounds_to_the_kopiyka():
    assert amount_in_words("10.005") == "Десять гривень 01 копійка"


def test_r_bill_02_vat_is_a_sixth_of_a_price_that_includes_it():
    assert vat_included(Decimal("1200")) == Decimal("200.00")
    assert vat_included(Decimal("1000")) == Decimal("166.67")
