"""Property-based import: generated spreadsheets (encodings, BOMs, ragged rows, huge cells,
control characters, formulas, duplicate headers, garbage, truncated and zip-bomb XLSX, deep
quoting) end in a correct import or in one clear line naming the file — never a traceback,
a hang or a memory blow-up.

Most cases run in-process through `import_file` (what `patent-desk import` calls for each
file) on a real workspace; a few run through the real CLI. Examples per property:
PATENT_DESK_FUZZ_EXAMPLES (default 30, derandomized for CI; e.g. 1000 for a long run, which
is then random each time).
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from core.errors import InputError
from core.ingest import question_key
from core.ingest.importer import import_file
from core.ingest.readers import MAX_CELL_CHARS, MAX_ROWS, MAX_XLSX_UNPACKED, read_table
from core.store import Workspace
from core.text import clean
from tests.conftest import run_cli

EXAMPLES = int(os.environ.get("PATENT_DESK_FUZZ_EXAMPLES", "30"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                derandomize=EXAMPLES <= 100,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

SPECIAL = ["=cmd|' /C calc'!A0", "=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2", "@SUM(A1)",
           '"""quoted"""', '""', "專利年費可以預繳嗎？", "专利年费", "line\nbreak", "a\r\nb",
           "tab\there", "\x01ctrl\x1f\x7f", "sep\u2028x", "'", ",", "\ufeffbom", " ", "\u3000",
           "ＡＢＣ全形", "é", "x" * 3000]
TEXT = st.one_of(st.text(max_size=20), st.sampled_from(SPECIAL),
                 st.text(alphabet="\"',\n\r\t=+-@ 專利", max_size=30))
ROW = st.tuples(TEXT, TEXT, TEXT)
EXACT = ["utf-8", "utf-8-sig", "utf-16"]  # detection is certain: valid UTF-8 or a BOM
OTHER = ["gb18030", "cp950", "latin-1", "utf-16-le", "utf-16-be"]


def import_or_error(path: Path) -> list[tuple[str, str, str]] | str:
    """What `patent-desk import FILE` does with one file, on a fresh real workspace: the
    items it stored, or the one-line error it prints."""
    with tempfile.TemporaryDirectory() as home:
        with Workspace(Path(home) / "w.sqlite") as ws:
            try:
                report = import_file(ws, path)
            except InputError as exc:
                message = str(exc)
                assert "\n" not in message and "\r" not in message, message
                assert path.name in message, message
                return message
            assert report.total_items == ws.count_items()
            stored = [(i.question, i.answer, i.category) for i in ws.iter_items()]
            assert ws.db.execute("SELECT count(*) FROM items_fts").fetchone()[0] == len(stored)
            return stored


def expected_items(rows: list) -> list[tuple[str, str, str]]:
    """The import rules: question cleaned, answer trimmed, first of repeated questions."""
    out, seen = [], set()
    for row in rows:
        q, a, c = (list(row) + ["", "", ""])[:3]
        question, answer = clean(q), a.strip()
        if not question or not answer or question_key(question) in seen:
            continue
        seen.add(question_key(question))
        out.append((question, answer.replace("\r\n", "\n"), clean(c)))
    return out


def ragged_row(row: tuple[str, ...], cut: int) -> list[str]:
    """cut 0-2: the row ends after the answer; 3: whole; 4: trailing empty cells."""
    return list(row[:2]) if cut <= 2 else list(row) + [""] * (cut - 3)


def csv_text(headers: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue()


@FUZZ
@given(rows=st.lists(ROW, max_size=8), encoding=st.sampled_from(EXACT + OTHER),
       extra_header=st.sampled_from([None, "question", "note", ""]),
       ragged=st.lists(st.integers(0, 4), min_size=8, max_size=8))
def test_generated_csv_imports_exactly_or_fails_clearly(tmp_path_factory, rows, encoding,
                                                        extra_header, ragged):
    headers = ["question", "answer", "category"] + ([extra_header] if extra_header is not None
                                                    else [])
    written = [ragged_row(r, cut) for r, cut in zip(rows, ragged, strict=False)]
    text = csv_text(headers, written)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        assume(False)
    path = tmp_path_factory.mktemp("csv") / "faq.csv"
    path.write_bytes(data)
    result = import_or_error(path)
    has_nul = "\x00" in text
    if encoding in EXACT and not has_nul:
        assert result == expected_items(written)  # formulas included: stored as text


@FUZZ
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".csv", ".tsv", ".jsonl",
                                                              ".xlsx"]),
       prefix=st.sampled_from([b"", b"PK\x03\x04", b"\xef\xbb\xbf", b"\xff\xfe",
                               b"question,answer\n"]))
def test_binary_garbage_is_refused_or_read_never_crashes(tmp_path_factory, data, suffix,
                                                         prefix):
    path = tmp_path_factory.mktemp("bin") / f"garbage{suffix}"
    path.write_bytes(prefix + data)
    import_or_error(path)  # asserts: a report, or one line naming the file


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


XLSX_TEXT = st.one_of(st.sampled_from([s for s in SPECIAL if s.isprintable() or "\n" in s]),
                      st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x2FFF,
                                                     blacklist_categories=("Cs", "Cc")),
                              max_size=20))


@FUZZ
@given(rows=st.lists(st.tuples(XLSX_TEXT, XLSX_TEXT, XLSX_TEXT), max_size=6),
       cut=st.one_of(st.none(), st.floats(0.0, 0.99)))
def test_generated_xlsx_imports_exactly_or_truncated_fails_clearly(tmp_path_factory, rows,
                                                                    cut):
    folder = tmp_path_factory.mktemp("xlsx")
    path = _xlsx(folder / "faq.xlsx", [["question", "answer", "category"],
                                        *[list(r) for r in rows]])
    if cut is not None:
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * cut)])
    result = import_or_error(path)
    if cut is None:
        assert result == expected_items(rows)
    else:
        assert isinstance(result, str) and "faq.xlsx" in result


@FUZZ
@given(depth=st.integers(1, 200_000), char=st.sampled_from(['"', "[", "{", '\\"']))
def test_deep_quoting_and_nesting_end_cleanly(tmp_path_factory, depth, char):
    folder = tmp_path_factory.mktemp("deep")
    (folder / "q.csv").write_text(f"question,answer\n{char * depth},x\n", "utf-8")
    (folder / "q.jsonl").write_text('{"question": ' + char * depth + "}\n", "utf-8")
    import_or_error(folder / "q.csv")
    import_or_error(folder / "q.jsonl")


def test_formula_cells_are_stored_as_text(tmp_path: Path):
    formula = "=cmd|' /C calc'!A0"
    csv_file = tmp_path / "f.csv"
    csv_file.write_text(f'question,answer\n"{formula}","+1+1"\n', "utf-8")
    xlsx_file = _xlsx(tmp_path / "f.xlsx", [["question", "answer"], [formula, "=1+1"]])
    assert import_or_error(csv_file) == [(formula, "+1+1", "")]
    assert import_or_error(xlsx_file) == [(formula, "=1+1", "")]


def test_size_limits_name_the_file_row_and_column(tmp_path: Path):
    ok = tmp_path / "big.csv"
    ok.write_text(f"question,answer\nq,{'長' * (MAX_CELL_CHARS // 2)}\n", "utf-8")
    assert import_or_error(ok) == [("q", "長" * (MAX_CELL_CHARS // 2), "")]
    huge = tmp_path / "huge.csv"
    huge.write_text(f"question,answer\nq1,a1\nq2,{'x' * (MAX_CELL_CHARS + 1)}\n", "utf-8")
    message = import_or_error(huge)
    assert "huge.csv: row 3, column 2 ('answer')" in message and "limit" in message
    rows = tmp_path / "rows.csv"
    rows.write_text("question,answer\n" + "q,a\n" * (MAX_ROWS + 1), "utf-8")
    assert f"more than {MAX_ROWS:,} rows" in import_or_error(rows)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "empty.csv: the file is empty" in import_or_error(empty)


def _zip_bomb(path: Path) -> Path:
    """A valid-looking XLSX whose sheet unpacks to more than the limit (a few MB on disk)."""
    source = _xlsx(path.with_suffix(".src.xlsx"), [["question", "answer"], ["q", "a"]])
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED,
                                                         compresslevel=1) as dst:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info, src.read(info))
                continue
            with dst.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
                sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/'
                            b'spreadsheetml/2006/main"><sheetData>')
                block = b"<row><c t=\"inlineStr\"><is><t>x</t></is></c></row>" * 20000
                for _ in range(MAX_XLSX_UNPACKED // len(block) + 1):
                    sheet.write(block)
                sheet.write(b"</sheetData></worksheet>")
    return path


def test_a_zip_bomb_xlsx_is_refused_before_unpacking(tmp_path: Path):
    bomb = _zip_bomb(tmp_path / "bomb.xlsx")
    assert bomb.stat().st_size < MAX_XLSX_UNPACKED // 50
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match="bomb.xlsx: the workbook would unpack to"):
            read_table(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20  # refused from the zip directory, nothing was unpacked


def test_bad_files_through_the_real_cli_end_in_one_line_each(tmp_path: Path, data_home: Path):
    bomb = _zip_bomb(tmp_path / "bomb.xlsx")
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(256)) * 40)
    huge = tmp_path / "huge.csv"
    huge.write_text(f"question,answer\nq,{'x' * (MAX_CELL_CHARS + 1)}\n", "utf-8")
    truncated = tmp_path / "cut.xlsx"
    truncated.write_bytes(_xlsx(tmp_path / "whole.xlsx", [["question", "answer"],
                                                          ["q", "a"]]).read_bytes()[:900])
    good = tmp_path / "good.csv"
    good.write_text("question,answer\n=cmd|' /C calc'!A0,text\n", "utf-8")
    result = run_cli("import", str(bomb), str(garbage), str(huge), str(truncated), str(good),
                     home=data_home)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 4
    for name, line in zip(("bomb.xlsx", "garbage.csv", "huge.csv", "cut.xlsx"), errors,
                          strict=True):
        assert name in line
    assert "good.csv: 1 added" in result.stdout
