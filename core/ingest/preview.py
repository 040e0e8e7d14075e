"""What an import would do, before it does it: the first rows as read, how the file was read
(format, encoding, column mapping) and which rows would be skipped and why.

The import wizard shows this; it is computed by the same reader and parser the import uses,
so what the user approves is exactly what is imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from core.errors import InputError
from core.ingest import parse_table
from core.ingest.readers import read_table
from core.records import ColumnMapping, ImportSource, SkippedRow

PREVIEW_ROWS = 20
# Offered when detection picked wrong; the detected one is always offered as well.
ENCODINGS = ("utf-8", "utf-8-sig", "cp950", "big5", "big5hkscs", "gb18030", "utf-16",
             "utf-16-le", "utf-16-be", "shift_jis", "cp1252", "latin-1")


@dataclass
class FilePreview:
    source: ImportSource
    format: str = ""
    encoding: str | None = None  # None: not a text format (XLSX)
    headers: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (row number, cells)
    mapping: ColumnMapping | None = None
    items: int = 0
    skipped: list[SkippedRow] = field(default_factory=list)
    error: str | None = None  # why this file cannot be imported as chosen (one line)

    @property
    def name(self) -> str:
        return Path(self.source.path).name

    @property
    def importable(self) -> bool:
        return self.error is None and self.items > 0

    def confirmed(self) -> ImportSource:
        """The source with the mapping and encoding shown, so the import reads it the same."""
        m = self.mapping
        return ImportSource(
            self.source.path,
            m.question if m else self.source.question_col,
            m.answer if m else self.source.answer_col,
            (m.category or "") if m else self.source.category_col,
            self.encoding,
        )


def preview(source: ImportSource | str | Path, rows: int = PREVIEW_ROWS) -> FilePreview:
    """Read and parse a file as `source` says, never raising for a problem of the file: the
    problem is in `error`, with as much of the file as could be read."""
    if not isinstance(source, ImportSource):
        source = ImportSource(str(source))
    out = FilePreview(source)
    path = Path(source.path)
    try:
        table = read_table(path, source.encoding)
    except InputError as exc:
        out.error = str(exc)
        return out
    out.format, out.encoding, out.headers = table.format, table.encoding, table.headers
    out.rows = [(n, cells) for n, cells in table.rows if any(c.strip() for c in cells)][:rows]
    try:
        parsed = parse_table(path, table, *source.columns)
    except InputError as exc:
        out.error = str(exc)
        return out
    out.mapping, out.items, out.skipped = parsed.mapping, len(parsed.items), parsed.skipped
    if not parsed.items:
        out.error = f"{path.name}: no row has both a question and an answer; check the columns"
    return out


def encoding_choices(detected: str | None) -> list[str]:
    """The encodings to offer for a file: the detected one first."""
    return [detected, *(e for e in ENCODINGS if e != detected)] if detected else list(ENCODINGS)
