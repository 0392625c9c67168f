"""A client's recipient file (CSV or XLSX) as columns and rows.

Files are stored privately under MEDIA_ROOT/uploads with a random name (never served), read in
one streaming pass (`upload_inspect`: checks, counts, keeps the first rows for a preview), then
streamed again as recipient rows for a campaign or a contact import (`upload_recipients`).

- CSV: `,` `;` or tab between fields (guessed from the first lines), UTF-8 with or without a BOM,
  UTF-16 with a BOM (Excel's "Unicode text"), else Windows-1251; a header row or not.
- XLSX: the first worksheet, read with openpyxl in read-only mode (rows are streamed).
- The phone column is the one whose header says so (phone, телефон, номер, tel, mobile …), else
  the first whose values look like phone numbers; the client may pick another. Every other column
  becomes a `{variable}` for the text, named after its header, normalized to `[a-z0-9_]`
  (Cyrillic transliterated: `Місто` → `{misto}`, `Ім'я` → `{name}`).

Reading takes bounded memory whatever the file holds (a 1 MB workbook can unpack to gigabytes):
an XLSX is checked before openpyxl opens it (`_xlsx_check`: member count, each member's and the
total unpacked size, the compression ratio, then one streaming pass over its XML that refuses a
DOCTYPE or entity, any text or tag longer than the limits, and more XML elements than openpyxl
may hold at once: a row, a shared string, a part it parses whole); a CSV is read line by line with a
cap on the line length; every cell is capped at MAX_CELL_CHARS and every row at MAX_ROW_CHARS,
and at most MAX_SHEET_ROWS lines (blank ones too) are read. A file over a limit is refused with
an UploadError that says which limit.
"""
import codecs
import csv
import itertools
import os
import re
import secrets
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path

from django.conf import settings

from smsportal.errors import ApplicationError

MAX_ROWS = 100_000
MAX_BYTES = 20 * 1024 * 1024
MAX_COLUMNS = 50
EXTENSIONS = (".csv", ".txt", ".tsv", ".xlsx")
HEAD_ROWS = 50  # rows read to guess the header and the phone column
MAX_CELL_CHARS = 5000  # as a message text (messaging.forms.MAX_TEXT_CHARS): a longer value could not be sent
MAX_ROW_CHARS = 20_000  # all cells of a row together (bounds the rows a preview keeps)
MAX_SHEET_ROWS = 1_048_576  # lines read, blank ones too (Excel's own limit)
MAX_CSV_LINE = 1024 * 1024  # characters in one line of a CSV file
# An XLSX is a zip of XML parts; these bound what openpyxl would unpack and parse.
XLSX_MAX_MEMBERS = 1000
XLSX_MAX_SHEET_BYTES = 256 * 1024 * 1024  # one worksheet's XML unpacked (openpyxl streams it)
XLSX_MAX_PART_BYTES = 16 * 1024 * 1024  # any other part (shared strings, styles …: parsed whole)
XLSX_MAX_TOTAL_BYTES = 512 * 1024 * 1024  # all members unpacked
XLSX_MAX_RATIO = 200  # unpacked / packed size of a member over 1 MB unpacked
XLSX_MAX_TOKEN_BYTES = 1024 * 1024  # one XML tag, or text between tags, in bytes
XLSX_MAX_ROW_ELEMENTS = 65_536  # XML elements in one worksheet row (Excel has 16,384 columns)
XLSX_MAX_ROW_BYTES = 2 * 1024 * 1024  # XML of one worksheet row or one shared string
XLSX_MAX_ELEMENTS = 200_000  # XML elements of a part outside worksheet rows (openpyxl keeps them)
XLSX_MAX_STRINGS = 500_000  # different texts in the shared strings (5 per row of a full file)
PREVIEW_ROWS = 5
STALE_AFTER = 24 * 3600  # abandoned uploads are swept after a day

