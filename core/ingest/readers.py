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


def _read_delimited(path: Path, data: bytes) -> Table:
    text, encoding = decode(data, path.name)
    first_line = text.split("\n", 1)[0]
    if path.suffix.lower() in (".tsv", ".tab") or ("\t" in first_line and "," not in first_line):
        delimiter, fmt = "\t", "tsv"
    else:
        delimiter, fmt = ",", "csv"
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False))
    except csv.Error as exc:
        raise InputError(f"{path.name}: not a readable {fmt.upper()} file ({exc})") from None
    rows = [(number, cells) for number, cells in enumerate(records, start=1)]
    return _split_header(rows, fmt, encoding, path.name)


def _read_jsonl(path: Path, data: bytes) -> Table:
    text, encoding = decode(data, path.name)
    headers: list[str] = []
    objects: list[tuple[int, dict[str, object]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{path.name}: line {number} is not valid JSON ({exc.msg}); "
                "each line must be one JSON object"
            ) from None
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
            rows = [
                (number, [_cell(v) for v in values])
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
            ]
            if any(any(c.strip() for c in cells) for _, cells in rows):
                return _split_header(rows, "xlsx", None, path.name)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputError(
            f"{path.name}: the workbook is damaged ({type(exc).__name__}); save it again as .xlsx"
        ) from None
    finally:
        book.close()
    raise InputError(f"{path.name}: every sheet is empty; add a header row and Q&A rows")


def read_table(path: Path) -> Table:
    """Read CSV, TSV, XLSX or JSONL; raise InputError naming the file and the fix."""
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
        return _read_jsonl(path, data)
    return _read_delimited(path, data)
