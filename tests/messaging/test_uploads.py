"""Reading recipient files: CSV dialects and encodings, XLSX, the phone column, {variables}, limits."""
import datetime
import os
import stat

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from messaging import uploads
from messaging.uploads import (UploadError, recipient_dicts, upload_check, upload_head, upload_inspect, upload_path,
                               upload_recipients, upload_save, variable_name)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def write(tmp_path, name, content, encoding="utf-8"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding=encoding)
    return path


def xlsx(tmp_path, rows, name="book.xlsx"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    workbook.save(path)
    return path


def titles(inspection):
    return [(c.title, c.variable) for c in inspection.layout.columns]


# --- CSV dialects -------------------------------------------------------------------------------

def test_comma_csv_with_header_and_variables(tmp_path):
    path = write(tmp_path, "a.csv", "phone,name,City\n0671234567,Olha,Kyiv\n0501234567,Ivan,Lviv\n")
    result = upload_inspect(path)
    assert result.rows == 2
    assert result.layout.has_header and result.layout.phone_column == 0
    assert titles(result) == [("phone", "phone"), ("name", "name"), ("City", "city")]
    assert result.layout.variables(0) == ["name", "city"]
    assert list(recipient_dicts(result.layout, result.head, 0)) == [
        {"phone": "0671234567", "name": "Olha", "city": "Kyiv"},
        {"phone": "0501234567", "name": "Ivan", "city": "Lviv"}]


def test_semicolon_cp1251_with_cyrillic_headers(tmp_path):
    path = write(tmp_path, "ua.csv", "Ім'я;Місто;Телефон\nОлег;Київ;+38 (067) 123-45-67\n", encoding="cp1251")
    result = upload_inspect(path)
    assert titles(result) == [("Ім'я", "name"), ("Місто", "misto"), ("Телефон", "phone")]
    assert result.layout.phone_column == 2
    assert result.preview == [["Олег", "Київ", "+38 (067) 123-45-67"]]


def test_utf8_bom_and_tab_delimiter(tmp_path):
    path = write(tmp_path, "t.csv", "\ufeffid\tmobile\tName\n1\t0671234567\tOlha\n")
    result = upload_inspect(path)
    assert titles(result)[0] == ("id", "id")  # the BOM is not part of the first header
    assert result.layout.phone_column == 1
    assert result.layout.variables(1) == ["id", "name"]


def test_utf16_excel_unicode_text(tmp_path):
    path = write(tmp_path, "u.txt", "Телефон\tІм'я\r\n0671234567\tОльга\r\n".encode("utf-16"))
    result = upload_inspect(path)
    assert result.head == [["0671234567", "Ольга"]]


def test_no_header_phone_column_found_by_values(tmp_path):
    path = write(tmp_path, "n.csv", "Ivan Telenko,0671234567\nOlha,0501234567\n,\n")
    result = upload_inspect(path)
    assert not result.layout.has_header
    assert result.rows == 2  # the blank row is skipped
    assert result.layout.phone_column == 1
    assert titles(result) == [("Column 1", "col1"), ("Column 2", "col2")]


def test_single_column_of_numbers(tmp_path):
    path = write(tmp_path, "p.csv", "0671234567\n+380501234567\n")
    result = upload_inspect(path)
    assert not result.layout.has_header and result.layout.phone_column == 0 and result.rows == 2


def test_phone_header_beats_an_order_number_column(tmp_path):
    path = write(tmp_path, "o.csv", "Номер замовлення,Номер телефону\n1024,0671234567\n1025,0501234567\n")
    result = upload_inspect(path)
    assert result.layout.phone_column == 1
    assert result.layout.variables(1) == ["nomer_zamovlennia"]


def test_quoted_fields_and_short_rows_are_padded(tmp_path):
    path = write(tmp_path, "q.csv", 'phone,name,note\n0671234567,"Shevchenko, Taras","a ""b"""\n0501234567\n')
    result = upload_inspect(path)
    assert result.head == [["0671234567", "Shevchenko, Taras", 'a "b"'], ["0501234567", "", ""]]


def test_variable_names_are_normalized():
    assert variable_name("Місто доставки") == "misto_dostavky"
    assert variable_name("Ім’я") == "name"
    assert variable_name("ПІБ") == "name"
    assert variable_name("First Name!") == "first_name"
    assert variable_name("2024 total") == "col_2024_total"
    assert variable_name("***") == ""


def test_repeated_headers_get_distinct_variables(tmp_path):
    path = write(tmp_path, "r.csv", "phone,code,Code,\n0671234567,1,2,3\n")
    result = upload_inspect(path)
    assert [c.variable for c in result.layout.columns] == ["phone", "code", "code_2", "col4"]


# --- XLSX -------------------------------------------------------------------------------------

def test_xlsx_numbers_dates_and_text(tmp_path):
    path = xlsx(tmp_path, [["Phone", "Name", "Sum", "Visit"],
                           [380671234567, "Olha", 12.5, datetime.date(2026, 3, 8)],
                           ["0501234567", "Ivan", 3.0, None],
                           [None, None, None, None]])
    result = upload_inspect(path)
    assert result.layout.kind == "xlsx" and result.rows == 2
    assert result.head == [["380671234567", "Olha", "12.5", "08.03.2026"], ["0501234567", "Ivan", "3", ""]]
    assert result.layout.variables(0) == ["name", "sum", "visit"]


def test_xlsx_without_header(tmp_path):
    path = xlsx(tmp_path, [["0671234567", "Olha"], ["0501234567", "Ivan"]])
    result = upload_inspect(path)
    assert not result.layout.has_header and result.layout.phone_column == 0 and result.rows == 2


def test_broken_xlsx_is_a_clear_error(tmp_path):
    path = write(tmp_path, "broken.xlsx", b"PK\x03\x04 this is not a workbook")
    with pytest.raises(UploadError, match="not a readable XLSX"):
        upload_inspect(path)


def test_xlsx_name_with_other_content(tmp_path):
    path = write(tmp_path, "fake.xlsx", "phone\n0671234567\n")
    with pytest.raises(UploadError, match="not a readable XLSX"):
        upload_inspect(path)


def test_old_xls_is_refused(tmp_path):
    path = write(tmp_path, "old.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(UploadError, match=r"\.xls"):
        upload_inspect(path)


# --- limits and errors -------------------------------------------------------------------------

def test_empty_file(tmp_path):
    with pytest.raises(UploadError, match="empty"):
        upload_inspect(write(tmp_path, "e.csv", ""))
    with pytest.raises(UploadError, match="empty"):
        upload_inspect(write(tmp_path, "blank.csv", "\n \n\n"))


def test_header_without_rows(tmp_path):
    with pytest.raises(UploadError, match="no rows"):
        upload_inspect(write(tmp_path, "h.csv", "phone,name\n"))


def test_binary_file_is_not_csv(tmp_path):
    with pytest.raises(UploadError, match="CSV"):
        upload_inspect(write(tmp_path, "bin.csv", b"%PDF-1.4\x00\x00\x01binary"))


def test_row_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_ROWS", 10)
    path = write(tmp_path, "big.csv", "phone\n" + "0671234567\n" * 11)
    with pytest.raises(UploadError, match="more than 10 rows"):
        upload_inspect(path)
    with pytest.raises(UploadError, match="more than 10 rows"):
        name = upload_save(SimpleUploadedFile("big.csv", path.read_bytes()))
        list(upload_recipients(name, 0))


def test_inspect_keeps_only_the_head_in_memory(tmp_path):
    path = write(tmp_path, "many.csv", "phone\n" + "".join(f"067{n:07d}\n" for n in range(3000)))
    result = upload_inspect(path, head=10)
    assert result.rows == 3000 and len(result.head) == 10 and len(result.preview) == 5
    assert upload_head(path, rows=7).rows == 7


@pytest.mark.parametrize("name, content, message", [
    ("list.pdf", b"%PDF", "Upload a CSV"),
    ("old.xls", b"x", r"\.xls"),
    ("empty.csv", b"", "empty"),
])
def test_upload_check_refuses_wrong_type_and_empty(name, content, message):
    with pytest.raises(UploadError, match=message):
        upload_check(SimpleUploadedFile(name, content))


def test_upload_check_size_limit(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_BYTES", 100)
    with pytest.raises(UploadError, match="at most"):
        upload_check(SimpleUploadedFile("big.csv", b"0" * 101))


# --- storage ----------------------------------------------------------------------------------

def test_upload_is_stored_privately_under_a_random_name(media):
    name = upload_save(SimpleUploadedFile("../../Clients list.csv", b"phone\n0671234567\n"))
    path = upload_path(name)
    assert path.parent == media / "uploads" and path.is_file()
    assert "Clients" not in name and name.endswith(".csv") and len(name) == 36
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert upload_save(SimpleUploadedFile("Clients list.csv", b"phone\n")) != name


def test_upload_path_cannot_leave_the_folder(media):
    assert upload_path("../../etc/passwd") == media / "uploads" / "passwd"
    with pytest.raises(UploadError):
        upload_path("..")


def test_upload_recipients_streams_dicts_and_reports_a_missing_file_lazily(media):
    name = upload_save(SimpleUploadedFile("c.csv", "Телефон,Ім'я\n0671234567,Олег\n".encode()))
    assert list(upload_recipients(name, 0)) == [{"name": "Олег", "phone": "0671234567"}]
    rows = upload_recipients("missing.csv", 0)  # nothing happens until it is read
    with pytest.raises(UploadError, match="gone"):
        next(rows)


def test_other_phone_column_can_be_chosen(media):
    name = upload_save(SimpleUploadedFile("c.csv", b"phone,backup\n0671234567,0501234567\n"))
    assert list(upload_recipients(name, 1)) == [{"phone": "0501234567"}]  # the "phone" column is not a variable
    with pytest.raises(UploadError, match="column"):
        list(upload_recipients(name, 5))
