"""Reading a station list one row at a time, whatever its format (CSV or XLSX).

A table gives its header, then `(line, cells)` pairs where `line` is the number an
editor or a spreadsheet shows (the header is usually line 1) and every cell is a
stripped string. It can be read again from the start: the importer checks the whole
file first and reads it a second time to write, so it never holds 176,623 rows as
Python objects at once.
"""

import codecs
import csv
import datetime
import zipfile
from collections.abc import Iterator
from typing import BinaryIO

from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook

from polling.stations.importing.errors import RowError, UnreadableFile

SUFFIXES = (".csv", ".xlsx")
CSV_DELIMITERS = ",;\t|"
SAMPLE_BYTES = 64 * 1024
# An .xlsx is a zip; refuse one that would unpack to more than this many times its size (a zip bomb),
# counting a small file as XLSX_SMALL_BYTES, or to more than this many times the upload limit.
XLSX_MAX_EXPANSION = 40
XLSX_SMALL_BYTES = 1024 * 1024

Row = tuple[int, list[str]]


class Table:
    """The common shape of a CSV and an XLSX station list."""

    headers: list[str]
    header_line: int
    size: int  # for progress bars: bytes of a CSV, rows of a sheet
    unit: str
    position: int = 0

    def rows(self, errors: list[RowError] | None = None) -> Iterator[Row]:
        """Every non-blank row below the header; problems reading the file are appended to `errors`."""
        records = self._records(errors)
        for line, cells in records:
            if line > self.header_line:
                yield line, cells

    def preview(self, limit: int = 10) -> list[Row]:
        rows = []
        for row in self.rows():
            rows.append(row)
            if len(rows) >= limit:
                break
        return rows

    def _records(self, errors: list[RowError] | None) -> Iterator[Row]:
        raise NotImplementedError

    def _read_header(self) -> None:
        for line, cells in self._records(None):
            self.header_line = line
            self.headers = header_names(cells)
            return
        raise UnreadableFile(_("The file is empty."))


def header_names(cells: list[str]) -> list[str]:
    """Header cells as unique, non-empty names: a blank header becomes “Column 4”, a repeated one “Name (2)”.

    Trailing empty header cells (a delimiter at the end of the line) are not columns.
    """
    while len(cells) > 1 and not cells[-1].strip():
        cells = cells[:-1]
    names: list[str] = []
    seen: dict[str, int] = {}
    for position, cell in enumerate(cells, start=1):
        name = cell.strip() or _("Column %(number)s") % {"number": position}
        count = seen.get(name.lower(), 0) + 1
        seen[name.lower()] = count
        names.append(name if count == 1 else f"{name} ({count})")
    return names


def _is_blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


class CsvTable(Table):
    """A delimited text file in UTF-8 (with or without a byte-order mark)."""

    unit = "B"

    def __init__(self, file: BinaryIO):
        self._file = file
        file.seek(0, 2)
        self.size = file.tell()
        file.seek(0)
        head = file.read(SAMPLE_BYTES)
        file.seek(0)
        _refuse_binary(head)
        self.delimiter = _sniff_delimiter(head)
        self.first_encoding_error = _first_undecodable_line(head, complete=len(head) == self.size)
        self._read_header()

    def _records(self, errors: list[RowError] | None) -> Iterator[Row]:
        lines = self._decoded_lines(errors)
        reader = csv.reader(lines, delimiter=self.delimiter)
        last_line = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                if errors is not None:
                    errors.append(
                        RowError(last_line + 1, "", _("The file cannot be read from here on: %s") % exc)
                    )
                return
            line, last_line = last_line + 1, reader.line_num
            if not _is_blank(cells):
                yield line, [cell.strip() for cell in cells]

    def _decoded_lines(self, errors: list[RowError] | None) -> Iterator[str]:
        """The file's lines as text; a line that is not UTF-8 is an error naming it (and read with �)."""
        self._file.seek(0)
        self.position = 0
        for number, raw in enumerate(iter(self._file.readline, b""), start=1):
            self.position += len(raw)
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                if errors is not None:
                    errors.append(RowError(number, "", _encoding_message(raw, exc)))
                yield raw.decode("utf-8", "replace")


def _encoding_message(raw: bytes, exc: UnicodeDecodeError) -> str:
    return _(
        "The file is not UTF-8 here (byte 0x%(byte)02X at character %(position)s). "
        "Save it as “CSV UTF-8” and upload it again."
    ) % {"byte": raw[exc.start], "position": len(raw[: exc.start].decode("utf-8", "replace")) + 1}


