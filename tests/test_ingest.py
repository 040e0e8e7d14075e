"""Reading spreadsheets: formats, encodings, headers, skipped rows and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from core.errors import InputError
from core.ingest import parse_file
from tests.conftest import DEMO_DIR, TIPO_FILES

SMALL = ("patent_attorney_act_qa.csv", "utility_model_report_qa.csv")


def _items(path: Path) -> list[tuple[str, str, str]]:
    return [(i.question, i.answer, i.category) for i in parse_file(path).items]


def _reencode(src: Path, dst_dir: Path, encoding: str) -> Path:
    text = src.read_text(encoding="utf-8-sig")
    dst = dst_dir / f"{src.stem}.{encoding}.csv"
    dst.write_bytes(text.encode(encoding))
    return dst


def test_three_tipo_files_with_different_headers_parse_without_options():
    counts = {p.name: len(parse_file(p).items) for p in TIPO_FILES}
    assert counts == {"patent_qa.csv": 689, "utility_model_report_qa.csv": 26,
                      "patent_attorney_act_qa.csv": 10}
    parsed = parse_file(DEMO_DIR / "patent_qa.csv")
    assert (parsed.mapping.question, parsed.mapping.answer, parsed.mapping.category) == (
        "題目", "解答", "類別")
    assert parsed.encoding == "utf-8-sig"
    assert parse_file(DEMO_DIR / "patent_attorney_act_qa.csv").mapping.category is None


def test_quoted_cells_keep_their_newlines():
    first = parse_file(DEMO_DIR / "patent_qa.csv").items[0]
    assert first.question == "本局地址？"
    assert "\n" in first.answer and first.answer.startswith("本局地址：106臺北市")
    assert first.source_row == 2 and first.extra["項次"] == "1"


@pytest.mark.parametrize("encoding", ["cp950", "big5"])
def test_big5_family_files_read_identically(tmp_path: Path, encoding: str):
    for name in SMALL:
        src = DEMO_DIR / name
        try:
            src.read_text(encoding="utf-8-sig").encode(encoding)
        except UnicodeEncodeError:
            continue  # one character of this file has no Big5 code; CP950 covers it
        parsed = parse_file(_reencode(src, tmp_path, encoding))
        assert parsed.encoding == "cp950"
        assert _items(tmp_path / f"{src.stem}.{encoding}.csv") == _items(src)


@pytest.mark.parametrize("encoding", ["gb18030", "utf-16", "utf-16-le", "utf-16-be"])
def test_all_three_files_read_identically_in_other_encodings(tmp_path: Path, encoding: str):
    for src in TIPO_FILES:
        assert _items(_reencode(src, tmp_path, encoding)) == _items(src), src.name


def test_xlsx_tsv_and_jsonl_read_like_the_csv(tmp_path: Path):
    src = DEMO_DIR / "utility_model_report_qa.csv"
    parsed = parse_file(src)
    rows = [parsed.headers] + [
        [it.extra.get("序號", ""), it.category, it.question, it.answer, it.extra.get("更新日期")]
        for it in parsed.items]
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(tmp_path / "report.xlsx")
    (tmp_path / "report.tsv").write_text(
        "\n".join("\t".join(c.replace("\n", " ") for c in r) for r in rows), encoding="utf-8")
    with open(tmp_path / "report.jsonl", "w", encoding="utf-8") as out:
        for row in rows[1:]:
            out.write(json.dumps(dict(zip(rows[0], row, strict=True)), ensure_ascii=False) + "\n")
    expected = _items(src)
    assert _items(tmp_path / "report.xlsx") == expected
    assert _items(tmp_path / "report.jsonl") == expected
    flat = [(q, a.replace("\n", " "), c) for q, a, c in expected]
    assert _items(tmp_path / "report.tsv") == flat


@pytest.mark.parametrize("header", [("question", "answer", "category"), ("Q", "A", "type"),
                                    ("问题", "答案", "分类"), ("問題", "回答", "分類")])
def test_headers_are_recognised_in_english_and_chinese(tmp_path: Path, header):
    f = tmp_path / "faq.csv"
    f.write_text(f"{header[0]},{header[1]},{header[2]}\n何謂專利？,保護發明的權利。,基本\n",
                 encoding="utf-8")
    [item] = parse_file(f).items
    assert (item.question, item.answer, item.category) == ("何謂專利？", "保護發明的權利。", "基本")


def test_column_overrides_by_name_or_number(tmp_path: Path):
    f = tmp_path / "odd.csv"
    f.write_text("x,y,z\n問一,答一,類一\n", encoding="utf-8")
    with pytest.raises(InputError, match="--question-col"):
        parse_file(f)
    [item] = parse_file(f, question_col="x", answer_col="2", category_col="z").items
    assert (item.question, item.answer, item.category) == ("問一", "答一", "類一")
    with pytest.raises(InputError, match="'nope' matches no column; the columns are: x, y, z"):
        parse_file(f, question_col="nope")


def test_unusable_rows_are_listed_with_row_numbers(tmp_path: Path):
    f = tmp_path / "gaps.csv"
    f.write_text("題目,解答\n問一,答一\n,沒有問題\n問三,\n\n問一,重複\n問五,答五\n",
                 encoding="utf-8")
    parsed = parse_file(f)
    assert [i.question for i in parsed.items] == ["問一", "問五"]
    assert [(s.row, s.reason) for s in parsed.skipped] == [
        (3, "empty question (題目)"), (4, "empty answer (解答)"),
        (6, "repeats the question of row 2")]


@pytest.mark.parametrize("name,content,message", [
    ("missing.csv", None, "no such file"),
    ("empty.csv", b"", "the file is empty"),
    ("garbage.csv", bytes(range(256)) * 20, "not a text spreadsheet"),
    ("nocols.csv", "名稱,價格\n蘋果,10\n".encode(), "no question or answer column recognised"),
    ("broken.xlsx", b"PK\x03\x04 this is not really a zip", "not a readable XLSX workbook"),
    ("bad.jsonl", b'{"question": "q", "answer": "a"}\n{oops\n', "line 2 is not valid JSON"),
    ("old.xls", b"\xd0\xcf\x11\xe0", ".xls files are not supported"),
])
def test_bad_input_raises_one_clear_line(tmp_path: Path, name, content, message):
    f = tmp_path / name
    if content is not None:
        f.write_bytes(content)
    with pytest.raises(InputError) as caught:
        parse_file(f)
    text = str(caught.value)
    assert message in text and name in text and "\n" not in text


def test_truncated_xlsx_is_a_clear_error(tmp_path: Path):
    book = openpyxl.Workbook()
    book.active.append(["題目", "解答"])
    book.active.append(["問", "答"])
    good = tmp_path / "good.xlsx"
    book.save(good)
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(InputError, match="cut.xlsx: not a readable XLSX workbook"):
        parse_file(cut)


def test_formulas_are_kept_as_text_never_evaluated(tmp_path: Path):
    book = openpyxl.Workbook()
    book.active.append(["question", "answer"])
    book.active.append(["How much?", "=1+1"])
    book.save(tmp_path / "f.xlsx")
    [item] = parse_file(tmp_path / "f.xlsx").items
    assert item.answer == "=1+1"
