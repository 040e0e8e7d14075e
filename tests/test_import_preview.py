"""The import preview: what the wizard shows before anything is written, computed by the
same reader and parser the import uses; and the user's encoding / column choices."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.desk import Desk
from core.errors import InputError
from core.ingest import parse_file
from core.ingest.preview import encoding_choices, preview
from core.records import ImportSource
from tests.conftest import DEMO_DIR

SMALL = DEMO_DIR / "patent_attorney_act_qa.csv"


def test_preview_shows_first_rows_mapping_and_counts_of_a_real_file():
    p = preview(DEMO_DIR / "patent_qa.csv")
    assert p.error is None and p.importable
    assert (p.format, p.encoding) == ("csv", "utf-8-sig")
    assert p.headers == ["項次", "類別", "題目", "解答", "更新日期"]
    assert len(p.rows) == 20 and p.rows[0][0] == 2 and p.rows[0][1][2] == "本局地址？"
    assert (p.mapping.question, p.mapping.answer, p.mapping.category) == ("題目", "解答", "類別")
    assert p.items == len(parse_file(DEMO_DIR / "patent_qa.csv").items) == 689


def test_skipped_rows_are_listed_with_reasons(tmp_path: Path):
    f = tmp_path / "faq.csv"
    f.write_text("問題,答案\n可以預繳嗎？,可以。\n,沒有問題\n沒有答案？,\n可以預繳嗎？,重複\n",
                 encoding="utf-8")
    p = preview(f)
    assert p.items == 1
    assert [(s.row, s.reason) for s in p.skipped] == [
        (3, "empty question (問題)"), (4, "empty answer (答案)"),
        (5, "repeats the question of row 2")]


def test_unrecognised_columns_still_show_the_file_and_say_what_to_choose(tmp_path: Path):
    f = tmp_path / "odd.csv"
    f.write_text("欄一,欄二\n可以預繳嗎？,可以。\n", encoding="utf-8")
    p = preview(f)
    assert not p.importable and "no question or answer column recognised" in p.error
    assert p.headers == ["欄一", "欄二"] and p.rows == [(2, ["可以預繳嗎？", "可以。"])]
    chosen = preview(ImportSource(str(f), "欄一", "欄二"))
    assert chosen.error is None and chosen.items == 1
    assert chosen.confirmed() == ImportSource(str(f), "欄一", "欄二", "", "utf-8")


def test_category_can_be_left_out_even_when_a_column_is_recognised():
    auto = preview(DEMO_DIR / "patent_qa.csv")
    assert auto.mapping.category == "類別"
    none = preview(ImportSource(str(DEMO_DIR / "patent_qa.csv"), category_col=""))
    assert none.mapping.category is None and none.items == auto.items


def test_a_wrong_encoding_choice_is_reported_and_the_right_one_reads(tmp_path: Path):
    f = tmp_path / "big5.csv"
    f.write_bytes(SMALL.read_text(encoding="utf-8-sig").encode("cp950"))
    detected = preview(f)
    assert detected.encoding == "cp950" and detected.items == 10
    assert encoding_choices("cp950")[0] == "cp950" and "utf-8" in encoding_choices(None)
    wrong = preview(ImportSource(str(f), encoding="utf-8"))
    assert not wrong.importable and "cannot be read as utf-8" in wrong.error
    assert "\n" not in wrong.error
    mojibake = preview(ImportSource(str(f), encoding="latin-1"))
    assert mojibake.error is not None  # headers unreadable: no question column recognised
    with pytest.raises(InputError, match="unknown text encoding"):
        parse_file(f, encoding="no-such-codec")


def test_a_missing_file_is_an_error_line_not_an_exception(tmp_path: Path):
    p = preview(tmp_path / "nope.csv")
    assert not p.importable and "no such file" in p.error and p.name == "nope.csv"


def test_importing_the_confirmed_choices_reads_the_file_as_previewed(tmp_path: Path, encoder):
    f = tmp_path / "odd.csv"
    f.write_bytes("欄一,欄二,分\n可以預繳嗎？,可以。,年費\n規費多少？,見規費表。,規費\n"
                  .encode("cp950"))
    p = preview(ImportSource(str(f), "欄一", "欄二", "分"))
    assert p.items == 2 and p.encoding == "cp950"
    with Desk("t", encoder=encoder) as desk:
        (report,) = desk.import_files([p.confirmed()])
        assert (report.added, report.skipped) == (2, [])
        assert sorted(it.category for it in desk.ws.iter_items()) == ["年費", "規費"]
