"""Backups and restores of a workspace file with SQLite's online backup API.

A backup is a consistent snapshot even while another window or command writes (WAL readers
never block), written to a temporary file, checked, then renamed into place: an interrupted
backup leaves no half file. A restore copies pages into the live workspace inside one write
transaction, so every open connection sees either the old or the restored content, and the
state it replaces is backed up first.
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path

import sqlean as sqlite3

from core import paths
from core.errors import InputError, WorkspaceError
from core.store.failures import busy_timeout, explain
from core.store.migrations import MIGRATIONS
from core.store.schema_check import LENIENT_TEXT, SchemaMismatch, check_schema

SQLITE_MAGIC = b"SQLite format 3\x00"
_BUSY_CODES = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED


class _Busy(Exception):
    pass


def backups_dir() -> Path:
    folder = paths.data_home() / "backups"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise explain(exc, folder / "x") from None
    return folder


def default_target(name: str, reason: str = "") -> Path:
    """backups/<workspace>[-<reason>]-<local time>.sqlite, never an existing file."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    stem = f"{name}-{reason}-{stamp}" if reason else f"{name}-{stamp}"
    target = backups_dir() / f"{stem}.sqlite"
    n = 2
    while target.exists():
        target = target.with_name(f"{stem}-{n}.sqlite")
        n += 1
    return target


def copy_pages(src: sqlite3.Connection, dst: sqlite3.Connection, label: Path) -> None:
    deadline = time.monotonic() + busy_timeout()

    def progress(status: int, remaining: int, total: int) -> None:
        if status in _BUSY_CODES and time.monotonic() > deadline:
            raise _Busy

    try:
        src.backup(dst, pages=-1, progress=progress, sleep=0.05)
    except _Busy:
        raise explain(sqlite3.OperationalError("database is locked"), label) from None


def copy_database(source: Path, target: Path) -> int:
    """Snapshot `source` into the single self-contained file `target`; return its items."""
    target = Path(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
    src = dst = None
    try:
        src = sqlite3.connect(str(source), timeout=busy_timeout())
        dst = sqlite3.connect(str(tmp))
        copy_pages(src, dst, source)
        dst.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
        if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise WorkspaceError(f"the copy of {source} failed its integrity check; the "
                                 "workspace itself may be damaged: restore an older backup")
        items = dst.execute("SELECT count(*) FROM items").fetchone()[0]
        dst.close()
        dst = None
        os.replace(tmp, target)
        _sync_folder(target.parent)
        return int(items)
    except (sqlite3.Error, OSError) as exc:
        raise explain(exc, target if isinstance(exc, OSError) else source) from None
    finally:
        for conn in (src, dst):
            if conn is not None:
                conn.close()
        tmp.unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup_workspace(name: str, to: str | Path | None = None) -> tuple[Path, int]:
    """Back up a workspace; returns (backup file, number of items in it)."""
    source = paths.workspace_path(name)
    if not source.exists():
        raise WorkspaceError(f"there is no workspace '{name}' to back up")
    if to is None:
        target = default_target(name)
    else:
        target = Path(to).expanduser()
        if target.is_dir():
            target = target / default_target(name).name
        if target.resolve() == source.resolve():
            raise InputError(f"{target} is the workspace itself; back up to another file")
        if not target.parent.is_dir():
            raise InputError(f"{target.parent}: no such folder; create it or choose another")
    return target, copy_database(source, target)


def backup_before_migration(path: Path, version: int) -> Path:
    """The automatic backup taken before a workspace's schema is upgraded."""
    target = default_target(Path(path).stem, f"before-upgrade-from-v{version}")
    copy_database(Path(path), target)
    return target


def check_backup_file(file: Path) -> int:
    """Refuse anything that is not a readable Patent Desk workspace; return its items."""
    if not file.is_file():
        raise InputError(f"{file}: no such file; give a backup made by `patent-desk backup`")
    with open(file, "rb") as handle:
        if handle.read(16) != SQLITE_MAGIC:
            raise InputError(f"{file}: not a Patent Desk backup (not an SQLite file); "
                             "nothing was changed")
    db = None
    try:
        db = sqlite3.connect(str(file))
        db.text_factory = LENIENT_TEXT
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"items", "settings"} <= tables or version < 1:
            raise InputError(f"{file}: an SQLite file but not a Patent Desk workspace; "
                             "nothing was changed")
        if version > len(MIGRATIONS):
            raise InputError(f"{file}: written by a newer Patent Desk (format {version}); "
                             "update Patent Desk to restore it; nothing was changed")
        if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise InputError(f"{file}: the backup is damaged (integrity check failed); "
                             "choose an older backup; nothing was changed")
        try:
            check_schema(db)
        except SchemaMismatch as exc:
            raise InputError(f"{file}: not a Patent Desk backup ({exc}); nothing was "
                             "changed") from None
        return int(db.execute("SELECT count(*) FROM items").fetchone()[0])
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        raise InputError(f"{file}: not a readable Patent Desk backup ({exc}); nothing was "
                         "changed") from None
    finally:
        if db is not None:
            db.close()
