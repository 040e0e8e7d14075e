"""Schema migrations as small numbered functions (PRAGMA user_version counts them).

Append a new function to MIGRATIONS to change the schema; never edit one that has shipped.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlean as sqlite3

Migration = Callable[[Any], None]


def m001_items_settings_fts(db: Any) -> None:
    db.execute(
        """CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            question TEXT NOT NULL,
            answer TEXT NOT NULL,
            category TEXT NOT NULL DEFAULT '',
            question_key TEXT NOT NULL UNIQUE,
            content_hash TEXT NOT NULL,
            source_file TEXT NOT NULL DEFAULT '',
            source_row INTEGER NOT NULL DEFAULT 0,
            extra TEXT NOT NULL DEFAULT '{}',
            imported_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    # Pre-tokenised text (see core.text): CJK character bigrams and Latin words. `body` is
    # question + answer as one document (BM25 over it is the bigram baseline); `question`
    # adds a small boost for matching the stored question itself.
    db.execute(
        """CREATE VIRTUAL TABLE items_fts USING fts5(
            question, body, category, tokenize = "unicode61 remove_diacritics 2"
        )"""
    )
    db.execute(
        """CREATE TABLE imports (
            id INTEGER PRIMARY KEY,
            file TEXT NOT NULL,
            encoding TEXT,
            imported_at TEXT NOT NULL,
            added INTEGER NOT NULL,
            updated INTEGER NOT NULL,
            unchanged INTEGER NOT NULL,
            skipped INTEGER NOT NULL
        )"""
    )


def m002_queries_adapters(db: Any) -> None:
    # Synthetic queries (MQG-RFM angles) with review status, and tuned adapters. Adapter
    # weights live in the workspace file itself: one file to back up, and activating an
    # adapter is one transaction.
    db.execute(
        """CREATE TABLE queries (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            text TEXT NOT NULL,
            angle TEXT NOT NULL,
            source TEXT NOT NULL,
            model TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'generated'
                CHECK (status IN ('generated', 'accepted', 'rejected', 'edited')),
            split TEXT NOT NULL DEFAULT 'train' CHECK (split IN ('train', 'heldout')),
            item_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (item_id, angle, text)
        )"""
    )
    db.execute("CREATE INDEX queries_item ON queries(item_id)")
    db.execute(
        """CREATE TABLE generation_log (
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            item_hash TEXT NOT NULL,
            angle TEXT NOT NULL,
            model TEXT NOT NULL,
            done_at TEXT NOT NULL,
            PRIMARY KEY (item_id, angle, model)
        )"""
    )
    db.execute(
        """CREATE TABLE adapters (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            base_encoder TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('query', 'symmetric')),
            config TEXT NOT NULL,
            metrics TEXT NOT NULL,
            weights BLOB NOT NULL,
            active INTEGER NOT NULL DEFAULT 0
        )"""
    )


MIGRATIONS: list[Migration] = [m001_items_settings_fts, m002_queries_adapters]


class NewerFormat(Exception):
    """The file was written by a newer Patent Desk (more migrations than this one knows)."""


class MigrationFailed(Exception):
    """A migration step failed; every pending step was rolled back together."""


def migrate(db: Any, before: Callable[[int], None] | None = None) -> int:
    """Bring the schema up to date in ONE transaction (a failing step leaves the file exactly
    as it was); return the version. `before(version)` runs first when an existing,
    non-empty workspace is about to change (the automatic backup)."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise NewerFormat(f"format {version}, this Patent Desk knows up to {len(MIGRATIONS)}")
    if version == len(MIGRATIONS):
        return version
    if version > 0 and before is not None:
        before(version)
    db.execute("BEGIN IMMEDIATE")
    try:
        if db.execute("PRAGMA user_version").fetchone()[0] != version:
            db.execute("ROLLBACK")  # another process migrated it meanwhile
            return migrate(db, None)
        for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
            try:
                step(db)
            except Exception as exc:
                raise MigrationFailed(f"step {number} ({step.__name__}) failed: {exc}") from exc
            db.execute(f"PRAGMA user_version = {number}")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return len(MIGRATIONS)


def create_whole(path: Path) -> None:
    """Make a new workspace file beside its place, migrated, then link it in: it appears
    whole or not at all. Processes creating one workspace at once (two imports into a new
    name) otherwise met half-made: one read the other's schema mid-migration and refused it
    as foreign, or SQLite answered busy at once, without waiting, while the other switched
    the new file to WAL. An existing file is left alone."""
    if path.exists():
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.new")
    try:
        db = sqlite3.connect(str(tmp), isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")  # the mode is kept in the file
            migrate(db)
        finally:
            db.close()  # the last connection: SQLite folds the -wal file back in
        try:
            os.link(tmp, path)  # fails where another process's file is already in place
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links (FAT, some shares)
            if not path.exists():
                os.replace(tmp, path)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
            leftover.unlink(missing_ok=True)
