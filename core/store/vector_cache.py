"""The dense fast path: a workspace's vectors held as one float32 matrix in memory, scanned
with BLAS, instead of sqlite-vec's own scan of the vec0 table.

Both are exact (every vector is compared), so the fast path returns the same top-k; it is
only faster, and the faster the larger the workspace: sqlite-vec computes each distance
in scalar C, BLAS streams the matrix (1M items: 145 vs 876 ms, docs/benchmarks-scale.md).
Its price is one copy of the vectors in memory (1.5 KB per item at 384 dimensions) and a
load on first search, so it is used from FAST_PATH_ITEMS items up and sqlite-vec below,
where its scan takes a few milliseconds anyway.

The copy must never serve stale vectors. Every write to the vector table, from any process,
goes through core.store.workspace, which bumps the stamp setting in the same transaction;
a search reads the stamp (one indexed row) and reloads the matrix when it changed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlean as sqlite3  # the driver core.store.workspace connects with

STAMP = "vectors.stamp"
# Below this many items sqlite-vec's scan costs a few milliseconds (10,000 items: ~8 ms on
# 2 cores) and a memory copy would buy nothing a user notices.
FAST_PATH_ITEMS = 20_000


def new_stamp() -> str:
    """A fresh stamp for a transaction that changed vectors. Random, not a counter: a
    rolled-back transaction must not leave a copy whose stamp a later commit reuses."""
    return secrets.token_hex(8)


@dataclass
class VectorCopy:
    """The vectors of one stamp: item ids and their unit vectors, row for row."""

    stamp: str | None
    ids: np.ndarray
    matrix: np.ndarray

    def top(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The k nearest items by cosine (vectors are unit length: a dot product)."""
        if len(self.ids) == 0 or k <= 0:
            return []
        scores = self.matrix @ np.asarray(query, dtype=np.float32)
        k = min(k, len(scores))
        # argpartition is O(n); only the k survivors are sorted (ties: the lower row first).
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((top, -scores[top]))]
        return [(int(self.ids[i]), float(scores[i])) for i in top]


def load(db: Any, dim: int, stamp: str | None) -> VectorCopy:
    """Read every stored vector into one matrix. sqlite-vec 0.1 keeps vectors in chunks of
    1,024 slots (a validity bitmap, the slots' rowids, one blob of vectors); reading the
    chunks whole took 1-6 s at a million items where a row-by-row SELECT took ~30 s.
    Should the chunk tables not look like that, the row-by-row SELECT is the fallback."""
    try:
        copy = _load_chunks(db, dim, stamp)
    except (ValueError, LookupError, sqlite3.Error):
        copy = None
    return copy if copy is not None else _load_rows(db, dim, stamp)


def _load_chunks(db: Any, dim: int, stamp: str | None) -> VectorCopy | None:
    # Two plain scans: a JOIN ... ORDER BY would sort the vector blobs through a temporary
    # b-tree (20 s at a million items instead of 1 s).
    chunks = {}
    for chunk, size, validity, rowids in db.execute(
            "SELECT chunk_id, size, validity, rowids FROM item_vectors_chunks"):
        valid = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
        valid = valid[:size].astype(bool)
        chunks[chunk] = (size, valid, np.frombuffer(rowids, dtype=np.int64)[:size][valid])
    total = sum(len(ids) for _, _, ids in chunks.values())
    if total != db.execute("SELECT count(*) FROM item_vectors_rowids").fetchone()[0]:
        return None
    # Filled in place, one chunk's blob at a time: the copy never needs twice its size.
    ids = np.empty(total, dtype=np.int64)
    matrix = np.empty((total, dim), dtype=np.float32)
    row = 0
    for chunk, vectors in db.execute("SELECT rowid, vectors FROM item_vectors_vector_chunks00"):
        size, valid, chunk_ids = chunks[chunk]
        n = len(chunk_ids)
        ids[row : row + n] = chunk_ids
        block = np.frombuffer(vectors, dtype=np.float32).reshape(-1, dim)[:size]
        matrix[row : row + n] = block if n == size else block[valid]  # full: no temporary
        row += n
    return VectorCopy(stamp, ids, matrix) if row == total else None


def _load_rows(db: Any, dim: int, stamp: str | None) -> VectorCopy:
    rows = db.execute("SELECT rowid, embedding FROM item_vectors").fetchall()
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
    return VectorCopy(stamp, ids, matrix.reshape(len(rows), dim))
