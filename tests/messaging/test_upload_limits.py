"""A recipient file is read with bounded memory whatever it unpacks to: zip bombs, huge cells and
lines, XML entities and forged row numbers are refused with a clear error before (or while) they
are read, never held in memory. The bombs are built here, streamed into the zip so the test
itself stays small."""
import io
import tracemalloc
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from messaging import uploads
from messaging.models import Campaign
from messaging.services import contact_group_create
from messaging.uploads import UploadError, upload_dir, upload_inspect

MB = 1024 * 1024
MEMORY_BOUND = 20 * MB  # Python heap a refused file may take (a normal 3-row workbook takes ~2 MB)
SST_TYPE = (b'<Override PartName="/xl/sharedStrings.xml" '
            b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
SST = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def workbook_bytes(rows=(("phone", "name"), ("0671234567", "Olha"))) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def repack(path, replace: dict, *, add=()):
    """A real workbook whose members in `replace` are rewritten: name -> (head, block, times, tail),
    written as head + block * times + tail without holding it in memory."""
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes()))
    names = source.namelist() + [name for name in replace if name not in source.namelist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name in names:
            if name in replace:
                head, block, times, tail = replace[name]
                with out.open(name, "w", force_zip64=True) as f:
                    f.write(head)
                    for _ in range(times):
                        f.write(block)
                    f.write(tail)
            elif name == "[Content_Types].xml" and "xl/sharedStrings.xml" in replace:  # how openpyxl finds them
                out.writestr(name, source.read(name).replace(b"</Types>", SST_TYPE + b"</Types>"))
            else:
                out.writestr(name, source.read(name))
        for name, data in add:
            out.writestr(name, data)
    return path


def refused_within_bound(path, match):
    tracemalloc.start()
    try:
        with pytest.raises(UploadError, match=match):
            upload_inspect(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND, f"peak {peak / MB:.1f} MB"


def test_one_megabyte_xlsx_whose_shared_strings_unpack_to_a_gigabyte_is_refused_in_bounded_memory(tmp_path):
    path = repack(tmp_path / "bomb.xlsx", {"xl/sharedStrings.xml": (SST + b"<si><t>", b"A" * MB, 1024,
                                                                      b"</t></si></sst>")})
    assert path.stat().st_size < 2 * MB
    refused_within_bound(path, r"unpacks to more than 16 MB in xl/sharedStrings\.xml")


def test_shared_string_under_the_part_limit_but_longer_than_a_cell_is_refused_while_streaming(tmp_path, any_ratio):
    path = repack(tmp_path / "long.xlsx", {"xl/sharedStrings.xml": (SST + b"<si><t>", b"B" * 1024, 8 * 1024,
                                                                      b"</t></si></sst>")})
    refused_within_bound(path, "longer than 5,000 characters")


def test_styles_bomb_is_refused(tmp_path):
    path = repack(tmp_path / "styles.xlsx", {"xl/styles.xml": (b"<styleSheet>", b" " * MB, 200, b"</styleSheet>")})
    refused_within_bound(path, r"in xl/styles\.xml")


def test_worksheet_packed_too_tightly_is_refused(tmp_path):
    path = repack(tmp_path / "sheet.xlsx", {"xl/worksheets/sheet1.xml": (b"<worksheet><sheetData>", b" " * MB, 100,
                                                                         b"</sheetData></worksheet>")})
    refused_within_bound(path, r"packed more than 200 times in xl/worksheets/sheet1\.xml")


def test_huge_tag_in_a_worksheet_is_refused_while_streaming(tmp_path, any_ratio):
    path = repack(tmp_path / "tag.xlsx", {"xl/worksheets/sheet1.xml": (b'<worksheet><sheetData a="', b"x" * MB, 20,
                                                                       b'"/></worksheet>')})
    refused_within_bound(path, "XML tag or text longer than 1 MB")


def test_too_many_members_is_refused(tmp_path):
    path = repack(tmp_path / "many.xlsx", {}, add=[(f"extra/{n}.bin", b"") for n in range(1001)])
    refused_within_bound(path, "at most 1,000 can be read")


def test_xml_entities_are_refused(tmp_path):
    laughs = (b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
              b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>')
    path = repack(tmp_path / "laughs.xlsx", {"xl/sharedStrings.xml": (laughs + SST, b"<si><t>&c;</t></si>", 1,
                                                                        b"</sst>")})
    refused_within_bound(path, "entities")


def test_forged_row_number_stops_at_the_line_limit(tmp_path, monkeypatch):
    """`<row r="2000000000">` made openpyxl yield two billion empty rows before it."""
    monkeypatch.setattr(uploads, "MAX_SHEET_ROWS", 1000)
    sheet = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             b'<row r="1"><c r="A1" t="inlineStr"><is><t>0671234567</t></is></c></row>'
             b'<row r="2000000000"><c r="A2000000000" t="inlineStr"><is><t>0501234567</t></is></c></row>')
    path = repack(tmp_path / "rows.xlsx", {"xl/worksheets/sheet1.xml": (sheet, b"", 0, b"</sheetData></worksheet>")})
    refused_within_bound(path, "more than 1,000 lines")


WS = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
WS_END = b"</sheetData></worksheet>"


@pytest.fixture
def any_ratio(monkeypatch):
    """Lets the compression ratio pass, so that the check under test must hold alone."""
    monkeypatch.setattr(uploads, "XLSX_MAX_RATIO", 10**9)


def test_styles_of_four_million_tiny_elements_is_refused_while_streaming(tmp_path, any_ratio):
    """16 MB of <a/>: openpyxl parses styles.xml whole, some hundreds of MB of elements."""
    path = repack(tmp_path / "elements.xlsx", {"xl/styles.xml": (b"<styleSheet>", b"<a/>" * 1024, 4095,
                                                                  b"</styleSheet>")})
    refused_within_bound(path, "more than 200,000 XML elements")


def test_elements_outside_rows_of_a_worksheet_are_refused(tmp_path, any_ratio):
    """openpyxl empties rows once read, but keeps whatever else the sheet holds."""
    path = repack(tmp_path / "junk.xlsx", {"xl/worksheets/sheet1.xml": (WS, b"<x/>" * 1000, 201, WS_END)})
    refused_within_bound(path, "more than 200,000 XML elements")


def test_row_of_too_many_cells_is_refused(tmp_path, any_ratio):
    path = repack(tmp_path / "wide.xlsx", {"xl/worksheets/sheet1.xml": (WS + b"<row>", b"<c/>" * 1024, 65, b"</row>"
                                                                        + WS_END)})
    refused_within_bound(path, "a row or text of more than 65,536 XML elements")


def test_row_of_too_many_bytes_is_refused(tmp_path, any_ratio):
    cell = b'<c r="A1" x="' + b"y" * 500_000 + b'"/>'
    path = repack(tmp_path / "fat.xlsx", {"xl/worksheets/sheet1.xml": (WS + b"<row>", cell, 5, b"</row>" + WS_END)})
    refused_within_bound(path, "a row or text of more than 2 MB")


def test_row_of_too_much_text_is_refused(tmp_path):
    cell = b'<c t="inlineStr"><is><t>' + b"t" * 4000 + b"</t></is></c>"
    path = repack(tmp_path / "text.xlsx", {"xl/worksheets/sheet1.xml": (WS + b"<row>", cell, 6, b"</row>" + WS_END)})
    refused_within_bound(path, "longer than 20,000 characters in all")


def test_too_many_shared_strings_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(uploads, "XLSX_MAX_STRINGS", 1000)
    path = repack(tmp_path / "texts.xlsx", {"xl/sharedStrings.xml": (SST, b"<si><t>x</t></si>", 1001, b"</sst>")})
    refused_within_bound(path, "more than 1,000 different texts")


def test_shared_string_of_many_runs_is_one_cell(tmp_path):
    run = b"<r><t>" + b"r" * 1000 + b"</t></r>"
    path = repack(tmp_path / "runs.xlsx", {"xl/sharedStrings.xml": (SST + b"<si>", run, 6, b"</si></sst>")})
    refused_within_bound(path, "longer than 5,000 characters")


def test_forged_sheet_width_reads_only_the_columns_that_can_be_used(tmp_path):
    sheet = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             b'<dimension ref="A1:XFD3"/><sheetData>'
             b'<row r="1"><c r="A1" t="inlineStr"><is><t>phone</t></is></c></row>'
             b'<row r="2"><c r="A2" t="inlineStr"><is><t>0671234567</t></is></c></row>'
             b'<row r="3"><c r="XFD3" t="inlineStr"><is><t>far away</t></is></c></row>')
    path = repack(tmp_path / "wide.xlsx", {"xl/worksheets/sheet1.xml": (sheet, b"", 0, b"</sheetData></worksheet>")})
    result = upload_inspect(path)
    assert result.rows == 1 and [c.title for c in result.layout.columns] == ["phone"]


def test_long_xlsx_cell_is_refused(tmp_path):
    path = tmp_path / "cell.xlsx"
    path.write_bytes(workbook_bytes([("phone", "note"), ("0671234567", "x" * 5001)]))
    refused_within_bound(path, "longer than 5,000 characters")


def test_csv_of_one_huge_line_is_refused_in_bounded_memory(tmp_path):
    path = tmp_path / "line.csv"
    path.write_bytes(b"phone\n0671234567," + b"a," * (10 * MB) + b"\n")
    refused_within_bound(path, "longer than 1,048,576 characters")


def test_csv_cell_and_row_limits(tmp_path):
    path = tmp_path / "cell.csv"
    path.write_text("phone,note\n0671234567," + "y" * 5001 + "\n")
    refused_within_bound(path, "Line 2 has a value longer than 5,000 characters")
    path.write_text("phone" + ",note" * 49 + "\n0671234567" + ("," + "z" * 4000) * 49 + "\n")
    refused_within_bound(path, "Line 2 is longer than 20,000 characters in all")


def test_ordinary_files_at_the_edges_still_read(tmp_path):
    path = tmp_path / "ok.xlsx"
    path.write_bytes(workbook_bytes([("phone", "note")] + [(f"067{n:07d}", "n" * 5000) for n in range(3)]))
    assert upload_inspect(path).rows == 3
    csv_path = tmp_path / "ok.csv"
    csv_path.write_text("phone,note\n" + "".join(f"067{n:07d},{'n' * 5000}\n" for n in range(3)))
    assert upload_inspect(csv_path).rows == 3


def test_openpyxl_refuses_xml_entities_itself():
    """defusedxml is installed, so openpyxl parses every part with it (a second wall behind _xml_check)."""
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML


# --- the website ------------------------------------------------------------------------------------

def bomb_upload(tmp_path, name="bomb.xlsx"):
    path = repack(tmp_path / name, {"xl/sharedStrings.xml": (SST + b"<si><t>", b"A" * MB, 64, b"</t></si></sst>")})
    return SimpleUploadedFile(name, path.read_bytes())


def test_new_campaign_with_a_bomb_file_is_a_form_error(web, tmp_path):
    form = {"name": "Spring sale", "sender": "TestShop", "text": "Hi", "source": "file", "numbers": "",
            "send_at": "", "ttl": "86400", "file": bomb_upload(tmp_path)}
    response = web.post(reverse("campaign_new"), form)
    assert response.status_code == 400
    assert any("cannot be read" in e for e in response.context["form"].errors["file"])
    assert list(upload_dir().iterdir()) == [] and not Campaign.objects.exists()


def test_contact_import_of_a_bomb_file_is_a_message(web, tmp_path):
    group = contact_group_create(client=web.account, name="G")
    response = web.post(reverse("contact_import", args=[group.pk]), {"file": bomb_upload(tmp_path)}, follow=True)
    assert response.status_code == 200 and "cannot be read" in response.content.decode()
    assert list(upload_dir().iterdir()) == []


def test_worksheet_under_another_name_is_checked_all_the_same(tmp_path):
    """openpyxl finds a worksheet through the workbook's relationships, not by its name: a sheet
    stored as sheet1.bin, uncompressed (so no packing ratio trips), with one row of 70,000 cells
    would be built whole by openpyxl. It is checked like any XML part, by its content."""
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes()))
    path = tmp_path / "renamed.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                out.writestr("xl/worksheets/sheet1.bin", WS + b"<row>" + b"<c/>" * 70_000 + b"</row>" + WS_END,
                             compress_type=zipfile.ZIP_STORED)
                continue
            if name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
                data = data.replace(b"worksheets/sheet1.xml", b"worksheets/sheet1.bin")
            out.writestr(name, data)
    refused_within_bound(path, "a row or text of more than 65,536 XML elements")