_PHONE_HEADER = re.compile(r"\b(phone|tel|mobile|msisdn|cell|телефон|тел|номер|моб)", re.IGNORECASE)
# Headers that fill {name} (and a contact's name), as variable_name() spells them: name, ім'я, имя, ПІБ, ФИО.
_NAME_HEADERS = {"name", "imia", "ymia", "pib", "fio", "fyo"}
_PHONE_CHARS = re.compile(r"^\+?[\d\s()\-.]+$")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_TRANSLIT = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie", "ж": "zh", "з": "z",
    "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ь": "", "ю": "iu", "я": "ia", "ё": "e", "ы": "y", "э": "e", "ъ": "", "'": "", "’": "",
    "ʼ": "", "`": "",
})


class UploadError(ApplicationError):
    code = "upload_invalid"


@dataclass(frozen=True)
class Column:
    index: int
    title: str  # the header as written, or "Column 2" when the file has none
    variable: str  # the {name} its values fill in the text


@dataclass
class Layout:
    kind: str  # "csv" | "xlsx"
    columns: list[Column]
    has_header: bool
    phone_column: int | None  # detected; None when no column looks like phones

    def variables(self, phone_column: int | None) -> list[str]:
        """The {variables} a text can use with this phone column ({phone} is always there)."""
        return [c.variable for c in self.columns if c.index != phone_column and c.variable != "phone"]


@dataclass
class Inspection:
    layout: Layout
    rows: int  # data rows (blank lines skipped, header not counted)
    head: list[list[str]] = field(default_factory=list)  # the first data rows

    @property
    def preview(self) -> list[list[str]]:
        return self.head[:PREVIEW_ROWS]


# --- storage --------------------------------------------------------------------------------

def upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "uploads"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def upload_path(name: str) -> Path:
    """The stored file called `name` (only its last component counts: no way out of the folder)."""
    base = Path(str(name)).name
    if not base or base.startswith("."):
        raise UploadError("The uploaded file is gone; please upload it again.")
    return upload_dir() / base


def upload_check(uploaded) -> None:
    """Name and size of an uploaded file (Django's UploadedFile), before it is stored."""
    name = (getattr(uploaded, "name", "") or "").lower()
    if name.endswith(".xls"):
        raise UploadError("Old Excel files (.xls) cannot be read. Save the sheet as .xlsx or CSV and upload that.")
    if not name.endswith(EXTENSIONS):
        raise UploadError("Upload a CSV (.csv, .txt) or Excel (.xlsx) file.")
    if not uploaded.size:
        raise UploadError("The file is empty.")
    if uploaded.size > MAX_BYTES:
        raise UploadError(f"The file is {uploaded.size / 1024 / 1024:.1f} MB; at most {MAX_BYTES // 1024 // 1024} MB "
                          "can be uploaded.")


def upload_save(uploaded) -> str:
    """Stores an uploaded file under a random name (owner-only permissions); returns that name."""
    upload_check(uploaded)
    _sweep()
    suffix = ".xlsx" if uploaded.name.lower().endswith(".xlsx") else ".csv"
    name = secrets.token_hex(16) + suffix
    path = upload_dir() / name
    written = 0
    with open(path, "xb", opener=lambda p, flags: os.open(p, flags, 0o600)) as out:
        for chunk in uploaded.chunks():
            written += len(chunk)
            if written > MAX_BYTES:
                out.close()
                path.unlink(missing_ok=True)
                raise UploadError(f"The file is larger than {MAX_BYTES // 1024 // 1024} MB.")
            out.write(chunk)
    return name


def upload_delete(name: str | None) -> None:
    if name:
        try:
            upload_path(name).unlink(missing_ok=True)
        except UploadError:
            pass


def _sweep() -> None:
    """Deletes uploads nobody used for a day (a preview that was never confirmed)."""
    cutoff = time.time() - STALE_AFTER
    for path in upload_dir().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            continue


# --- columns ----------------------------------------------------------------------------------

def variable_name(title: str) -> str:
    """`Місто доставки` → `misto_dostavky`; `Ім'я` → `name`; '' when nothing is left."""
    name = _NON_WORD.sub("_", (title or "").strip().lower().translate(_TRANSLIT)).strip("_")[:40]
    if name in _NAME_HEADERS:
        return "name"
    if name and name[0].isdigit():
        name = f"col_{name}"
    return name


def looks_like_phone(value: str) -> bool:
    if not value or not _PHONE_CHARS.match(value):
        return False
    digits = sum(ch.isdigit() for ch in value)
    return 9 <= digits <= 15


