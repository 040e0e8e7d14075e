"""A workspace: one SQLite database file. All SQL of Patent Desk is here."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sqlean as sqlite3
import sqlite_vec

from core.records import Item, NewItem
from core.store import known_files, lexical_plan, opening
from core.store.backup import backup_before_migration
from core.store.failures import busy_timeout, explain, is_storage_error
from core.store.migrations import create_whole, migrate
from core.store.schema_check import LENIENT_TEXT, check_schema
from core.store.vector_table import VectorTable
from core.text import char_tokens

_ITEM_COLUMNS = (
    "id, question, answer, category, source_file, source_row, content_hash, imported_at,"
    " updated_at, extra"
)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class _Discard(Exception):
    """Ends a discarded_changes() block: its transaction rolls back."""


@dataclass(frozen=True)
class ItemChange:
    """One row of an import: new (item_id None) or replacing the stored item item_id."""

    item: NewItem
    key: str
    item_id: int | None
    vector: np.ndarray | None = None


def _json(text: Any, default: Any) -> Any:
    """Stored JSON, or `default` where a damaged or foreign file holds something else."""
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return default


def _row_to_item(row: Sequence[Any]) -> Item:
    extra = _json(row[9], None)
    return Item(
        id=row[0], question=str(row[1]), answer=str(row[2]), category=str(row[3]),
        source_file=str(row[4]), source_row=row[5], content_hash=row[6], imported_at=row[7],
        updated_at=row[8],
        # Unreadable extra columns are kept as their text, not dropped.
        extra=extra if isinstance(extra, dict) else {"extra": str(row[9])},
    )


def index_columns(item: NewItem) -> tuple[list[str], list[str], list[str]]:
    """The lexical index's columns of an item, tokenised: question, body (question + answer),
    category. Both stores index these, so they rank alike."""
    question = char_tokens(item.question)  # tokenised once: the body starts with it
    return question, question + char_tokens(item.answer), char_tokens(item.category)


class Workspace(VectorTable):
    """An open workspace. Use as a context manager, or call close()."""

    rebuilt_derived = False  # whether opening rebuilt a stranger's derived data (.opening)
    common_items = lexical_plan.COMMON_ITEMS  # a bigram in more items is common (lexical_plan)

    def __init__(self, path: Path, name: str | None = None) -> None:
        self.path = Path(path)
        self.name = name or self.path.stem
        self.db = None  # type: ignore[assignment]
        # Before create_whole: a file made by this open is ours, not a stranger.
        self.rebuilt_derived = known_files.never_seen(self.path)
        try:
            create_whole(self.path)  # when it is new
            self.db = sqlite3.connect(str(self.path), isolation_level=None,
                                      timeout=busy_timeout(), check_same_thread=False)
            self.db.text_factory = LENIENT_TEXT
            self.db.enable_load_extension(True)
            sqlite_vec.load(self.db)
            self.db.enable_load_extension(False)
            check_schema(self.db)  # before anything of the file can run (a trigger, say)
            opening.check_integrity(self.db, self.path, self.name)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            migrate(self.db, lambda version: backup_before_migration(self.path, version))
            opening.adopt(self, self.rebuilt_derived)  # a stranger's index is rebuilt here
        except Exception as exc:
            if self.db is not None:
                self.db.close()
            raise opening.open_error(exc, self.path) from None

    @property
    def location(self) -> str:
        """Where the workspace lives, for listings and messages."""
        return str(self.path)

    def close(self) -> None:
        self.db.close()
        if self.path is not None:  # None: a PostgreSQL workspace, no file
            known_files.remember(self.path)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: on any exception the workspace stays exactly as it was."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            if not is_storage_error(exc):
                raise
            raise explain(exc, self.path) from None  # busy: another process is writing
        try:
            yield
            self.db.execute("COMMIT")
        except BaseException as exc:
            if self.db.in_transaction:  # SQLite may have rolled back already (disk full)
                self.db.execute("ROLLBACK")
            if is_storage_error(exc):
                raise explain(exc, self.path) from None
            raise

    @contextmanager
    def discarded_changes(self) -> Iterator[None]:
        """A transaction that is always rolled back: to measure search on an edited index
        (core.evaluate's inverse-cloze probes) while what is stored stays exactly as it was.
        Other connections never see the edits."""
        try:
            with self.transaction():
                yield
                raise _Discard
        except _Discard:
            pass

    def after_copy(self) -> None:
        """Called once rows were copied in with their ids (core.store.transfer)."""

    # -- settings ---------------------------------------------------------------------------
    def get_setting(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return _json(row[0], default) if row else default  # damaged: as if unset

    def set_setting(self, key: str, value: Any) -> None:
        self.db.execute(
            "INSERT INTO settings(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value, ensure_ascii=False)),
        )

    def delete_setting(self, key: str) -> None:
        self.db.execute("DELETE FROM settings WHERE key = ?", (key,))

    # -- items ------------------------------------------------------------------------------
    def count_items(self) -> int:
        return self.db.execute("SELECT count(*) FROM items").fetchone()[0]

    def item_ids(self, category: str | None = None) -> list[int]:
        """Every item id in id order; with `category`, only that category's."""
        if category is None:
            return [r[0] for r in self.db.execute("SELECT id FROM items ORDER BY id")]
        return [r[0] for r in self.db.execute(
            "SELECT id FROM items WHERE category = ? ORDER BY id", (category,))]

    def category_counts(self) -> list[tuple[str, int]]:
        """(category, number of items) for every category in use ('' = none), by name."""
        return [(r[0], r[1]) for r in self.db.execute(
            "SELECT category, count(*) FROM items GROUP BY category ORDER BY category")]

    def get_items(self, ids: Sequence[int]) -> list[Item]:
        """Items in the order of `ids` (unknown ids are left out)."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(f"SELECT {_ITEM_COLUMNS} FROM items WHERE id IN ({marks})",
                               list(ids))
        by_id = {row[0]: _row_to_item(row) for row in rows}
        return [by_id[i] for i in ids if i in by_id]

    def iter_items(self) -> Iterator[Item]:
        for row in self.db.execute(f"SELECT {_ITEM_COLUMNS} FROM items ORDER BY id"):
            yield _row_to_item(row)

    def hashes_by_key(self) -> dict[str, tuple[int, str]]:
        return {k: (i, h) for i, k, h in
                self.db.execute("SELECT id, question_key, content_hash FROM items")}

    def item_id_for_question(self, key: str) -> int | None:
        row = self.db.execute("SELECT id FROM items WHERE question_key = ?", (key,)).fetchone()
        return row[0] if row else None

    def index_text(self, item_id: int, item: NewItem) -> None:
        """(Re-)index an item's text in the lexical index; call inside transaction()."""
        self.index_texts([(item_id, item)])

    def index_texts(self, rows: Sequence[tuple[int, NewItem]]) -> None:
        """(Re-)index items' texts, one statement per kind for the whole batch (an import of
        20,000 rows spent 3.1 of its 6.8 s in single-row executes); call inside
        transaction()."""
        self.db.executemany("DELETE FROM items_fts WHERE rowid = ?", [(i,) for i, _ in rows])
        self.db.executemany(
            "INSERT INTO items_fts(rowid, question, body, category) VALUES (?,?,?,?)",
            [(i, *(" ".join(tokens) for tokens in index_columns(it))) for i, it in rows])

    def _new_item_ids(self, n: int) -> list[int]:
        """Ids for n items about to be inserted, so a batch goes in with one executemany
        (sqlite3 returns no RETURNING rows from it); call inside transaction()."""
        top = self.db.execute("SELECT coalesce(max(id), 0) FROM items").fetchone()[0]
        return list(range(int(top) + 1, int(top) + 1 + n))

    def apply_changes(self, changes: Sequence[ItemChange]) -> list[int]:
        """Insert or replace items with their index rows; call inside transaction()."""
        stamp = now()
        fresh = iter(self._new_item_ids(sum(1 for c in changes if c.item_id is None)))
        ids = [next(fresh) if c.item_id is None else c.item_id for c in changes]
        inserts, updates = [], []
        for item_id, change in zip(ids, changes, strict=True):
            it = change.item
            values = (it.question, it.answer, it.category, change.key, it.content_hash,
                      it.source_file, it.source_row, json.dumps(it.extra, ensure_ascii=False))
            if change.item_id is None:
                inserts.append((item_id, *values, stamp, stamp))
            else:
                updates.append((*values, stamp, item_id))
        self.db.executemany(
            "UPDATE items SET question=?, answer=?, category=?, question_key=?,"
            " content_hash=?, source_file=?, source_row=?, extra=?, updated_at=?"
            " WHERE id=?", updates)
        self.db.executemany(
            "INSERT INTO items(id, question, answer, category, question_key, content_hash,"
            " source_file, source_row, extra, imported_at, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?)", inserts)
        self.index_texts([(i, c.item) for i, c in zip(ids, changes, strict=True)])
        with_vectors = [(i, c.vector) for i, c in zip(ids, changes, strict=True)
                        if c.vector is not None]
        if with_vectors:
            self.put_vectors([i for i, _ in with_vectors], np.stack([v for _, v in with_vectors]))
        return ids

    def delete_items(self, ids: Sequence[int]) -> None:
        """Remove items with their index rows; call inside transaction()."""
        has_vectors = self.vector_dim() is not None
        for item_id in ids:
            self.db.execute("DELETE FROM items WHERE id = ?", (item_id,))
            self.db.execute("DELETE FROM items_fts WHERE rowid = ?", (item_id,))
            if has_vectors:
                self.db.execute("DELETE FROM item_vectors WHERE rowid = ?", (item_id,))
        if has_vectors and ids:
            self._vectors_changed()

    def log_import(self, file: str, encoding: str | None, added: int, updated: int,
                   unchanged: int, skipped: int) -> None:
        self.db.execute(
            "INSERT INTO imports(file, encoding, imported_at, added, updated, unchanged, skipped)"
            " VALUES (?,?,?,?,?,?,?)", (file, encoding, now(), added, updated, unchanged, skipped))

    # -- lexical index ----------------------------------------------------------------------
    def rebuild_lexical_index(self) -> None:
        """Index every item afresh from its text; call inside transaction() (a restored
        file's index is derived data from elsewhere, never trusted)."""
        self.db.execute("DELETE FROM items_fts")
        self.index_texts([(it.id, NewItem(it.question, it.answer, it.category))
                          for it in list(self.iter_items())])

    def lexical_search(self, tokens: Sequence[str], weights: Sequence[float], k: int
                       ) -> list[tuple[int, float]]:
        """FTS5 BM25 over the token columns for any of `tokens`; returns (item id, score)
        with higher = better."""
        if not tokens:
            return []
        match = lexical_plan.match_expression(tokens, self._size_bound(),
                                               lexical_plan.counter(self.db), self.common_items)
        w = ", ".join(f"{float(x):.3f}" for x in weights)
        rows = self.db.execute(
            f"SELECT rowid, -bm25(items_fts, {w}) AS s FROM items_fts WHERE items_fts MATCH ?"
            " ORDER BY s DESC LIMIT ?", (match, k))
        # A damaged index can score NULL: such a row ranks last rather than failing search.
        return [(int(r[0]), float(r[1]) if r[1] is not None else 0.0) for r in rows]

    def _size_bound(self) -> int:
        """At least the number of items: max(id) is one b-tree step, count(*) a scan."""
        return self.db.execute("SELECT max(id) FROM items").fetchone()[0] or 0

    def filter_ids(self, parts: Sequence[tuple[Sequence[str], bool]],
                   weights: Sequence[float]) -> list[int]:
        """Items holding every part (its tokens in order; a prefix where flagged), best BM25
        first: the Library's filter (core.library.filter_parts)."""
        match = " AND ".join('"' + " ".join(run) + '"' + ("*" if prefix else "")
                             for run, prefix in parts)
        w = ", ".join(f"{float(x):.3f}" for x in weights)
        rows = self.db.execute(
            f"SELECT rowid FROM items_fts WHERE items_fts MATCH ? ORDER BY bm25(items_fts, {w})",
            (match,))
        return [int(r[0]) for r in rows]

    def index_tokens(self, item_id: int) -> set[str]:
        """The lexical tokens of an item's question and answer."""
        row = self.db.execute("SELECT body FROM items_fts WHERE rowid = ?", (item_id,)).fetchone()
        return set(row[0].split()) if row else set()
