"""Every CSV the website hands out makes formula-looking cells text and leaves plain numbers be."""
import csv
import io

import pytest

from smsportal.csvsafe import csv_cell, csv_writer

ATTACKS = [
    "=cmd()", "=HYPERLINK(\"http://evil\",\"x\")", "@SUM(A1)",
    "+1+cmd|' /C calc'!A0",  # passed the old check: '+' then a digit
    "-2+3+cmd|' /C calc'!A0",  # likewise
    "+380671234567+cmd|' /C calc'!A0", "-12.50+cmd", "-1e5", "+1 2", "-", "+",
    "\t=cmd()", "\r=cmd()", "\n=cmd()",
    "\uff1dcmd()", "\uff0b1+cmd", "\uff0d2+3", "\uff20SUM(A1)",  # full-width = + - @
    "-12.50\n", "+380671234567 ",  # a number with anything after it is not a plain number
]
NUMBERS = ["-12.50", "+380671234567", "-3,5", "12", "0.5", "-0", "+1", "380671234567"]
PLAIN_TEXT = ["", "Kyiv", "not a valid phone number", "Sale -20% today", "a=b", "1+1", "'=already quoted"]


@pytest.mark.parametrize("value", ATTACKS)
def test_formula_looking_cells_are_written_as_text(value):
    assert csv_cell(value) == "'" + value


@pytest.mark.parametrize("value", NUMBERS + PLAIN_TEXT)
def test_plain_numbers_and_text_are_kept_as_they_are(value):
    assert csv_cell(value) == value


def test_non_strings_and_none():
    from decimal import Decimal

    assert [csv_cell(v) for v in (None, 3, Decimal("-12.50"), -1.5)] == ["", "3", "-12.50", "-1.5"]


def test_writer_escapes_every_cell_and_round_trips():
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(["-2+3+cmd", "-12.50", 'say "hi", ok', None])
    writer.writerows([["@x", "+380671234567"]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["'-2+3+cmd", "-12.50", 'say "hi", ok', ""], ["'@x", "+380671234567"]]
