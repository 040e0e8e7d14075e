"""Is this SQLite file a workspace as our migrations make it, and nothing more?

A workspace file can come from elsewhere: a restored backup, a file copied into the data
folder. SQLite runs whatever the file's schema defines on our connection: a trigger there
could rewrite the LLM server's URL whenever a setting changes, and a missing table turns
search into a traceback. So every file is compared with the schema that the migrations
produce at its version: the same tables with the same definitions, the same indexes, and
no trigger or view at all (ours define none).
"""

from __future__ import annotations

import operator
import re
from functools import cache
from typing import Any

import sqlean as sqlite3
import sqlite_vec

from core.store.migrations import MIGRATIONS

# The one vector table Workspace.reset_vectors creates; its dimension is the encoder's.
_VECTORS_SQL = re.compile(
    r"CREATE VIRTUAL TABLE item_vectors USING vec0\(embedding float\[(\d{1,5})\] "
    r"distance_metric=cosine\)")
# A damaged byte in stored text shows as U+FFFD instead of making the file unreadable.
LENIENT_TEXT = operator.methodcaller("decode", "utf-8", "replace")
Entry = tuple[str, str, str, str]  # type, name, table, SQL with its whitespace collapsed


class SchemaMismatch(Exception):
    """What differs, in words (one line)."""


def _entries(db: Any) -> set[Entry]:
    """The schema, less SQLite's own bookkeeping tables (sqlite_sequence stays behind when a
    vector table is dropped; ANALYZE makes sqlite_stat1): only SQLite can create those."""
    rows = db.execute("SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master")
    return {(t, n, tb, " ".join(sql.split())) for t, n, tb, sql in rows
            if not (t == "table" and n.startswith("sqlite_"))}


@cache
def _expected(version: int, vector_dim: int | None) -> frozenset[Entry]:
    db = sqlite3.connect(":memory:")
    try:
        db.enable_load_extension(True)
        sqlite_vec.load(db)
        for step in MIGRATIONS[:version]:
            step(db)
        if vector_dim is not None:
            db.execute(f"CREATE VIRTUAL TABLE item_vectors USING vec0("
                       f"embedding float[{vector_dim}] distance_metric=cosine)")
        return frozenset(_entries(db))
    finally:
        db.close()


def check_schema(db: Any) -> None:
    """Raise SchemaMismatch unless the file's schema is exactly ours at its version."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if not 0 <= version <= len(MIGRATIONS):
        return  # a newer Patent Desk's file: the migrations refuse it with their own message
    found = _entries(db)
    if version == 0 and not found:
        return  # a new, empty file: the migrations create everything
    for kind, name, _table, _sql in sorted(found):
        if kind in ("trigger", "view"):
            raise SchemaMismatch(f"it defines a {kind} '{name}', which Patent Desk never "
                                 "creates")
    vectors = next((sql for kind, name, _t, sql in found
                    if kind == "table" and name == "item_vectors"), None)
    dim = None
    if vectors is not None:
        match = _VECTORS_SQL.fullmatch(vectors)
        if match is None or int(match.group(1)) == 0:
            raise SchemaMismatch("its vector table 'item_vectors' is not one Patent Desk makes")
        dim = int(match.group(1))
    expected = _expected(version, dim)
    missing = sorted(e[1] for e in expected - found)
    extra = sorted(e[1] for e in found - expected)
    if missing:
        names = {e[1] for e in found}
        what = [f"'{m}' is missing" if m not in names else f"'{m}' is defined differently"
                for m in missing]
        raise SchemaMismatch("its " + ", ".join(what[:3]) + (" (and more)" if len(what) > 3
                                                             else ""))
    if extra:
        raise SchemaMismatch(f"it holds '{extra[0]}', which Patent Desk never creates")
