"""Delivery-report exports of the message list (API `?format=csv`, website CSV and XLSX), in
constant memory however many rows the filters select:

- CSV is a StreamingHttpResponse: the rows come from a server-side cursor (`messages_export_rows`,
  2,000 at a time) and leave as they are written; nothing holds the whole file.
- XLSX (a zip of XML) is written by openpyxl's write-only workbook, which streams each row to a
  temporary file, and the finished file is sent by FileResponse (the temporary file is deleted
  when the response is closed). bench/export_memory.py measures both.

Every cell goes through smsportal.csvsafe (a spreadsheet runs a cell that starts with `=`); times
are Kyiv time, ISO 8601.
"""
from __future__ import annotations

import tempfile
import uuid

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from smsportal.csvsafe import csv_cell, csv_writer
from smsportal.kyiv import KYIV

from .selectors import EXPORT_COLUMNS, messages_export_rows

HEADER = [c for c, _f in EXPORT_COLUMNS]
_TIMES = {i for i, (c, _f) in enumerate(EXPORT_COLUMNS) if c.endswith("_at")}
_PRICE = next(i for i, (c, _f) in enumerate(EXPORT_COLUMNS) if c == "price")


def _cells(row) -> list:
    out = [str(v) if isinstance(v, uuid.UUID) else v for v in row]
    for i in _TIMES:
        if out[i] is not None:
            out[i] = out[i].astimezone(KYIV).isoformat(timespec="seconds")
    if out[_PRICE] is not None:
        out[_PRICE] = format(out[_PRICE], "f")
    return out


class _Line:
    """A file-like object whose `write` hands back what was written (csv.writer writes one line)."""

    def write(self, value):
        return value


def csv_lines(qs):
    """The CSV text of the export, one line at a time (UTF-8 with a BOM for Excel)."""
    writer = csv_writer(_Line())
    yield "\ufeff" + writer.writerow(HEADER)
    for row in messages_export_rows(qs):
        yield writer.writerow(_cells(row))


def _filename(ext: str) -> str:
    return f"messages-{timezone.localtime():%Y%m%d-%H%M}.{ext}"


def csv_response(qs) -> StreamingHttpResponse:
    response = StreamingHttpResponse((line.encode() for line in csv_lines(qs)),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename("csv")}"'
    response["Cache-Control"] = "no-store"
    return response


def xlsx_file(qs):
    """The export as an XLSX file (an open temporary file, at its start): openpyxl's write-only
    workbook keeps no row in memory."""
    from openpyxl import Workbook  # noqa: PLC0415 (openpyxl is only needed by this export)
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # noqa: PLC0415

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("messages")
    ws.append(HEADER)
    for row in messages_export_rows(qs):
        ws.append([ILLEGAL_CHARACTERS_RE.sub("", csv_cell(v)) if isinstance(v, str) else v for v in _cells(row)])
    out = tempfile.TemporaryFile(suffix=".xlsx")
    wb.save(out)
    out.seek(0)
    return out


def xlsx_response(qs) -> FileResponse:
    return FileResponse(
        xlsx_file(qs), as_attachment=True, filename=_filename("xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
