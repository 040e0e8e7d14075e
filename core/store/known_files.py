"""Which workspace files this computer last left as they are now, so that only a file that
changed outside Patent Desk (copied in, restored by hand, edited by another program) pays
for SQLite's integrity check on open: 20 ms per MB here, seconds for a large workspace.

The record is a size and a modification time per file, written when Patent Desk closes the
file. A lost or stale record only costs one extra check; it never skips one wrongly unless
a file is replaced by another of the same size and modification time to the nanosecond.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from core import paths

RECORD = "checked-workspaces.json"


def _record_path(path: Path) -> Path:
    return path.parent.parent / RECORD  # beside workspaces/, in the data folder


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
    return stamp is not None and _load(_record_path(path)).get(str(path)) == stamp


def remember(path: Path) -> None:
    """Note the file as Patent Desk leaves it (best effort: a read-only folder just means
    the next open checks again)."""
    stamp = _stamp(path)
    if stamp is None:
        return
    record = _record_path(path)
    data = _load(record)
    data[str(path)] = stamp
    with contextlib.suppress(OSError):
        paths.write_text_atomic(record, json.dumps(data))