def _columns(titles: list[str]) -> list[Column]:
    used: set[str] = set()
    columns = []
    for i, title in enumerate(titles):
        title = (title or "").strip()
        variable = variable_name(title) or f"col{i + 1}"
        base, n = variable, 2
        while variable in used:
            variable, n = f"{base}_{n}", n + 1
        used.add(variable)
        columns.append(Column(i, title or f"Column {i + 1}", variable))
    return columns


def _layout(kind: str, head: list[list[str]]) -> Layout:
    width = min(max((len(r) for r in head), default=0), MAX_COLUMNS)
    first = head[0] if head else []
    if any(looks_like_phone(c) for c in first):
        has_header = False
    elif any(_PHONE_HEADER.search(c) for c in first):
        has_header = True
    else:
        # A first row without a phone over rows that have some (or with no digit at all) is a header.
        has_header = len(head) > 1 and (any(looks_like_phone(c) for r in head[1:] for c in r)
                                        or not any(ch.isdigit() for c in first for ch in c))
    titles = [first[i] if i < len(first) else "" for i in range(width)]
    columns = _columns(titles) if has_header else [Column(i, f"Column {i + 1}", f"col{i + 1}") for i in range(width)]
    data = head[1:] if has_header else head

    def phone_like(c: Column) -> bool:
        values = [r[c.index] for r in data if c.index < len(r) and r[c.index]]
        return bool(values) and sum(map(looks_like_phone, values)) * 2 >= len(values)

    named = [c for c in columns if has_header and _PHONE_HEADER.search(c.title)]
    chosen = (next((c for c in named if phone_like(c)), None) or next((c for c in columns if phone_like(c)), None)
              or (named[0] if named else None))
    phone = chosen.index if chosen else None
    if phone is not None and has_header and columns[phone].variable != "phone":
        # The phone column is {phone} in the text (the recipient's number, in E.164).
        columns = [Column(c.index, c.title, "phone") if c.index == phone
                   else Column(c.index, c.title, "phone_2") if c.variable == "phone" else c for c in columns]
    return Layout(kind, columns, has_header, phone)


# --- reading ----------------------------------------------------------------------------------

def _kind(path: Path) -> str:
    with open(path, "rb") as f:
        magic = f.read(8)
    if not magic:
        raise UploadError("The file is empty.")
    if magic.startswith(b"PK\x03\x04"):
        return "xlsx"
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise UploadError("This is an old Excel file (.xls). Save the sheet as .xlsx or CSV and upload that.")
    if path.suffix == ".xlsx":
        raise UploadError("The file is not a readable XLSX workbook. Save it from Excel again, or as CSV.")
    return "csv"


def _encoding(path: Path) -> str:
    with open(path, "rb") as f:
        start = f.read(4)
        if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        if b"\x00" in start:
            raise UploadError("This does not look like a CSV text file. Upload a CSV or an .xlsx workbook.")
        f.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := f.read(1 << 20):
                if b"\x00" in chunk:
                    raise UploadError("This does not look like a CSV text file. Upload a CSV or an .xlsx workbook.")
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1251"
    return "utf-8-sig"


