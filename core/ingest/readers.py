"""Reading a spreadsheet file into a header row and data rows, whatever its format."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from core.errors import InputError
from core.ingest.encoding import decode

MAX_FILE_BYTES = 200 * 1024 * 1024
# Limits that keep memory bounded whatever a file claims; each ends in a clear message.
MAX_ROWS = 200_000
MAX_COLUMNS = 200
MAX_CELL_CHARS = 100_000
MAX_XLSX_UNPACKED = 300 * 1024 * 1024  # an XLSX is a zip: a "zip bomb" unpacks to gigabytes
MAX_XLSX_PARTS = 5_000
csv.field_size_limit(64 * 1024 * 1024)


@dataclass
class Table:
    format: str
    encoding: str | None
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (spreadsheet row number, cells)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _first_nonempty(rows: list[tuple[int, list[str]]], name: str) -> int:
    for index, (_, cells) in enumerate(rows):
        if any(c.strip() for c in cells):
            return index
    raise InputError(f"{name}: the file has no rows; add a header row and Q&A rows")


def _split_header(rows: list[tuple[int, list[str]]], fmt: str, enc: str | None, name: str) -> Table:
    start = _first_nonempty(rows, name)
    headers = [h.strip() for h in rows[start][1]]
    return Table(fmt, enc, headers, rows[start + 1 :])


def _read_delimited(path: Path, data: bytes, forced: str | None = None) -> Table:
    text, encoding = decode(data, path.name, forced)
    first_line = text.split("\n", 1)[0]
    if path.suffix.lower() in (".tsv", ".tab") or ("\t" in first_line and "," not in first_line):
        delimiter, fmt = "\t", "tsv"
    else:
        delimiter, fmt = ",", "csv"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    rows: list[tuple[int, list[str]]] = []
    try:
        for number, cells in enumerate(reader, start=1):
            if number > MAX_ROWS + 1:
                raise InputError(_too_many_rows(path.name))
            rows.append((number, cells))
    except csv.Error as exc:
        raise InputError(f"{path.name}: line {reader.line_num}: not a readable "
                         f"{fmt.upper()} file ({exc})") from None
    return _split_header(rows, fmt, encoding, path.name)


def _read_jsonl(path: Path, data: bytes, forced: str | None = None) -> Table:
    text, encoding = decode(data, path.name, forced)
    headers: list[str] = []
    objects: list[tuple[int, dict[str, object]]] = []
    # split("\n"), not splitlines(): U+2028 or \x1c inside a JSON string is not a line end.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        if len(objects) >= MAX_ROWS:
            raise InputError(_too_many_rows(path.name))
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{path.name}: line {number} is not valid JSON ({exc.msg}); "
                "each line must be one JSON object"
            ) from None
        except (RecursionError, ValueError):  # absurd nesting, a number of 5000 digits
            raise InputError(f"{path.name}: line {number} is JSON nested too deeply or with "
                             "too long a number; write flat {\"question\": ..., \"answer\": ...}"
                             " objects") from None
        if not isinstance(obj, dict):
            raise InputError(f"{path.name}: line {number} is not a JSON object; write {{...}}")
        for key in obj:
            if key not in headers:
                headers.append(str(key))
        objects.append((number, obj))
    if not objects:
        raise InputError(f"{path.name}: the file has no JSON lines; add one object per line")
    rows = [(n, [_cell(obj.get(h)) for h in headers]) for n, obj in objects]
    return Table("jsonl", encoding, headers, rows)


def _read_xlsx(path: Path) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    _check_zip(path)
    try:
        # data_only=False: a formula stays its text (=...) and is never evaluated.
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise InputError(
            f"{path.name}: not a readable XLSX workbook ({type(exc).__name__}); "
            "open it in Excel or LibreOffice and save it again as .xlsx"
        ) from None
    try:
        for sheet in book.worksheets:
            rows = _sheet_rows(sheet, path.name)
            if any(any(c.strip() for c in cells) for _, cells in rows):
                return _split_header(rows, "xlsx", None, path.name)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputError(
            f"{path.name}: the workbook is damaged ({type(exc).__name__}); save it again as .xlsx"
        ) from None
    finally:
        book.close()
    raise InputError(f"{path.name}: every sheet is empty; add a header row and Q&A rows")


def _too_many_rows(name: str) -> str:
    return f"{name}: more than {MAX_ROWS:,} rows; split it into smaller files"


def _check_zip(path: Path) -> None:
    """Refuse an XLSX whose parts would unpack to more than the limit (a zip bomb), before
    anything is unpacked. zipfile never yields more than a part's declared size."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"{path.name}: not a readable XLSX workbook ({type(exc).__name__}); "
                         "open it in Excel or LibreOffice and save it again as .xlsx") from None
    unpacked = sum(p.file_size for p in parts)
    if len(parts) > MAX_XLSX_PARTS or unpacked > MAX_XLSX_UNPACKED:
        raise InputError(
            f"{path.name}: the workbook would unpack to {unpacked / 2**20:,.0f} MB in "
            f"{len(parts)} parts (limit {MAX_XLSX_UNPACKED // 2**20} MB); it is damaged or "
            "not a real spreadsheet: save the sheet again as .xlsx or .csv")


