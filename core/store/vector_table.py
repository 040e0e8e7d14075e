"""The vector half of a SQLite workspace: the sqlite-vec table of item vectors, written
only through these methods, so that every write bumps the stamp that keeps the dense fast
path's in-memory copy (core.store.vector_cache) in step with what is stored."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from core.store import vector_cache


class VectorTable:
    """Mixed into core.store.workspace.Workspace, which provides db, the settings
    (get/set/delete_setting), item_ids and _size_bound."""

    db: Any
    VECTOR_KEY = "rowid"  # item_vectors' column naming the item
    _vector_copy: vector_cache.VectorCopy | None = None  # the dense fast path's matrix

    def vector_dim(self) -> int | None:
        return self.get_setting("vectors.dim")

    def vector_encoder(self) -> str | None:
        return self.get_setting("vectors.encoder")

    def reset_vectors(self, dim: int, encoder_id: str) -> None:
        """(Re)create the vector table for an encoder; call inside transaction()."""
        self._vectors_changed()
        self.db.execute("DROP TABLE IF EXISTS item_vectors")
        self.db.execute(
            f"CREATE VIRTUAL TABLE item_vectors USING vec0("
            f"embedding float[{int(dim)}] distance_metric=cosine)")
        self.set_setting("vectors.dim", int(dim))
        self.set_setting("vectors.encoder", encoder_id)

    def _vectors_changed(self) -> None:
        """Every write to item_vectors calls this, inside its transaction: searches in any
        process then know their in-memory copy (core.store.vector_cache) is stale."""
        self.set_setting(vector_cache.STAMP, vector_cache.new_stamp())

    def put_vectors(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        self._vectors_changed()
        data = np.ascontiguousarray(vectors, dtype=np.float32)
        for item_id, vec in zip(ids, data, strict=True):
            self.db.execute("DELETE FROM item_vectors WHERE rowid = ?", (item_id,))
            self.db.execute("INSERT INTO item_vectors(rowid, embedding) VALUES (?, ?)",
                            (item_id, vec.tobytes()))

    def drop_vectors(self) -> None:
        """Forget every vector (the fill embeds all items again); call inside transaction().
        No vectors, no stamp: a copy is only searched while vectors.dim is set, and the
        next reset_vectors stamps afresh (a workspace without vectors keeps no trace)."""
        self.db.execute("DROP TABLE IF EXISTS item_vectors")
        self.delete_setting(vector_cache.STAMP)
        self.delete_setting("vectors.dim")
        self.delete_setting("vectors.encoder")

    def delete_vectors(self, ids: Sequence[int]) -> None:
        """Forget these items' vectors (their text changed); the fill embeds them again."""
        if self.vector_dim() is not None and ids:
            self._vectors_changed()
            for item_id in ids:
                self.db.execute(f"DELETE FROM item_vectors WHERE {self.VECTOR_KEY} = ?",
                                (item_id,))

    def count_vectors(self) -> int:
        if self.vector_dim() is None:
            return 0
        return self.db.execute("SELECT count(*) FROM item_vectors").fetchone()[0]

    def ids_without_vectors(self) -> list[int]:
        if self.vector_dim() is None:
            return self.item_ids()
        return [r[0] for r in self.db.execute(
            "SELECT id FROM items WHERE id NOT IN (SELECT rowid FROM item_vectors) ORDER BY id")]

    def vector_search(self, query: np.ndarray, k: int, exact: bool | None = None
                      ) -> list[tuple[int, float]]:
        """Nearest items by cosine; returns (item id, cosine similarity). Both paths are
        exact: `exact=True` scans with sqlite-vec (the reference), False uses the in-memory
        copy (core.store.vector_cache), None picks the copy from FAST_PATH_ITEMS items up."""
        dim = self.vector_dim()
        if dim is None:
            return []
        if exact is None:
            exact = self._size_bound() < vector_cache.FAST_PATH_ITEMS
        if not exact:
            stamp = self.get_setting(vector_cache.STAMP)
            copy = self._vector_copy
            if copy is None or copy.stamp != stamp or copy.matrix.shape[1] != dim:
                copy = self._vector_copy = vector_cache.load(self.db, dim, stamp)
            return copy.top(query, k)
        rows = self.db.execute(
            "SELECT rowid, distance FROM item_vectors WHERE embedding MATCH ? AND k = ?"
            " ORDER BY distance", (np.asarray(query, dtype=np.float32).tobytes(), k))
        return [(int(r[0]), 1.0 - float(r[1])) for r in rows]

    def get_vectors(self, ids: Sequence[int]) -> np.ndarray:
        dim = self.vector_dim() or 0
        out = np.zeros((len(ids), dim), dtype=np.float32)
        for n, item_id in enumerate(ids):
            row = self.db.execute("SELECT embedding FROM item_vectors WHERE rowid = ?",
                                  (item_id,)).fetchone()
            if row:
                out[n] = np.frombuffer(row[0], dtype=np.float32)
        return out
