"""Exporting items to CSV/XLSX: a round trip through re-import, and cells a spreadsheet would
run as formulas come out as text with a leading quote."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from core.errors import InputError
from core.export import COLUMNS, export_items, safe_cell
from core.ingest.importer import import_file
from core.store import Workspace, open_workspace
from tests.conftest import DEMO_DIR, run_cli

DANGEROUS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)", "\tleading tab",
             "\rleading CR"]


def quoted(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _items(ws: Workspace) -> list[tuple[str, str, str]]:
    return [(i.question, i.answer, i.category) for i in ws.iter_items()]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_an_export_reimports_to_the_same_items(tmp_path: Path, suffix: str):
    with Workspace(tmp_path / "a.sqlite") as ws:
        import_file(ws, DEMO_DIR / "patent_qa.csv")
        import_file(ws, DEMO_DIR / "patent_attorney_act_qa.csv")
        original = _items(ws)
        out = tmp_path / f"export{suffix}"
        assert export_items(ws, out) == len(original) == 699
    with Workspace(tmp_path / "b.sqlite") as again:
        report = import_file(again, out)
        assert report.added == 699 and not report.skipped
        assert _items(again) == original
        first = next(again.iter_items())
        # provenance columns come along as extra fields
        assert first.extra == {"source_file": "patent_qa.csv", "source_row": "2"}


def test_formula_cells_are_written_as_quoted_text(tmp_path: Path):
    source = tmp_path / "danger.csv"
    with open(source, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["question", "answer", "category"])
        for n, text in enumerate(DANGEROUS):
            writer.writerow([f"q{n} {text}" if n % 2 else text.strip() + f" q{n}",
                             text + " answer", "=HYPERLINK(\"http://evil\")"])
    with Workspace(tmp_path / "w.sqlite") as ws:
        import_file(ws, source)
        stored = _items(ws)
        export_items(ws, tmp_path / "out.csv")
        export_items(ws, tmp_path / "out.xlsx")

    with open(tmp_path / "out.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == COLUMNS
    for stored_row, row in zip(stored, rows[1:], strict=True):
        assert row[:3] == [quoted(text) for text in stored_row]
    assert sum(cell.startswith("'") for row in rows[1:] for cell in row) >= 10

    book = openpyxl.load_workbook(tmp_path / "out.xlsx")  # data_only=False: formulas visible
    sheet = book.active
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    assert all(c.data_type != "f" for c in cells)  # not a single formula in the workbook
    values = [[c.value or "" for c in row[:3]] for row in sheet.iter_rows(min_row=2)]
    assert values == [[quoted(text) for text in row] for row in stored]


def test_tab_and_carriage_return_leads_are_quoted_too():
    assert [safe_cell(x) for x in ("\tx", "\rx", "x=1", "", None, 7)] == [
        "'\tx", "'\rx", "x=1", "", "", "7"]


def test_export_refuses_an_unknown_format_and_writes_nothing(tmp_path: Path):
    with Workspace(tmp_path / "w.sqlite") as ws:
        with pytest.raises(InputError, match="name the file .csv or .xlsx"):
            export_items(ws, tmp_path / "out.pdf")
        with pytest.raises(InputError, match="no such folder"):
            export_items(ws, tmp_path / "missing" / "out.csv")
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("w.sqlite")] == []


def test_export_from_the_cli(tmp_path: Path, data_home: Path):
    with open_workspace("firm") as ws:
        import_file(ws, DEMO_DIR / "utility_model_report_qa.csv")
    out = tmp_path / "firm.xlsx"
    result = run_cli("export", str(out), "--workspace", "firm", home=data_home)
    assert result.returncode == 0, result.stderr
    assert f"exported 26 items of workspace 'firm' to {out}" in result.stdout
    header = next(openpyxl.load_workbook(out, read_only=True).active.iter_rows(values_only=True))
    assert header == COLUMNS
    bad = run_cli("export", str(tmp_path / "firm.txt"), "--workspace", "firm", home=data_home)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert "name the file .csv or .xlsx" in bad.stderr and "Traceback" not in bad.stderr
    missing = run_cli("export", str(out), "--workspace", "nobody", home=data_home)
    assert missing.returncode == 2 and "there is no workspace 'nobody'" in missing.stderr