def _sheet_rows(sheet: object, name: str) -> list[tuple[int, list[str]]]:
    """A sheet's rows, at most MAX_ROWS and MAX_COLUMNS wide, whatever its XML claims."""
    declared = getattr(sheet, "max_column", None) or 0
    # Some writers declare the dimension "A1" whatever the size: then read up to the limit.
    width = min(declared, MAX_COLUMNS) if declared > 1 else MAX_COLUMNS
    rows: list[tuple[int, list[str]]] = []
    for number, values in enumerate(sheet.iter_rows(  # type: ignore[attr-defined]
            max_row=MAX_ROWS + 1, max_col=width, values_only=True), start=1):
        if values.count(None) == len(values):
            rows.append((number, []))  # blank row (sheets often declare a million of them)
            continue
        if number > MAX_ROWS:
            raise InputError(_too_many_rows(name))
        cells = list(values)
        while cells and cells[-1] is None:
            cells.pop()
        rows.append((number, [_cell(v) for v in cells]))
    return rows


def _check_limits(table: Table, name: str) -> Table:
    if len(table.headers) > MAX_COLUMNS:
        raise InputError(f"{name}: {len(table.headers)} columns (limit {MAX_COLUMNS}); keep "
                         "the question, answer and category columns and save it again")
    for number, cells in table.rows:
        if cells and max(map(len, cells)) > MAX_CELL_CHARS:
            column = max(range(len(cells)), key=lambda i: len(cells[i]))
            header = table.headers[column] if column < len(table.headers) else ""
            label = f"column {column + 1}" + (f" ({header[:40]!r})" if header else "")
            raise InputError(
                f"{name}: row {number}, {label}: a cell of {len(cells[column]):,} characters "
                f"(limit {MAX_CELL_CHARS:,}); shorten it or split the entry")
    return table


def read_table(path: Path, encoding: str | None = None) -> Table:
    """Read CSV, TSV, XLSX or JSONL within the size limits; raise InputError naming the file
    (and the row and column) and the fix. `encoding` overrides detection for text formats
    (XLSX has none)."""
    return _check_limits(_read_any(path, encoding), path.name)


def _read_any(path: Path, encoding: str | None = None) -> Table:
    if not path.exists():
        raise InputError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give the spreadsheet file inside it")
    suffix = path.suffix.lower()
    if suffix in (".xls", ".numbers", ".ods"):
        raise InputError(f"{path.name}: {suffix} files are not supported; save as .xlsx or .csv")
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(f"{path.name}: larger than 200 MB; split it into smaller files")
        if suffix in (".xlsx", ".xlsm"):
            return _read_xlsx(path)
        data = path.read_bytes()
    except PermissionError:
        raise InputError(f"{path}: permission denied; check the file's permissions") from None
    if not data.strip():
        raise InputError(f"{path.name}: the file is empty; add a header row and Q&A rows")
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(path)
    if suffix in (".jsonl", ".ndjson", ".json"):
        return _read_jsonl(path, data, encoding)
    return _read_delimited(path, data, encoding)
