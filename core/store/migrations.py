"""Schema migrations as small numbered functions (PRAGMA user_version counts them).

Append a new function to MIGRATIONS to change the schema; never edit one that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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


def migrate(db: Any) -> int:
    """Bring the schema up to date, each step in its own transaction; return the version."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            step(db)
            db.execute(f"PRAGMA user_version = {number}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return len(MIGRATIONS)
