"""Storing a parsed spreadsheet: diff against the workspace, embed what is new or changed,
then write everything of the file in one transaction (all of it, or nothing)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from core.errors import Cancelled
from core.ingest import parse_file, question_key
from core.records import ImportReport, NewItem
from core.store import ItemChange, Workspace

Progress = Callable[[str, int, int], None]
EmbedDocuments = Callable[[list[str], Progress | None, threading.Event | None], "object"]


def document_text(item: NewItem) -> str:
    """What the dense channel embeds for an item: its question. Measured on TIPO with the
    bundled encoder, question-only vectors retrieve better than question + answer (Hit@1
    0.13 vs 0.09 on the realistic queries) and embed five times faster."""
    return item.question


def import_file(
    ws: Workspace,
    path: str | Path,
    embed: EmbedDocuments | None = None,
    columns: tuple[str | None, str | None, str | None] = (None, None, None),
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ImportReport:
    """Import one file. Re-importing the same file changes nothing; a changed answer updates
    its item. On any error or cancellation the workspace is left exactly as it was."""
    parsed = parse_file(path, *columns)
    known = ws.hashes_by_key()
    changes: list[ItemChange] = []
    unchanged = 0
    for item in parsed.items:
        key = question_key(item.question)
        stored = known.get(key)
        if stored and stored[1] == item.content_hash:
            unchanged += 1
        else:
            changes.append(ItemChange(item, key, stored[0] if stored else None))
    if changes and embed is not None:
        vectors = embed([document_text(c.item) for c in changes], progress, cancel)
        changes = [ItemChange(c.item, c.key, c.item_id, v)
                   for c, v in zip(changes, vectors, strict=True)]  # type: ignore[call-overload]
    if cancel is not None and cancel.is_set():
        raise Cancelled(f"import of {Path(path).name} cancelled; nothing was changed")
    added = sum(1 for c in changes if c.item_id is None)
    with ws.transaction():
        ws.apply_changes(changes)
        ws.log_import(Path(path).name, parsed.encoding, added, len(changes) - added, unchanged,
                      len(parsed.skipped))
    return ImportReport(file=str(path), added=added, updated=len(changes) - added,
                        unchanged=unchanged, skipped=parsed.skipped,
                        total_items=ws.count_items())