def _first_undecodable_line(head: bytes, *, complete: bool) -> int | None:
    """The first line of the sample that is not UTF-8, so the mapping step can warn before the import."""
    lines = head.split(b"\n")
    if not complete:
        lines = lines[:-1]  # the sample may cut the last line in the middle of a character
    for number, raw in enumerate(lines, start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return number
    return None


def _refuse_binary(head: bytes) -> None:
    """A spreadsheet, PDF or image renamed to .csv has NUL bytes or many control characters."""
    text = head.decode("utf-8", "replace")
    controls = sum(1 for ch in text if ch < " " and ch not in "\t\r\n\f")
    if b"\x00" in head or controls > max(2, len(text) // 100):
        raise UnreadableFile(
            _("This file is not a CSV text file, whatever its name says. Export the list as CSV or XLSX.")
        )


def _sniff_delimiter(head: bytes) -> str:
    text = head.decode("utf-8", "replace").lstrip("\ufeff")
    sample = text if len(head) < SAMPLE_BYTES else text[: text.rfind("\n") + 1] or text
    header = sample.split("\n", 1)[0]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        delimiter = ""
    if delimiter and delimiter in header:
        return delimiter
    # The sniffer gives up on irregular files; the header line alone is a good witness.
    counts = {candidate: header.count(candidate) for candidate in CSV_DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


class XlsxTable(Table):
    """The first sheet of an Excel workbook, read with calamine (fast, no formulas evaluated)."""

    unit = "rows"
    first_encoding_error = None

    def __init__(self, file: BinaryIO, *, max_bytes: int | None = None):
        self._file = file  # for the import's SHA-256 in the audit trail
        file.seek(0)
        if not zipfile.is_zipfile(file):
            raise UnreadableFile(_("This file is not a real .xlsx workbook. Export the list as CSV or XLSX."))
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
        if "xl/workbook.xml" not in names:
            raise UnreadableFile(_("This file is not a real .xlsx workbook. Export the list as CSV or XLSX."))
        if _unreasonable(unpacked, file.seek(0, 2), max_bytes):
            raise UnreadableFile(_("This workbook unpacks to an unreasonable size."))
        file.seek(0)
        try:
            self._sheet = CalamineWorkbook.from_filelike(file).get_sheet_by_index(0)
        except (CalamineError, ValueError, IndexError) as exc:
            raise UnreadableFile(_("This workbook cannot be read: %s") % exc) from exc
        self.size = self._sheet.height
        self._read_header()

    def _records(self, errors: list[RowError] | None) -> Iterator[Row]:
        self.position = 0
        for line, values in enumerate(self._sheet.iter_rows(), start=1):
            self.position = line
            cells = [_xlsx_cell(value) for value in values]
            if not _is_blank(cells):
                yield line, cells


def _unreasonable(unpacked: int, packed: int, max_bytes: int | None) -> bool:
    if unpacked > max(packed, XLSX_SMALL_BYTES) * XLSX_MAX_EXPANSION:
        return True  # a megabyte that unpacks to a gigabyte, whatever the limit
    return bool(max_bytes) and unpacked > max_bytes * XLSX_MAX_EXPANSION


def xlsx_too_big(file: BinaryIO, max_bytes: int) -> bool:
    """Whether the workbook in `file` declares an unreasonable unpacked size (a zip bomb).

    False for a file that is no zip: the reader refuses that with its own message.
    """
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        return False
    finally:
        packed = file.seek(0, 2)
        file.seek(0)
    return _unreasonable(unpacked, packed, max_bytes)


def _xlsx_cell(value) -> str:
    """A cell as the text a person sees: 1200.0 is “1200”, a date is ISO 8601."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.date | datetime.time | datetime.timedelta):
        return value.isoformat() if not isinstance(value, datetime.timedelta) else str(value)
    return str(value).strip()


def open_table(file: BinaryIO, name: str, *, max_bytes: int | None = None) -> Table:
    """The station list in `file` (opened in binary mode), its format chosen by the suffix of `name`.

    Raises UnreadableFile when the suffix is not .csv/.xlsx or the content does not match it.
    """
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix == ".csv":
        return CsvTable(file)
    if suffix == ".xlsx":
        return XlsxTable(file, max_bytes=max_bytes)
    raise UnreadableFile(_("Upload a .csv or .xlsx file."))
