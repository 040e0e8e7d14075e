"""What one open workspace holds: items imported from spreadsheets, or added, edited and
deleted by hand (core.library; the GUI's Library page). Every change is searchable lexically
at once; its vectors follow through the index (core.desk_index).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from core import library, logs
from core.desk_index import DeskIndex
from core.desk_models import OpenWorkspace
from core.errors import ModelError
from core.ingest.importer import import_file
from core.records import ImportReport, ImportSource, Item


class DeskContent:
    def __init__(self, desk: OpenWorkspace, index: DeskIndex) -> None:
        self._desk = desk
        self.ws = desk.ws
        self.index = index

    def import_files(self, files: Sequence[str | Path | ImportSource],
                     columns: tuple[str | None, str | None, str | None] = (None, None, None),
                     on_error: Callable[[Path, Exception], None] | None = None,
                     fill: bool = True) -> list[ImportReport]:
        """Import each file in its own transaction: its items are searchable lexically at
        once. Then, with `fill`, embed them (fill_vectors; it re-measures search quality);
        without, the caller runs the fill, in the background say. An ImportSource carries
        its own columns and encoding (the import wizard's choices)."""
        reports = []
        for file in files:
            src = file if isinstance(file, ImportSource) else ImportSource(str(file), *columns)
            try:
                reports.append(import_file(self.ws, src.path, src.columns, self._desk.progress,
                                           self._desk.cancel, src.encoding))
            except Exception as exc:
                if on_error is None:
                    raise
                on_error(Path(src.path), exc)
        for r in reports:  # counts and file names only: item texts stay out of the log
            logs.log().info("import into %s: %s: %d added, %d updated, %d unchanged, %d "
                            "skipped", self.ws.name, Path(r.file).name, r.added, r.updated,
                            r.unchanged, len(r.skipped))
        if fill:  # also when nothing changed: it resumes a fill that a kill stopped
            try:
                self.index.fill_vectors()
            except ModelError as exc:  # the items are stored and searchable lexically
                logs.log().warning("vector fill after import: %s", exc)
        return reports

    def add_item(self, question: str, answer: str, category: str = "") -> Item:
        item = library.add_item(self.ws, question, answer, category)
        self.index.fill_vectors([item.id])
        return item

    def update_item(self, item_id: int, question: str, answer: str, category: str = "") -> Item:
        item = library.update_item(self.ws, item_id, question, answer, category)
        self.index.fill_vectors([item.id])
        return item

    def delete_items(self, ids: Sequence[int]) -> int:
        return library.delete_items(self.ws, ids)
