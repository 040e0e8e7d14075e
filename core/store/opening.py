"""Opening a workspace file: what is checked before Patent Desk trusts it, and the one line
that says why a file was refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlean as sqlite3

from core.errors import WorkspaceError
from core.store import known_files
from core.store.derived import rebuild_derived
from core.store.failures import explain
from core.store.migrations import MigrationFailed, NewerFormat
from core.store.schema_check import SchemaMismatch


def check_integrity(db: Any, path: Path, name: str) -> None:
    """A file that changed since this computer closed it is checked in full, indexes
    included, as restore checks a backup (integrity_check, not the page-level quick_check: a
    file from elsewhere can hold an index that disagrees with its table)."""
    if path.stat().st_size == 0 or known_files.unchanged_since_we_closed_it(path):
        return
    if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        raise WorkspaceError(
            f"cannot open workspace file {path}: it is damaged (SQLite's integrity "
            f"check failed); restore it from a backup (patent-desk restore FILE "
            f"--workspace {name}) or choose another workspace; nothing was changed")


def adopt(ws: Any, stranger: bool) -> None:
    """After a file passed every check: a `stranger` (a file this computer never created or
    closed) gets its derived data rebuilt, in one transaction; then the file is known, so
    the next open (even after a crash) neither rebuilds nor re-embeds."""
    if stranger:
        with ws.transaction():
            rebuild_derived(ws)
    if known_files.never_seen(ws.path):  # a stranger, or a file made by this open
        known_files.remember(ws.path)


def open_error(exc: Exception, path: Path) -> WorkspaceError:
    if isinstance(exc, NewerFormat):
        return WorkspaceError(f"workspace file {path} was written by a newer Patent "
                              f"Desk ({exc}); update Patent Desk to open it")
    if isinstance(exc, SchemaMismatch):
        return WorkspaceError(f"workspace file {path} is not one Patent Desk made "
                              f"({exc}); it was not opened, and nothing was changed")
    if isinstance(exc, MigrationFailed):
        return WorkspaceError(f"cannot upgrade workspace file {path} ({exc}); it was "
                              "left exactly as it was and a backup is in the backups folder")
    if isinstance(exc, sqlite3.Error | OSError | UnicodeDecodeError):
        return explain(exc, path)
    if isinstance(exc, WorkspaceError):
        return exc
    raise exc
