"""CSV files the website hands out, safe to open in Excel, LibreOffice or Google Sheets.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula (`=HYPERLINK(…)`,
`+1+cmd|' /C calc'!A0`, `-2+3+cmd…`, `@SUM(…)`), and a leading TAB or CR/LF can hide such a start
from a reader; some spreadsheets also take the full-width forms `＝ ＋ － ＠` (U+FF1D, U+FF0B,
U+FF0D, U+FF20) for the ASCII ones. Campaign names, texts, rejected rows and ledger descriptions
come from clients, so every cell of every export goes through `csv_cell`:

- a cell that starts with one of `= + - @ ＝ ＋ － ＠ TAB CR LF` is written with a `'` in front,
  so the spreadsheet shows it as text (the `'` itself is not shown by Excel);
- except a plain number: an optional ASCII `+` or `-`, digits, and at most one `.` or `,` followed
  by digits, nothing else (`-12.50`, `+380671234567`, `-3,5`). A spreadsheet reads such a cell as
  that number and nothing can run, so money and phone numbers stay numbers. Anything more
  (`+1+2`, `-1e5`, `+380 67 123`, `-12.50 `, a trailing newline) gets the `'`;
- every other cell is written as it is (the csv module quotes commas, quotes and newlines).

Use `csv_writer(out)` instead of `csv.writer(out)`: its `writerow` applies `csv_cell` to each value.
"""
import csv
import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")


def csv_cell(value) -> str:
    """The text of one cell: `None` is empty, a formula-looking start gets a `'` (see above)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class _SafeWriter:
    def __init__(self, out, **kwargs):
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, values):
        return self._writer.writerow([csv_cell(v) for v in values])

    def writerows(self, rows):
        for values in rows:
            self.writerow(values)


def csv_writer(out, **kwargs) -> _SafeWriter:
    """`csv.writer(out, **kwargs)` whose rows are made safe cell by cell with `csv_cell`."""
    return _SafeWriter(out, **kwargs)
