"""Which workspace files this computer last left as they are now, so that only a file that
changed outside Patent Desk (copied in, restored by hand, edited by another program) pays
for SQLite's integrity check on open: 20 ms per MB here, seconds for a large workspace.

The record is a size and a modification time per file, written when Patent Desk creates or
closes the file. A lost or stale record only costs one extra check; it never skips one
wrongly unless a file is replaced by another of the same size and modification time to the
nanosecond. A file with no entry at all was never Patent Desk's on this computer (copied in
by hand): its derived data is rebuilt on open (core.store.derived). Entries name the file
relative to the data folder, so a data folder moved or copied whole stays known.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from core import paths

RECORD = "checked-workspaces.json"


def _record_path(path: Path) -> Path:
    return path.parent.parent / RECORD  # beside workspaces/, in the data folder


def _key(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _entry(data: dict[str, list[int]], path: Path) -> list[int] | None:
    # str(path): how records written before entries were relative named a file.
    entry = data.get(_key(path), data.get(str(path)))
    if entry is None:  # 'Demo' for demo.sqlite on a case-insensitive disk: the same file
        folder = _record_path(path).parent
        for key, value in data.items():
            if key.lower() == _key(path).lower() and _same_file(folder / key, path):
                return value
    return entry


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def _stamp(path: Path) -> list[int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


def _load(record: Path) -> dict[str, list[int]]:
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def unchanged_since_we_closed_it(path: Path) -> bool:
    stamp = _stamp(path)
    return stamp is not None and _entry(_load(_record_path(path)), path) == stamp


def never_seen(path: Path) -> bool:
    """True for an existing, non-empty file that Patent Desk never created or closed here.
    Without any record yet (a data folder from before the record, or a new one), no file
    is a stranger: the first open under this version adopts what is there rather than
    rebuild and re-embed every workspace the user already has."""
    stamp = _stamp(path)
    record = _record_path(path)
    return bool(stamp and stamp[0]) and record.exists() and _entry(_load(record), path) is None


def remember(path: Path) -> None:
    """Note the file as Patent Desk leaves it (best effort: a read-only folder just means
    the next open checks again)."""
    stamp = _stamp(path)
    if stamp is None:
        return
    _update(path, {_key(path): stamp})


def moved(old: Path, new: Path) -> None:
    """A workspace renamed by Patent Desk keeps its entry under the new name."""
    data = _load(_record_path(old))
    if (entry := _entry(data, old)) is not None:
        _update(old, {_key(new): entry})


def forget(path: Path) -> None:
    """A workspace deleted by Patent Desk: a file later put in its place is a stranger."""
    _update(path, {})


def _update(path: Path, entries: dict[str, list[int]]) -> None:
    record = _record_path(path)
    data = _load(record)
    data.pop(str(path), None)
    data.pop(_key(path), None)
    data.update(entries)
    with contextlib.suppress(OSError):
        paths.write_text_atomic(record, json.dumps(data))
