"""Storage failures in plain words: a busy workspace, a full disk, a read-only data folder,
a damaged file. SQLite reports them as terse exceptions; the user sees one line with the fix.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import sqlean as sqlite3

from core.errors import WorkspaceError

BUSY_ENV = "PATENT_DESK_BUSY_TIMEOUT"
DEFAULT_BUSY_S = 30.0
NOTHING_CHANGED = "nothing was changed"
# SQLite primary result codes of storage trouble (not of programming errors):
# BUSY, LOCKED, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, NOTADB.
_STORAGE_CODES = {5, 6, 8, 10, 11, 13, 14, 26}
_STORAGE_WORDS = ("locked", "busy", "disk is full", "readonly", "read-only", "unable to open",
                  "malformed", "not a database", "disk i/o")


def busy_timeout() -> float:
    """Seconds a writer waits for another process's write to finish (env override)."""
    try:
        return max(0.0, float(os.environ.get(BUSY_ENV, DEFAULT_BUSY_S)))
    except ValueError:
        return DEFAULT_BUSY_S


def _writable(folder: Path) -> bool:
    return folder.is_dir() and os.access(folder, os.W_OK) and not _read_only_mount(folder)


def _read_only_mount(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def read_only_message(folder: Path) -> str:
    return (f"the data folder {folder} is read-only, so Patent Desk cannot save anything there "
            f"({NOTHING_CHANGED}); make it writable or set PATENT_DESK_HOME to a writable folder")


def full_message(path: Path) -> str:
    return (f"the disk holding {path} is full ({NOTHING_CHANGED}); free some space and try "
            "again")


def explain(exc: BaseException, path: Path | str) -> WorkspaceError:
    """A WorkspaceError with one line that says what happened to `path` and what to do."""
    path = Path(path)
    if isinstance(exc, WorkspaceError):
        return exc
    text = str(exc).lower()
    code = getattr(exc, "sqlite_errorcode", None)
    code = code & 0xFF if isinstance(code, int) else None  # extended codes: primary part
    name = path.stem
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return WorkspaceError(full_message(path))
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return WorkspaceError(read_only_message(path.parent))
        return WorkspaceError(f"cannot use {path}: {exc.strerror or exc}; check the disk")
    if "locked" in text or "busy" in text or code in (5, 6):  # SQLITE_BUSY, SQLITE_LOCKED
        return WorkspaceError(
            f"workspace '{name}' is busy: another Patent Desk window or command is writing to "
            f"it ({NOTHING_CHANGED}); try again when it has finished")
    if "disk is full" in text or code == 13:  # SQLITE_FULL
        return WorkspaceError(full_message(path))
    if "readonly" in text or "read-only" in text or code == 8:  # SQLITE_READONLY
        return WorkspaceError(read_only_message(path.parent))
    if "unable to open" in text or code == 14:  # SQLITE_CANTOPEN
        if not _writable(path.parent):
            return WorkspaceError(read_only_message(path.parent))
        return WorkspaceError(f"cannot open workspace file {path}; check that the disk is "
                              "attached and the file is readable")
    if (isinstance(exc, UnicodeDecodeError) or "not a database" in text or "malformed" in text
            or code in (11, 26)):
        return WorkspaceError(
            f"cannot open workspace file {path}: it is damaged ({exc}); restore it from a "
            f"backup (patent-desk restore FILE --workspace {name}) or choose another workspace")
    if "disk i/o" in text or code == 10:  # SQLITE_IOERR
        if not _writable(path.parent):
            return WorkspaceError(read_only_message(path.parent))
        return WorkspaceError(f"the disk holding {path} reported an error ({NOTHING_CHANGED}); "
                              "check the disk and free space, then try again")
    return WorkspaceError(f"workspace file {path}: {exc}; restore it from a backup "
                          f"(patent-desk restore FILE --workspace {name}) if this persists")


def is_storage_error(exc: BaseException) -> bool:
    """True for the failures `explain` knows how to word (not for programming errors)."""
    if isinstance(exc, UnicodeDecodeError):  # SQLite's words about a damaged schema
        return True
    if isinstance(exc, sqlite3.DatabaseError):  # OperationalError is one
        code = getattr(exc, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in _STORAGE_CODES
        return any(word in str(exc).lower() for word in _STORAGE_WORDS)
    return isinstance(exc, OSError) and exc.errno in (
        errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.EIO)