def _delimiter(sample: str) -> str:
    lines = sample.splitlines()[:HEAD_ROWS]
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line of a sample may be cut short
    best, best_score = ",", (False, 0.0, 1)
    for delimiter in (",", ";", "\t"):
        try:
            widths = [len(r) for r in csv.reader(lines, delimiter=delimiter) if any(v.strip() for v in r)]
        except csv.Error:
            continue
        if not widths:
            continue
        width, hits = Counter(widths).most_common(1)[0]
        share = hits / len(widths)
        score = (width > 1 and share >= 0.6, share, width)  # several columns in most rows win
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _clean(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M" if (value.hour, value.minute) != (0, 0) else "%d.%m.%Y")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, dtime):
        return value.strftime("%H:%M")
    return str(value).strip()


def _trimmed(values: Iterable) -> list[str]:
    row = [_clean(v) for v in itertools.islice(values, MAX_COLUMNS)]
    while row and not row[-1]:
        row.pop()
    return row


def _csv_lines(f) -> Iterator[str]:
    """The lines of a text file, refusing one longer than MAX_CSV_LINE characters before it is
    read whole (a 20 MB file of one line would otherwise be split into millions of fields)."""
    while line := f.readline(MAX_CSV_LINE + 1):
        if len(line) > MAX_CSV_LINE:
            raise UploadError(f"A line of the file is longer than {MAX_CSV_LINE:,} characters; "
                              "is it really a CSV file with one recipient per line?")
        yield line


@contextmanager
def _csv_rows(path: Path):
    encoding = _encoding(path)
    errors = "replace" if encoding == "cp1251" else "strict"
    with open(path, encoding=encoding, errors=errors, newline="") as f:
        delimiter = _delimiter(f.read(64 * 1024))
        f.seek(0)
        reader = csv.reader(_csv_lines(f), delimiter=delimiter)

        def rows():
            try:
                yield from _bounded(reader)
            except csv.Error as exc:
                raise UploadError(f"The CSV file could not be read near line {reader.line_num}: {exc}.") from None
            except UnicodeDecodeError:
                raise UploadError("The file's text encoding could not be read. Save it as CSV UTF-8.") from None

        yield rows()


_XLSX_DAMAGED = "The file is not a readable XLSX workbook. Save it from Excel again, or as CSV."


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:,.0f} MB"


