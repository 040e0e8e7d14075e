"""Exporting a workspace's items to a spreadsheet that is safe to open in Excel.

A cell that starts with =, +, -, @, a tab or a carriage return would be read by Excel or
LibreOffice as a formula (CSV injection: `=cmd|' /C calc'!A0`); such cells are written with a
leading apostrophe, so they show as text and nothing runs. The file is written to a
temporary name and renamed into place: a failed export leaves no half-written file.
"""

from __future__ import annotations

import csv
import errno
import os
from collections.abc import Iterator
from pathlib import Path

from core.errors import InputError, WorkspaceError
from core.store import WorkspaceStore
from core.store.failures import full_message

COLUMNS = ("question", "answer", "category", "source_file", "source_row")
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = (".csv", ".xlsx")


def safe_cell(value: object) -> str:
    """The cell as text, with a quote in front when a spreadsheet would run it."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_LEADS) else text


def _rows(ws: WorkspaceStore) -> Iterator[list[str]]:
    for item in ws.iter_items():
        yield [safe_cell(v) for v in (item.question, item.answer, item.category,
                                      item.source_file, item.source_row)]


def _write_csv(ws: WorkspaceStore, tmp: Path) -> int:
    count = 0
    # UTF-8 with a BOM: Excel then reads the Chinese text correctly.
    with open(tmp, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL)
        writer.writerow(COLUMNS)
        for row in _rows(ws):
            writer.writerow(row)
            count += 1
    return count


def _write_xlsx(ws: WorkspaceStore, tmp: Path) -> int:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook(write_only=True)
    sheet = book.create_sheet("items")
    sheet.append(list(COLUMNS))
    count = 0
    for row in _rows(ws):
        # Strings only (never a formula), without the control characters XLSX cannot hold.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in row])
        count += 1
    book.save(tmp)
    return count


def export_items(ws: WorkspaceStore, path: str | Path) -> int:
    """Write every item of `ws` to `path` (.csv or .xlsx, by suffix); return how many.

    Columns: question, answer, category, source_file, source_row."""
    path = Path(path).expanduser()
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"{path.name}: cannot export to {suffix or 'a file without suffix'}; "
                         "name the file .csv or .xlsx")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give a file name ending in .csv or .xlsx")
    if not path.parent.is_dir():
        raise InputError(f"{path.parent}: no such folder; create it or choose another")
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.partial{suffix}")
    try:
        count = (_write_csv if suffix == ".csv" else _write_xlsx)(ws, tmp)
        os.replace(tmp, path)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise WorkspaceError(full_message(path)) from None
        raise InputError(f"cannot write {path}: {exc.strerror or exc}; choose another folder "
                         "or file name") from None
    finally:
        tmp.unlink(missing_ok=True)
    return count
