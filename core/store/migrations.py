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


MIGRATIONS: list[Migration] = [m001_items_settings_fts]


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
