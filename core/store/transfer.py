"""Copying a workspace between stores (`patent-desk migrate-store`): the SQLite files of one
laptop and a shared PostgreSQL store, either way. Everything is copied as it is (items with
their ids, settings, import history, synthetic queries with their review status, adapters
with their weights, and the item vectors, so nothing is re-embedded); the lexical index is
rebuilt in the target's own form. One transaction: a failed copy leaves no half workspace.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlean as sqlite3

from core import paths
from core.errors import InputError, WorkspaceError
from core.progress import Progress
from core.records import NewItem
from core.store.backend import SQLITE
from core.store.backend import open as open_store
from core.store.backup import check_backup_file, copy_database, copy_pages, default_target
from core.store.derived import rebuild_derived
from core.store.failures import busy_timeout, explain
from core.store.seat import MACHINE_SETTINGS

if TYPE_CHECKING:
    from core.store.protocol import WorkspaceStore

_ITEMS = ("id, question, answer, category, question_key, content_hash, source_file, source_row,"
          " extra, imported_at, updated_at")
# Tables copied row for row after the items they refer to.
_TABLES = {
    "imports": "id, file, encoding, imported_at, added, updated, unchanged, skipped",
    "queries": "id, item_id, text, angle, source, model, status, split, item_hash, created_at,"
               " updated_at",
    "generation_log": "item_id, item_hash, angle, model, done_at",
    "adapters": "id, created_at, base_encoder, kind, config, metrics, weights, active",
}
_BATCH = 1000


def copy_workspace(source: WorkspaceStore, target: WorkspaceStore,
                   progress: Progress | None = None) -> int:
    """Copy everything of `source` into the empty `target`; returns the number of items."""
    if target.count_items():
        raise WorkspaceError(f"workspace '{target.name}' in {target.location} already has "
                             f"{target.count_items()} items; delete it there or copy to "
                             "another store")
    ids = source.item_ids()
    with target.transaction():
        for start in range(0, len(ids), _BATCH):
            batch = ids[start : start + _BATCH]
            rows = source.db.execute(f"SELECT {_ITEMS} FROM items WHERE id IN"
                                     f" ({','.join('?' * len(batch))})", batch).fetchall()
            target.db.executemany(f"INSERT INTO items({_ITEMS}) VALUES ({_marks(_ITEMS)})",
                                  [tuple(r) for r in rows])
            # The lexical index in the target's own form.
            target.index_texts([(row[0], NewItem(row[1], row[2], row[3])) for row in rows])
            if progress:
                progress("copying items", min(start + _BATCH, len(ids)), len(ids))
        dim, encoder = source.vector_dim(), source.vector_encoder()
        if dim is not None and encoder is not None:
            target.reset_vectors(dim, encoder)
            missing = set(source.ids_without_vectors())  # embedded later, as in the source
            embedded = [i for i in ids if i not in missing]
            for start in range(0, len(embedded), _BATCH):
                batch_ids = embedded[start : start + _BATCH]
                target.put_vectors(batch_ids, source.get_vectors(batch_ids))
                if progress:
                    progress("copying vectors", min(start + _BATCH, len(embedded)),
                             len(embedded))
        for key, value in source.db.execute("SELECT key, value FROM settings").fetchall():
            if key in MACHINE_SETTINGS:  # where each store keeps them: copied below
                continue
            target.db.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key)"
                              " DO UPDATE SET value = excluded.value", (key, value))
        for table, columns in _TABLES.items():
            rows = source.db.execute(f"SELECT {columns} FROM {table}").fetchall()
            if rows:
                target.db.executemany(f"INSERT INTO {table}({columns}) VALUES ({_marks(columns)})",
                                      [tuple(r) for r in rows])
        target.after_copy()
    # This computer's LLM choices go with it, each store keeping them its own way: a shared
    # store in this computer's data folder (core.store.seat), never in the shared tables.
    # Written after the commit, so a failed copy leaves no record of a workspace not there.
    for key in MACHINE_SETTINGS:
        if (value := source.get_setting(key)) is not None:
            target.set_setting(key, value)
    return len(ids)


def _marks(columns: str) -> str:
    return ",".join("?" * len(columns.split(",")))


def restore_workspace(file: str | Path, name: str) -> tuple[int, Path | None, list[str]]:
    """Replace workspace `name` with the backup `file`; returns (items, where the replaced
    state was saved or None when the workspace did not exist, the backup's machine settings
    that were not taken)."""
    source = Path(file).expanduser()
    target = paths.workspace_path(name)
    if target.exists() and source.resolve() == target.resolve():
        raise InputError(f"{source} is the workspace itself; choose a backup file")
    items = check_backup_file(source)
    saved = None
    machine: dict[str, Any] = {}
    if target.exists():
        saved = default_target(name, "before-restore")
        copy_database(target, saved)
        machine = _machine_settings(name)
    src = dst = None
    try:
        src = sqlite3.connect(str(source), timeout=busy_timeout())
        dst = sqlite3.connect(str(target), timeout=busy_timeout())
        copy_pages(src, dst, target)
    except (sqlite3.Error, OSError) as exc:
        raise explain(exc, target) from None
    finally:
        for conn in (src, dst):
            if conn is not None:
                conn.close()
    with open_store(name, SQLITE) as ws:  # WAL mode again, and an older format is upgraded
        not_taken = _adopt(ws, machine)
    return items, saved, not_taken


def _machine_settings(name: str) -> dict[str, Any]:
    try:
        with open_store(name, SQLITE) as ws:
            return {k: v for k in MACHINE_SETTINGS if (v := ws.get_setting(k)) is not None}
    except Exception:  # noqa: BLE001 - a damaged workspace is what restores are for
        return {}


def _adopt(ws: WorkspaceStore, machine: dict[str, Any]) -> list[str]:
    """Make a restored file this computer's: its lexical index rebuilt from the items, its
    vectors dropped (the fill embeds them here), and this computer's LLM and model settings
    kept. Returns the backup's settings that were not taken."""
    not_taken = [k for k in MACHINE_SETTINGS
                 if (v := ws.get_setting(k)) is not None and v != machine.get(k)]
    encoder = ws.get_setting("models.encoder")
    if (isinstance(encoder, str) and not encoder.startswith("bundled:")
            and not Path(encoder).exists()):
        not_taken.append("models.encoder")
    with ws.transaction():
        if not ws.rebuilt_derived:  # opening it did, where this computer never saw the file
            rebuild_derived(ws)
        for key in MACHINE_SETTINGS:
            ws.delete_setting(key)
        for key, value in machine.items():
            ws.set_setting(key, value)
        if "models.encoder" in not_taken:
            ws.delete_setting("models.encoder")
    return not_taken
