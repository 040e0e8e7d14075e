"""Spreadsheets -> items. `parse_file` reads and validates; storing is `core.store`'s job."""

from __future__ import annotations

from pathlib import Path

from core.ingest.columns import map_columns
from core.ingest.readers import Table, read_table
from core.records import NewItem, ParsedFile, SkippedRow
from core.text import clean

__all__ = ["parse_file", "parse_table", "question_key"]


def question_key(question: str) -> str:
    """The identity of an item inside a workspace: its question, whitespace-normalised."""
    return clean(question)


def parse_file(
    path: str | Path,
    question_col: str | None = None,
    answer_col: str | None = None,
    category_col: str | None = None,
    encoding: str | None = None,
) -> ParsedFile:
    """Read one spreadsheet into items; rows without question or answer are listed as skipped.
    `encoding` overrides the detected text encoding."""
    path = Path(path)
    return parse_table(path, read_table(path, encoding), question_col, answer_col, category_col)


def parse_table(
    path: Path,
    table: Table,
    question_col: str | None = None,
    answer_col: str | None = None,
    category_col: str | None = None,
) -> ParsedFile:
    """Items of an already read table (the import preview reads once, then parses)."""
    mapping = map_columns(table.headers, path.name, question_col, answer_col, category_col)
    index = {h: i for i, h in reversed(list(enumerate(table.headers)))}
    q_i, a_i = index[mapping.question], index[mapping.answer]
    c_i = index[mapping.category] if mapping.category else None
    role_columns = {q_i, a_i} | ({c_i} if c_i is not None else set())

    items: list[NewItem] = []
    skipped: list[SkippedRow] = []
    first_row_of: dict[str, int] = {}
    for number, cells in table.rows:
        if not any(c.strip() for c in cells):
            continue  # blank spreadsheet rows are layout, not data

        def cell(i: int | None, cells: list[str] = cells) -> str:
            return cells[i] if i is not None and i < len(cells) else ""

        question, answer = clean(cell(q_i)), cell(a_i).strip()
        if not question:
            skipped.append(SkippedRow(number, f"empty question ({mapping.question})"))
            continue
        if not answer:
            skipped.append(SkippedRow(number, f"empty answer ({mapping.answer})"))
            continue
        key = question_key(question)
        if key in first_row_of:
            skipped.append(SkippedRow(number, f"repeats the question of row {first_row_of[key]}"))
            continue
        first_row_of[key] = number
        extra = {
            h: cell(i)
            for i, h in enumerate(table.headers)
            if i not in role_columns and h and cell(i).strip()
        }
        items.append(
            NewItem(
                question=question,
                answer=answer.replace("\r\n", "\n"),
                category=clean(cell(c_i)),
                source_file=path.name,
                source_row=number,
                extra=extra,
            )
        )
    return ParsedFile(
        path=str(path),
        format=table.format,
        encoding=table.encoding,
        headers=table.headers,
        mapping=mapping,
        items=items,
        skipped=skipped,
    )
