"""Importing into a workspace: counts, idempotency, updates, provenance, all-or-nothing."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from core.desk import Desk
from core.errors import Cancelled
from core.ingest import parse_file
from core.store import open_workspace
from tests.conftest import DEMO_DIR, TIPO_FILES, json_lines, run_cli, workspace_content

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow


def test_cli_imports_the_three_tipo_files_then_changes_nothing_on_reimport(data_home: Path):
    first = run_cli("import", *map(str, TIPO_FILES), "--json", home=data_home)
    assert first.returncode == 0, first.stderr
    reports = json_lines(first.stdout)
    assert [r["added"] for r in reports] == [10, 689, 26]
    assert reports[-1]["total_items"] == 725
    assert set(reports[0]) == {"file", "added", "updated", "unchanged", "skipped", "total_items"}
    assert "semantic search: 725/725 (100%)" in first.stderr  # the fill shows progress

    ws_file = data_home / "workspaces" / "default.sqlite"
    before = workspace_content(ws_file)
    again = run_cli("import", *map(str, TIPO_FILES), "--json", home=data_home)
    assert again.returncode == 0, again.stderr
    assert [(r["added"], r["updated"], r["unchanged"]) for r in json_lines(again.stdout)] == [
        (0, 0, 10), (0, 0, 689), (0, 0, 26)]
    after = workspace_content(ws_file)
    assert [t for t in after if t[0] != "imports"] == [t for t in before if t[0] != "imports"]


def test_reencoded_files_import_identically(tmp_path: Path, data_home: Path, encoder):
    """Re-encoded copies imported over the UTF-8 originals change nothing: same items."""
    with Desk("w", encoder=encoder) as desk:
        desk.import_files(TIPO_FILES)
        before = workspace_content(desk.ws.path)
        variants = [(enc, TIPO_FILES) for enc in ("gb18030", "utf-16", "utf-16-le")]
        variants += [(enc, [DEMO_DIR / "patent_attorney_act_qa.csv",
                            DEMO_DIR / "utility_model_report_qa.csv"]) for enc in ("cp950",)]
        variants += [("big5", [DEMO_DIR / "patent_attorney_act_qa.csv"])]
        for encoding, sources in variants:
            files = []
            for src in sources:
                dst = tmp_path / encoding / src.name
                dst.parent.mkdir(exist_ok=True)
                dst.write_bytes(src.read_text(encoding="utf-8-sig").encode(encoding))
                files.append(dst)
            reports = desk.import_files(files)
            assert all(r.added == r.updated == 0 and r.unchanged > 0 for r in reports), encoding
            assert sum(r.unchanged for r in reports) == sum(
                len(parse_file(s).items) for s in sources)
        after = workspace_content(desk.ws.path)
        assert [t for t in after if t[0] != "imports"] == [t for t in before if t[0] != "imports"]


def test_a_changed_answer_updates_the_item_and_keeps_provenance(tmp_path: Path, encoder):
    f = tmp_path / "faq.csv"
    f.write_text("題目,解答\n專利年費怎麼繳？,臨櫃或郵寄。\n何謂優先權？,首次申請後十二個月內。\n",
                 encoding="utf-8")
    with Desk("w", encoder=encoder) as desk:
        [first] = desk.import_files([f])
        assert (first.added, first.updated, first.unchanged) == (2, 0, 0)
        old = next(i for i in desk.ws.iter_items() if i.question == "專利年費怎麼繳？")
        f.write_text("題目,解答\n專利年費怎麼繳？,可線上繳納。\n何謂優先權？,首次申請後十二個月內。\n",
                     encoding="utf-8")
        [second] = desk.import_files([f])
        assert (second.added, second.updated, second.unchanged) == (0, 1, 1)
        new = next(i for i in desk.ws.iter_items() if i.question == "專利年費怎麼繳？")
        assert new.id == old.id and new.answer == "可線上繳納。"
        assert new.content_hash != old.content_hash
        assert (new.source_file, new.source_row, new.imported_at) == ("faq.csv", 2, old.imported_at)
        assert new.updated_at >= old.updated_at
        assert desk.search("線上繳納", mode="lexical")[0].item.id == new.id


def test_skipped_rows_are_reported_by_the_cli(tmp_path: Path, data_home: Path):
    f = tmp_path / "gaps.csv"
    f.write_text("question,answer\nWhat is a patent?,A right.\n,orphan answer\n", encoding="utf-8")
    result = run_cli("import", str(f), "--json", home=data_home)
    assert result.returncode == 0, result.stderr
    [report] = json_lines(result.stdout)
    assert report["added"] == 1
    assert report["skipped"] == [{"row": 3, "reason": "empty question (question)"}]
    plain = run_cli("import", str(f), home=data_home)
    assert "skipped row 3: empty question (question)" in plain.stdout


BAD_FILES = {
    "missing.csv": None,
    "empty.csv": b"",
    "garbage.csv": bytes(range(256)) * 40,
    "nocolumns.csv": "名稱,價格\n蘋果,10\n".encode(),
    "corrupt.xlsx": b"PK\x03\x04" + b"\x00" * 200,
    "broken.jsonl": b'{"question": "a", "answer": "b"}\n{not json}\n',
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_input_exits_2_with_one_line_and_leaves_the_workspace_unchanged(
        tmp_path: Path, data_home: Path, demo_workspace: str, name: str):
    ws_file = data_home / "workspaces" / "demo.sqlite"
    before = workspace_content(ws_file)
    path = tmp_path / name
    if BAD_FILES[name] is not None:
        path.write_bytes(BAD_FILES[name])
    result = run_cli("import", str(path), "--workspace", demo_workspace, home=data_home)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and name in lines[0]
    assert "Traceback" not in result.stderr
    assert workspace_content(ws_file) == before


def test_one_bad_file_does_not_stop_the_good_ones(tmp_path: Path, data_home: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    good = DEMO_DIR / "patent_attorney_act_qa.csv"
    result = run_cli("import", str(bad), str(good), "--json", home=data_home)
    assert result.returncode == 2
    assert [r["added"] for r in json_lines(result.stdout)] == [10]
    assert "bad.csv" in result.stderr


def _cancel_at(wanted: str) -> tuple[object, threading.Event]:
    cancel = threading.Event()

    def progress(stage: str, done: int, total: int) -> None:
        if stage == wanted:
            cancel.set()

    return progress, cancel


def test_cancelled_import_stores_nothing(encoder):
    with Desk("c", encoder=encoder) as desk:
        desk.import_files([DEMO_DIR / "patent_attorney_act_qa.csv"])
        before = workspace_content(desk.ws.path)
        desk.progress, desk.cancel = _cancel_at("storing")
        with pytest.raises(Cancelled):
            desk.import_files([DEMO_DIR / "utility_model_report_qa.csv"])
        assert workspace_content(desk.ws.path) == before


def test_a_cancelled_fill_keeps_the_imported_file_and_goes_on_next_time(encoder):
    with Desk("c", encoder=encoder) as desk:
        desk.import_files([DEMO_DIR / "patent_attorney_act_qa.csv"])
        desk.progress, desk.cancel = _cancel_at("semantic search")
        with pytest.raises(Cancelled, match="the next fill goes on"):
            desk.import_files([DEMO_DIR / "utility_model_report_qa.csv"])
        assert desk.ws.count_items() == 36
        assert desk.semantic_state().done == 10  # nothing of the new file embedded yet
        assert desk.search("新型專利技術報告", mode="lexical")
        desk.progress, desk.cancel = None, None
        assert desk.fill_vectors() == 26 and desk.semantic_state().complete


def test_a_failure_inside_the_write_rolls_everything_back(data_home: Path):
    with open_workspace("t") as ws:
        ws.set_setting("kept", 1)
        with pytest.raises(RuntimeError), ws.transaction():
            ws.set_setting("half", 1)
            raise RuntimeError("disk full")
        assert ws.get_setting("half") is None and ws.get_setting("kept") == 1