def _xlsx_check(path: Path) -> None:
    """Refuses a workbook whose reading could take unbounded memory or time, before openpyxl
    opens it. zipfile never unpacks more than a member's declared size (and then checks its
    CRC), so the declared sizes checked here are the sizes that can be read."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > XLSX_MAX_MEMBERS:
                raise UploadError(f"The XLSX workbook has {len(members):,} parts; at most {XLSX_MAX_MEMBERS:,} can be "
                                  "read. Save the sheet with the recipients alone, or as CSV.")
            total = 0
            for member in members:
                size = member.file_size
                total += size
                is_sheet = member.filename.startswith("xl/worksheets/") and member.filename.count("/") == 2
                limit = XLSX_MAX_SHEET_BYTES if is_sheet else XLSX_MAX_PART_BYTES
                if size > limit:
                    raise UploadError(f"The XLSX workbook unpacks to more than {_mb(limit)} in "
                                      f"{member.filename[:100]}; such a file cannot be read. Save it as CSV.")
                if size > 1024 * 1024 and size > XLSX_MAX_RATIO * max(member.compress_size, 1):
                    raise UploadError(f"The XLSX workbook is packed more than {XLSX_MAX_RATIO} times in "
                                      f"{member.filename[:100]}; such a file cannot be read. Save it as CSV.")
            if total > XLSX_MAX_TOTAL_BYTES:
                raise UploadError(f"The XLSX workbook unpacks to more than {_mb(XLSX_MAX_TOTAL_BYTES)}; "
                                  "such a file cannot be read. Save the sheet with the recipients alone, or as CSV.")
            for member in members:
                # openpyxl finds its parts through the relationships, not by their names: a
                # worksheet named sheet1.bin is parsed all the same. So every member that is XML
                # by its content is checked, whatever its name; pictures and other binary parts
                # are not XML and are never parsed.
                if member.filename.lower().endswith((".xml", ".rels")) or _looks_like_xml(archive, member):
                    with archive.open(member) as stream:
                        _xml_check(stream, member.filename)
    except UploadError:
        raise
    except Exception:  # not a zip, a bad CRC, an unsupported compression …
        raise UploadError(_XLSX_DAMAGED) from None


def _looks_like_xml(archive, member) -> bool:
    with archive.open(member) as stream:
        head = stream.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<") or head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff")


def _xml_check(stream, name: str) -> None:
    """One streaming pass over an XML part in 64 KB pieces: no DOCTYPE (so no entities of any
    kind), no tag or text run longer than XLSX_MAX_TOKEN_BYTES (expat would hold it whole), no
    text in one element longer than MAX_CELL_CHARS (a cell, or a shared string, as openpyxl
    would build it), and no more elements than openpyxl can hold: it keeps a whole row of a
    worksheet (and everything outside rows), each shared string's (emptied) element, and the
    whole tree of any other part."""
    import pyexpat

    sheet = name.startswith("xl/worksheets/") and name.count("/") == 2
    strings = name == "xl/sharedStrings.xml"
    text = depth = elements = rows = texts = 0
    # Inside a worksheet row or a shared string (openpyxl holds each whole, then empties it): its
    # depth and its element count.
    group_depth = group_elements = group_start = None
    group_text = 0

    def refuse(message: str):
        raise UploadError(message)

    def too_complex(what: str):
        refuse(f"The XLSX workbook has {what} in {name[:100]}; such a file cannot be read. "
               "Save the sheet with the recipients alone, or as CSV.")

    def doctype(*args):
        refuse("The XLSX workbook declares XML entities, which are not allowed. Save it from Excel again, or as CSV.")

    def start(tag, attrs):
        nonlocal text, depth, elements, rows, texts, group_depth, group_elements, group_start, group_text
        text = 0
        depth += 1
        if group_depth is not None:
            group_elements += 1
            if group_elements > XLSX_MAX_ROW_ELEMENTS:
                too_complex(f"a row or text of more than {XLSX_MAX_ROW_ELEMENTS:,} XML elements")
            if parser.CurrentByteIndex - group_start > XLSX_MAX_ROW_BYTES:
                too_complex(f"a row or text of more than {_mb(XLSX_MAX_ROW_BYTES)}")
        elif sheet and tag.rpartition("}")[2] == "row":
            rows += 1
            if rows > MAX_SHEET_ROWS:
                too_complex(f"more than {MAX_SHEET_ROWS:,} rows")
            group_depth, group_elements, group_start, group_text = depth, 0, parser.CurrentByteIndex, 0
        elif strings and depth == 2:
            texts += 1
            if texts > XLSX_MAX_STRINGS:
                too_complex(f"more than {XLSX_MAX_STRINGS:,} different texts")
            group_depth, group_elements, group_start, group_text = depth, 0, parser.CurrentByteIndex, 0
        else:
            elements += 1
            if elements > XLSX_MAX_ELEMENTS:
                too_complex(f"more than {XLSX_MAX_ELEMENTS:,} XML elements")

    def end(tag):
        nonlocal text, depth, group_depth
        text = 0
        if depth == group_depth:
            if parser.CurrentByteIndex - group_start > XLSX_MAX_ROW_BYTES:
                too_complex(f"a row or text of more than {_mb(XLSX_MAX_ROW_BYTES)}")
            group_depth = None
        depth -= 1

    def data(chunk: str):
        nonlocal text, group_text
        text += len(chunk)
        if group_depth is not None:
            group_text += len(chunk)
        if text > MAX_CELL_CHARS or (strings and group_text > MAX_CELL_CHARS):
            refuse(f"A cell of the XLSX workbook is longer than {MAX_CELL_CHARS:,} characters; "
                   "such a value cannot be sent.")
        if group_text > MAX_ROW_CHARS:
            refuse(f"A row of the XLSX workbook is longer than {MAX_ROW_CHARS:,} characters in all; "
                   "such a row cannot be sent.")

    parser = pyexpat.ParserCreate(namespace_separator="}")
    parser.buffer_text = False
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    since_lt = 0  # bytes since the last "<": neither text nor a tag (nor an attribute) may hold one
    try:
        while chunk := stream.read(64 * 1024):
            last = chunk.rfind(b"<")
            since_lt = len(chunk) - last - 1 if last >= 0 else since_lt + len(chunk)
            if since_lt > XLSX_MAX_TOKEN_BYTES:
                refuse(f"The XLSX workbook has an XML tag or text longer than {_mb(XLSX_MAX_TOKEN_BYTES)} "
                       f"in {name[:100]}; such a file cannot be read. Save it as CSV.")
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except pyexpat.ExpatError:
        raise UploadError(_XLSX_DAMAGED) from None


@contextmanager
def _xlsx_rows(path: Path):
    from openpyxl import load_workbook

    _xlsx_check(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except Exception:  # a broken zip, missing parts, bad XML …: all the same to the client
        raise UploadError(_XLSX_DAMAGED) from None

    def rows():
        try:
            # max_col: a forged sheet size (<dimension ref="A1:XFD1">) would make every row 16,384 wide.
            for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
                yield values
        except UploadError:
            raise
        except Exception:
            raise UploadError("The XLSX workbook is damaged and could not be read to the end. "
                              "Save it from Excel again, or as CSV.") from None

    try:
        yield _bounded(rows())
    finally:
        workbook.close()


def _bounded(lines: Iterable) -> Iterator[list[str]]:
    """Non-blank rows (trimmed) of raw lines, within the line, cell and row limits."""
    for n, values in enumerate(lines, start=1):
        if n > MAX_SHEET_ROWS:
            raise UploadError(f"The file has more than {MAX_SHEET_ROWS:,} lines (blank ones counted); "
                              "remove the empty lines or split it.")
        row = _trimmed(values)
        if not row:
            continue
        size = 0
        for value in row:
            if len(value) > MAX_CELL_CHARS:
                raise UploadError(f"Line {n} has a value longer than {MAX_CELL_CHARS:,} characters; "
                                  "such a value cannot be sent.")
            size += len(value)
        if size > MAX_ROW_CHARS:
            raise UploadError(f"Line {n} is longer than {MAX_ROW_CHARS:,} characters in all; "
                              "such a row cannot be sent.")
        yield row


@contextmanager
def upload_open(path: Path):
    """(Layout, an iterator of data rows as lists of strings, one per column) of a stored file."""
    path = Path(path)
    if not path.is_file():
        raise UploadError("The uploaded file is gone; please upload it again.")
    kind = _kind(path)
    opener = _xlsx_rows if kind == "xlsx" else _csv_rows
    with opener(path) as raw:
        head = list(itertools.islice(raw, HEAD_ROWS))
        if not head:
            raise UploadError("The file is empty: it has no rows.")
        layout = _layout(kind, head)
        width = len(layout.columns)

        def data():
            for row in itertools.chain(head[1:] if layout.has_header else head, raw):
                if len(row) < width:
                    row = row + [""] * (width - len(row))
                elif len(row) > width:
                    row = row[:width]
                yield row

        yield layout, data()


def upload_inspect(path: Path, *, head: int = 1000) -> Inspection:
    """Reads the whole file once: checks it, counts its rows, keeps the first `head` rows."""
    with upload_open(path) as (layout, rows):
        result = Inspection(layout, 0)
        for result.rows, row in enumerate(rows, start=1):
            if result.rows <= head:
                result.head.append(row)
            if result.rows > MAX_ROWS:
                raise UploadError(f"The file has more than {MAX_ROWS:,} rows; split it into several campaigns.")
    if not result.rows:
        raise UploadError("The file has a header but no rows.")
    if not layout.columns:
        raise UploadError("The file has no columns.")
    return result


def upload_head(path: Path, *, rows: int = 1000) -> Inspection:
    """The layout and the first `rows` data rows, without reading the rest (for a preview)."""
    with upload_open(path) as (layout, data):
        head = list(itertools.islice(data, rows))
    return Inspection(layout, len(head), head)


def recipient_dicts(layout: Layout, rows: Iterable[list[str]], phone_column: int) -> Iterator[dict]:
    """Rows as `{"phone": …, <variable>: …}` (the shape campaign_accept and contacts_import take)."""
    if phone_column is None or not 0 <= phone_column < len(layout.columns):
        raise UploadError("Choose the column that holds the phone numbers.")
    others = [(c.index, c.variable) for c in layout.columns if c.index != phone_column and c.variable != "phone"]
    for row in rows:
        item = {variable: row[i] for i, variable in others}
        item["phone"] = row[phone_column]
        yield item


def upload_recipients(name: str, phone_column: int) -> Iterator[dict]:
    """Streams a stored upload as recipient rows; opens the file lazily, so a missing or broken
    file raises UploadError from inside the consumer's loop (which records it)."""
    with upload_open(upload_path(name)) as (layout, rows):
        for n, item in enumerate(recipient_dicts(layout, rows, phone_column), start=1):
            if n > MAX_ROWS:
                raise UploadError(f"The file has more than {MAX_ROWS:,} rows; split it into several campaigns.")
            yield item

