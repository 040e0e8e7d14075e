"""Storing a parsed spreadsheet: diff against the workspace, then write everything of the
file, with its lexical index, in one transaction (all of it, or nothing).

No vectors are computed here: the items are searchable lexically as soon as the transaction
commits, and core.vectors fills their vectors in behind it, batch by batch."""

from __future__ import annotations

import threading
from pathlib import Path

from core.errors import Cancelled
from core.ingest import parse_file, question_key
from core.progress import Progress
from core.records import ImportReport
from core.store import ItemChange, WorkspaceStore


def _rebase(changes: list[ItemChange], stored: dict[str, tuple[int, str]]
            ) -> tuple[list[ItemChange], int]:
    """The changes against the workspace as it is now. Returns (changes, how many became
    unchanged)."""
    out: list[ItemChange] = []
    for change in changes:
        now = stored.get(change.key)
        if now and now[1] == change.item.content_hash:
            continue
        out.append(ItemChange(change.item, change.key, now[0] if now else None))
    return out, len(changes) - len(out)


def import_file(
    ws: WorkspaceStore,
    path: str | Path,
    columns: tuple[str | None, str | None, str | None] = (None, None, None),
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    encoding: str | None = None,
) -> ImportReport:
    """Import one file. Re-importing the same file changes nothing; a changed answer updates
    its item. On any error or cancellation the workspace is left exactly as it was."""
    parsed = parse_file(path, *columns, encoding=encoding)
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
    if progress is not None:
        progress("storing", 0, 1)
    if cancel is not None and cancel.is_set():
        raise Cancelled(f"import of {Path(path).name} cancelled; nothing was changed")
    with ws.transaction():
        fresh = ws.hashes_by_key()
        if fresh != known:  # another window or process imported meanwhile: diff again
            changes, also_unchanged = _rebase(changes, fresh)
            unchanged += also_unchanged
        added = sum(1 for c in changes if c.item_id is None)
        ws.apply_changes(changes)
        # A changed row may have a changed question: its vector is embedded again.
        ws.delete_vectors([c.item_id for c in changes if c.item_id is not None])
        ws.log_import(Path(path).name, parsed.encoding, added, len(changes) - added, unchanged,
                      len(parsed.skipped))
    return ImportReport(file=str(path), added=added, updated=len(changes) - added,
                        unchanged=unchanged, skipped=parsed.skipped,
                        total_items=ws.count_items())
