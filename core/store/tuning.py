"""SQL for the tuning loop: synthetic queries (with review status) and adapters."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.store.protocol import WorkspaceStore
from core.store.workspace import now


@dataclass(frozen=True)
class StoredQuery:
    id: int
    item_id: int
    text: str
    angle: str
    source: str
    model: str
    status: str
    split: str


@dataclass(frozen=True)
class AdapterInfo:
    id: int
    created_at: str
    base_encoder: str
    kind: str
    config: dict
    metrics: dict
    active: bool

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "created_at": self.created_at, "base_encoder": self.base_encoder,
                "kind": self.kind, "config": self.config, "metrics": self.metrics,
                "active": self.active}


_QUERY_COLS = "id, item_id, text, angle, source, model, status, split"


class QueryStore:
    def __init__(self, ws: WorkspaceStore) -> None:
        self.ws, self.db = ws, ws.db

    def add(self, rows: Iterable[tuple[int, str, str, str, str, str, str]]) -> int:
        """Insert (item_id, text, angle, source, model, split, item_hash); skip duplicates."""
        stamp = now()
        values = [(*row, stamp, stamp) for row in rows]
        if not values:
            return 0
        cursor = self.db.executemany(
            "INSERT INTO queries(item_id, text, angle, source, model, split,"
            " item_hash, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT DO NOTHING", values)
        return cursor.rowcount  # summed over the rows by both sqlite3 and psycopg

    def mark_generated(self, item_id: int, item_hash: str, angle: str, model: str) -> None:
        self.db.execute(
            "INSERT INTO generation_log(item_id, item_hash, angle, model, done_at)"
            " VALUES (?,?,?,?,?) ON CONFLICT (item_id, angle, model) DO UPDATE"
            " SET item_hash = excluded.item_hash, done_at = excluded.done_at",
            (item_id, item_hash, angle, model, now()))

    def done(self, model: str) -> set[tuple[int, str, str]]:
        """(item id, item hash, angle) already generated with this model."""
        return {(r[0], r[1], r[2]) for r in self.db.execute(
            "SELECT item_id, item_hash, angle FROM generation_log WHERE model = ?", (model,))}

    def drop_stale(self) -> int:
        """Forget queries of items whose text changed since they were generated."""
        cur = self.db.execute(
            "DELETE FROM queries WHERE status = 'generated' AND item_hash !="
            " (SELECT content_hash FROM items WHERE items.id = queries.item_id)")
        return cur.rowcount

    def list(self, statuses: Sequence[str] = ("generated", "accepted", "edited"),
             split: str | None = None, angle: str | None = None) -> list[StoredQuery]:
        sql = f"SELECT {_QUERY_COLS} FROM queries WHERE status IN ({','.join('?' * len(statuses))})"
        args: list[object] = list(statuses)
        if split:
            sql += " AND split = ?"
            args.append(split)
        if angle:
            sql += " AND angle = ?"
            args.append(angle)
        return [StoredQuery(*row) for row in self.db.execute(sql + " ORDER BY id", args)]

    def set_status(self, query_id: int, status: str, text: str | None = None) -> None:
        if text is not None:
            self.db.execute("UPDATE queries SET text = ?, status = 'edited', updated_at = ?"
                            " WHERE id = ?", (text, now(), query_id))
        else:
            self.db.execute("UPDATE queries SET status = ?, updated_at = ? WHERE id = ?",
                            (status, now(), query_id))

    def counts(self) -> dict[str, int]:
        return {a: n for a, n in self.db.execute(
            "SELECT angle, count(*) FROM queries WHERE status != 'rejected' GROUP BY angle")}


class AdapterStore:
    def __init__(self, ws: WorkspaceStore) -> None:
        self.ws, self.db = ws, ws.db

    def _info(self, row: Sequence) -> AdapterInfo:
        return AdapterInfo(row[0], row[1], row[2], row[3], json.loads(row[4]),
                           json.loads(row[5]), bool(row[6]))

    def add(self, base_encoder: str, kind: str, config: dict, metrics: dict,
            weights: bytes) -> int:
        return int(self.db.execute(
            "INSERT INTO adapters(created_at, base_encoder, kind, config, metrics, weights)"
            " VALUES (?,?,?,?,?,?) RETURNING id",
            (now(), base_encoder, kind, json.dumps(config), json.dumps(metrics), weights)
        ).fetchone()[0])

    def list(self) -> list[AdapterInfo]:
        return [self._info(r) for r in self.db.execute(
            "SELECT id, created_at, base_encoder, kind, config, metrics, active FROM adapters"
            " ORDER BY id")]

    def get(self, adapter_id: int) -> AdapterInfo | None:
        row = self.db.execute(
            "SELECT id, created_at, base_encoder, kind, config, metrics, active FROM adapters"
            " WHERE id = ?", (adapter_id,)).fetchone()
        return self._info(row) if row else None

    def weights(self, adapter_id: int) -> bytes:
        return bytes(self.db.execute("SELECT weights FROM adapters WHERE id = ?",
                                     (adapter_id,)).fetchone()[0])

    def active(self) -> AdapterInfo | None:
        row = self.db.execute(
            "SELECT id, created_at, base_encoder, kind, config, metrics, active FROM adapters"
            " WHERE active = 1").fetchone()
        return self._info(row) if row else None

    def set_active(self, adapter_id: int | None) -> None:
        """Call inside a transaction: exactly one (or no) adapter is active."""
        self.db.execute("UPDATE adapters SET active = 0 WHERE active = 1")
        if adapter_id is not None:
            self.db.execute("UPDATE adapters SET active = 1 WHERE id = ?", (adapter_id,))
