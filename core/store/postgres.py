"""A shared store: PostgreSQL with pgvector, for agencies whose seats share one knowledge base
(PATENT_DESK_STORE=postgresql://user@host/db, or File → Settings… in the window).

The concepts and most of the SQL are the SQLite file's (core.store.workspace): items,
settings, import history, synthetic queries and adapters; PgConnection turns the `?`
placeholders into psycopg's. What differs lives here:
- a workspace is a schema, "patent_desk:NAME", in the database;
- the lexical index: PostgreSQL's ts_rank has no IDF, so the same pre-tokenised CJK bigrams
  and words go into a postings table and BM25 is computed in one query with FTS5's formula
  (k1 1.2, b 0.75, weighted term frequency, row length over all columns), so both stores
  rank alike;
- vectors: a pgvector column searched by cosine distance: exactly (a sequential scan) while
  the workspace is small, through an HNSW index once it holds HNSW_MIN vectors. The index is
  built once a bulk load ends (migrate-store's copy, a vector fill, a re-embedding), never
  maintained row by row while one runs; measured in tests.benchmarks.pg_vectors
  (docs/benchmarks/pg_vectors.json).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from core.errors import WorkspaceError
from core.logs import log
from core.records import NewItem
from core.store import seat
from core.store.address import safe_url
from core.store.pg_server import (
    _FIX,
    PgConnection,
    _first_line,
    _lost_connection,
    _schema,
    connect,
    seat_place,
)
from core.store.seat import MACHINE_SETTINGS
from core.store.workspace import Workspace, index_columns

VERSION = 1
# An HNSW index from this many vectors up. Measured (tests.benchmarks.pg_vectors, 2 cores,
# 384-d vectors shaped like the bundled encoder's; docs/benchmarks/pg_vectors.json): at
# 100,000 the exact scan takes 59 ms a query and the index 18 ms (recall@10 0.997), at
# 300,000 136 ms and 46 ms (0.994), after builds of 3 and 12 minutes. Below, the exact scan
# takes a few tens of ms, and a build buys little for its time and the exactness it costs.
HNSW_MIN = 100_000
HNSW_INDEX = "item_vectors_hnsw"
# The graph: m 32 / ef_construction 128 rather than pgvector's 16 / 64: a build about 3 times
# longer for a graph whose searches reach recall@10 0.997 in the time the defaults' reach
# 0.989 (ef_search 400, at 100,000).
HNSW_M, HNSW_EF_CONSTRUCTION = 32, 128
# hnsw.ef_search, the candidates a graph search keeps, at 100,000 vectors (recall@10 0.997;
# 100: 0.984); recall at a given ef_search falls as the graph grows (300,000: 0.987), so it
# grows with the square root of the size (ef_search_for).
EF_SEARCH = 200
EF_MAX = 1000  # pgvector's ceiling: a larger k is searched exactly


def ef_search_for(rows: float) -> int:
    """hnsw.ef_search for a graph over `rows` vectors: EF_SEARCH at 100,000, 346 at 300,000
    (measured there: recall@10 0.994, where 200 gives 0.987), 632 at 1,000,000."""
    return min(EF_MAX, max(EF_SEARCH, round(EF_SEARCH * math.sqrt(max(rows, 0) / 100_000))))


class PgWorkspace(Workspace):
    """A workspace in the shared PostgreSQL store; the same methods as the SQLite one."""

    VECTOR_KEY = "item_id"  # item_vectors' column naming the item (SQLite's vec0: rowid)

    def __init__(self, url: str, name: str, hnsw_min: int = HNSW_MIN) -> None:
        """`hnsw_min`: the vectors from which searches go through an HNSW index."""
        from psycopg import sql

        self.url, self.name, self.path = url, name, None  # type: ignore[assignment]
        self.hnsw_min = hnsw_min
        # Vectors this connection's bulk load still has to store (a fill, a re-embedding):
        # when it reaches 0 the load is over and the index is built (put_vectors).
        self._unfilled: int | None = None
        schema = sql.Identifier(_schema(name))
        conn = connect(url)
        self.db = PgConnection(conn)  # type: ignore[assignment]
        try:
            with conn.transaction():
                # Two seats opening a new workspace at once would both create its tables
                # (one fails on the other's): the workspace's write lock makes them take turns.
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (_schema(name),))
                conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
                conn.execute(sql.SQL("SET search_path TO {}, public").format(schema))
                _migrate(conn)
        except WorkspaceError:
            conn.close()
            raise
        except Exception as exc:
            conn.close()
            raise WorkspaceError(f"cannot open workspace '{name}' in {safe_url(url)}: "
                                 f"{_first_line(exc)}; {_FIX}") from None

    @property
    def location(self) -> str:
        return f"{safe_url(self.url)} (schema {_schema(self.name)})"

    # -- settings: this computer's own stay on this computer (core.store.seat) --------------
    def get_setting(self, key: str, default: Any = None) -> Any:
        if key in MACHINE_SETTINGS:
            return seat.get(seat_place(self.url, self.name), key, default)
        return super().get_setting(key, default)

    def set_setting(self, key: str, value: Any) -> None:
        if key in MACHINE_SETTINGS:
            seat.put(seat_place(self.url, self.name), key, value)
        else:
            super().set_setting(key, value)

    def delete_setting(self, key: str) -> None:
        if key in MACHINE_SETTINGS:
            seat.put(seat_place(self.url, self.name), key, None)
        else:
            super().delete_setting(key)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing, and one writer per workspace at a time, like SQLite's BEGIN
        IMMEDIATE: an import re-reads what is stored inside its transaction, so two seats
        importing one file at once must take turns (a transaction-scoped advisory lock)."""
        with _lost_connection(), self.db.conn.transaction():  # type: ignore[attr-defined]
            self.db.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (_schema(self.name),))
            yield

    def after_copy(self) -> None:
        # Rows copied in with their ids leave the identity counters behind: move them on.
        for table in ("items", "imports", "queries", "adapters"):
            self.db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                            f" coalesce(max(id), 0) + 1, false) FROM {table}")
        self.index_vectors()  # the copy is the bulk load: its index once, at the end

    def _new_item_ids(self, n: int) -> list[int]:
        rows = self.db.execute("SELECT nextval(pg_get_serial_sequence('items', 'id'))"
                               " FROM generate_series(1, ?)", (n,))
        return [int(r[0]) for r in rows]

    # -- lexical index ----------------------------------------------------------------------
    def index_texts(self, rows: Sequence[tuple[int, NewItem]]) -> None:
        for item_id, item in rows:
            self.index_text(item_id, item)

    def index_text(self, item_id: int, item: NewItem) -> None:
        self.db.execute("DELETE FROM postings WHERE item_id = ?", (item_id,))
        self.db.execute("DELETE FROM doc_lengths WHERE item_id = ?", (item_id,))
        columns = index_columns(item)
        rows = [(item_id, col, token, tf) for col, tokens in enumerate(columns)
                for token, tf in Counter(tokens).items()]
        if rows:
            self.db.executemany("INSERT INTO postings(item_id, col, token, tf) VALUES (?,?,?,?)",
                                rows)
        self.db.execute("INSERT INTO doc_lengths(item_id, len) VALUES (?, ?)",
                        (item_id, sum(len(t) for t in columns)))

    def lexical_search(self, tokens: Sequence[str], weights: Sequence[float], k: int
                       ) -> list[tuple[int, float]]:
        """BM25 as FTS5 computes it (see the module's note); higher = better."""
        if not tokens:
            return []
        w = [float(x) for x in weights]
        rows = self.db.execute(_BM25, (list(dict.fromkeys(tokens)), *w, k))
        return [(int(r[0]), float(r[1])) for r in rows]

    def filter_ids(self, parts: Sequence[tuple[Sequence[str], bool]],
                   weights: Sequence[float]) -> list[int]:
        """Items holding every token of every part in any column (the last token of a prefix
        part as a prefix), best BM25 first. Tokens need not be adjacent here, unlike in FTS5's
        phrases, so a filter may keep a few more items than in a SQLite workspace."""
        conditions, args = [], []
        for run, prefix in parts:
            for n, token in enumerate(run):
                last = prefix and n == len(run) - 1
                conditions.append("EXISTS (SELECT 1 FROM postings p WHERE p.item_id = items.id"
                                  f" AND p.token {'LIKE' if last else '='} ?)")  # any column
                args.append(_like_prefix(token) if last else token)
        ids = [r[0] for r in self.db.execute(
            f"SELECT id FROM items WHERE {' AND '.join(conditions)}", args)]
        tokens = [t for run, _ in parts for t in run]
        scores = dict(self.lexical_search(tokens, weights, max(1, self.count_items())))
        return sorted(ids, key=lambda i: (-scores.get(i, 0.0), i))

    def index_tokens(self, item_id: int) -> set[str]:
        return {r[0] for r in self.db.execute(
            "SELECT token FROM postings WHERE item_id = ? AND col = 1", (item_id,))}

    def delete_items(self, ids: Sequence[int]) -> None:
        for item_id in ids:  # postings, lengths, vectors and queries go with it (CASCADE)
            self.db.execute("DELETE FROM items WHERE id = ?", (item_id,))

    # -- vectors ----------------------------------------------------------------------------
    def reset_vectors(self, dim: int, encoder_id: str) -> None:
        # The table goes with its index: what follows is a bulk load of every item's vector,
        # indexed once it is over (put_vectors, after_copy).
        self.db.execute("DROP TABLE IF EXISTS item_vectors")
        self.db.execute(
            f"CREATE TABLE item_vectors (item_id BIGINT PRIMARY KEY REFERENCES items(id)"
            f" ON DELETE CASCADE, embedding vector({int(dim)}) NOT NULL)")
        self.set_setting("vectors.dim", int(dim))
        self.set_setting("vectors.encoder", encoder_id)
        self._unfilled = self.count_items()

    def put_vectors(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        data = np.asarray(vectors, dtype=np.float32)
        self.db.executemany(
            "INSERT INTO item_vectors(item_id, embedding) VALUES (?, ?) ON CONFLICT (item_id)"
            " DO UPDATE SET embedding = excluded.embedding",
            [(int(i), v) for i, v in zip(ids, data, strict=True)])
        if self._unfilled is not None:
            self._unfilled -= len(data)
            if self._unfilled <= 0:  # the fill's last batch: the load is over
                self._unfilled = None
                self.index_vectors()

    def ids_without_vectors(self) -> list[int]:
        if self.vector_dim() is None:
            return self.item_ids()
        missing = [r[0] for r in self.db.execute(
            "SELECT id FROM items WHERE id NOT IN (SELECT item_id FROM item_vectors)"
            " ORDER BY id")]
        self._unfilled = len(missing) or None  # what a fill is about to store
        return missing

    def has_vector_index(self) -> bool:
        return self._indexed_rows() is not None

    def _indexed_rows(self) -> float | None:
        """The rows the HNSW index held when last counted (built, vacuumed), None without."""
        row = self.db.execute(
            "SELECT c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = ? AND c.relname = ? AND c.relkind = 'i'",
            (_schema(self.name), HNSW_INDEX)).fetchone()
        return None if row is None else float(row[0])

    def index_vectors(self) -> bool:
        """Build the HNSW index once the workspace holds hnsw_min vectors and has none; called
        when a bulk load ends. Returns whether the index is there. A build the server refuses
        (a parallel one short of shared memory, say) is tried again on one core; failing that,
        searches stay exact and what was loaded stays (the build has its own savepoint)."""
        import psycopg

        dim = self.vector_dim()
        if dim is None:
            return False
        with self.transaction():  # one seat builds it; another finds it there
            if self.has_vector_index():
                return True
            count = self.count_vectors()
            if count < self.hnsw_min:
                return False
            # The graph in memory (vector, neighbour lists, bookkeeping: about dim * 4 + 64 * m
            # bytes a row) builds several times faster than one spilled to disk.
            memory = min(count * (dim * 4 + 64 * HNSW_M) * 5 // 4 >> 20, 16 * 1024) + 64
            for serial in (False, True):
                try:
                    with self.db.conn.transaction():  # type: ignore[attr-defined]
                        self.db.conn.execute(  # type: ignore[attr-defined]
                            "SELECT set_config('maintenance_work_mem', greatest(%s, pg_size_bytes("
                            "current_setting('maintenance_work_mem')) >> 10)::text || 'kB', true)",
                            (memory << 10,))
                        if serial:
                            self.db.conn.execute(  # type: ignore[attr-defined]
                                "SET LOCAL max_parallel_maintenance_workers = 0")
                        self.db.conn.execute(  # type: ignore[attr-defined]
                            f"CREATE INDEX {HNSW_INDEX} ON item_vectors USING hnsw"
                            f" (embedding vector_cosine_ops) WITH (m = {int(HNSW_M)},"
                            f" ef_construction = {int(HNSW_EF_CONSTRUCTION)})")
                    log().info("workspace %s: HNSW index over %d vectors built", self.name,
                               count)
                    return True
                except psycopg.Error as exc:
                    if self.db.conn.broken:  # type: ignore[attr-defined] # the server went away
                        raise
                    log().warning("workspace %s: the HNSW index was not built%s (%s)",
                                  self.name, " on one core" if serial else "",
                                  _first_line(exc))
            return False

    def vector_search(self, query: np.ndarray, k: int, exact: bool | None = None
                      ) -> list[tuple[int, float]]:
        """Nearest items by cosine; returns (item id, cosine similarity). Through the HNSW
        index where there is one (approximate: recall@10 against the exact scan is measured
        in docs/benchmarks/pg_vectors.json); `exact=True`: always the sequential scan (the
        reference), as in a SQLite workspace."""
        if self.vector_dim() is None or k <= 0:
            return []
        vector = np.asarray(query, dtype=np.float32)
        rows: list[Any] = []
        with _lost_connection(), self.db.conn.transaction():  # type: ignore[attr-defined]
            conn = self.db.conn  # type: ignore[attr-defined]
            indexed = None if exact or k > EF_MAX else self._indexed_rows()
            if indexed is not None:
                ef = max(ef_search_for(indexed), int(k))
                conn.execute(f"SET LOCAL hnsw.ef_search = {ef}")
                rows = conn.execute("SELECT item_id, embedding <=> %s AS d FROM item_vectors"
                                    " ORDER BY d LIMIT %s", (vector, k)).fetchall()
                rows.sort(key=lambda r: (r[1], r[0]))
            if len(rows) < k:  # no index, exact asked, or a graph search came back short
                # (rows updated or deleted since the build): every row, in order
                conn.execute("SET LOCAL enable_indexscan = off")
                rows = conn.execute(
                    "SELECT item_id, embedding <=> %s AS d FROM item_vectors ORDER BY d,"
                    " item_id LIMIT %s", (vector, k)).fetchall()
                conn.execute("RESET enable_indexscan")  # inside a caller's transaction too
        return [(int(r[0]), 1.0 - float(r[1])) for r in rows]

    def get_vectors(self, ids: Sequence[int]) -> np.ndarray:
        out = np.zeros((len(ids), self.vector_dim() or 0), dtype=np.float32)
        found = dict(self.db.execute(
            "SELECT item_id, embedding FROM item_vectors WHERE item_id = ANY(?)",
            (list(map(int, ids)),)).fetchall()) if ids else {}
        for n, item_id in enumerate(ids):
            if item_id in found:
                vector = found[item_id]  # pgvector's Vector (recent releases) or an array
                if hasattr(vector, "to_numpy"):
                    vector = vector.to_numpy()
                out[n] = np.asarray(vector, dtype=np.float32)
        return out


def _like_prefix(token: str) -> str:
    return token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# FTS5's bm25(): score = sum over query tokens of idf * f * (k1 + 1) / (f + k1 * (1 - b +
# b * D / avgD)), with f the column-weighted term frequency, D the row's length over all
# columns, idf = ln((N - n + 0.5) / (n + 0.5)) floored at 1e-6 (n: rows with the token).
_BM25 = """
WITH q AS (SELECT unnest(%s::text[]) AS token),
     w(col, weight) AS (VALUES (0, %s::float8), (1, %s::float8), (2, %s::float8)),
     total AS (SELECT count(*)::float8 AS n, avg(len)::float8 AS avgdl FROM doc_lengths),
     hits AS (SELECT p.token, p.item_id, sum(w.weight * p.tf) AS f
              FROM postings p JOIN q USING (token) JOIN w ON w.col = p.col
              GROUP BY p.token, p.item_id),
     idf AS (SELECT token, greatest(ln((total.n - count(*) + 0.5) / (count(*) + 0.5)), 1e-6)
                    AS idf
             FROM hits, total GROUP BY token, total.n)
SELECT h.item_id,
       sum(idf.idf * h.f * 2.2 / (h.f + 1.2 * (0.25 + 0.75 * d.len / total.avgdl))) AS s
FROM hits h JOIN idf USING (token) JOIN doc_lengths d ON d.item_id = h.item_id, total
GROUP BY h.item_id ORDER BY s DESC, h.item_id LIMIT %s
"""


def _migrate(conn: Any) -> None:
    """Create the schema's tables (version 1); refuse a newer format."""
    exists = conn.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()[0]
    if exists:
        version = conn.execute("SELECT version FROM meta").fetchone()[0]
        if version > VERSION:
            raise WorkspaceError(f"this workspace was written by a newer Patent Desk (format "
                                 f"{version}); update Patent Desk to open it")
        return
    for statement in _SCHEMA:
        conn.execute(statement)
    conn.execute("INSERT INTO meta(version) VALUES (%s)", (VERSION,))


_ID = "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
_ITEM = "item_id BIGINT NOT NULL REFERENCES items(id) ON DELETE CASCADE"
_SCHEMA = (
    "CREATE TABLE meta (version INTEGER NOT NULL)",
    "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    f"""CREATE TABLE items ({_ID}, question TEXT NOT NULL, answer TEXT NOT NULL,
        category TEXT NOT NULL DEFAULT '', question_key TEXT NOT NULL UNIQUE,
        content_hash TEXT NOT NULL, source_file TEXT NOT NULL DEFAULT '',
        source_row INTEGER NOT NULL DEFAULT 0, extra TEXT NOT NULL DEFAULT '{{}}',
        imported_at TEXT NOT NULL, updated_at TEXT NOT NULL)""",
    f"""CREATE TABLE postings ({_ITEM}, col SMALLINT NOT NULL, token TEXT NOT NULL,
        tf INTEGER NOT NULL, PRIMARY KEY (token, col, item_id))""",
    "CREATE INDEX postings_item ON postings(item_id)",
    f"CREATE TABLE doc_lengths ({_ITEM} PRIMARY KEY, len INTEGER NOT NULL)",
    f"""CREATE TABLE imports ({_ID}, file TEXT NOT NULL, encoding TEXT,
        imported_at TEXT NOT NULL, added INTEGER NOT NULL, updated INTEGER NOT NULL,
        unchanged INTEGER NOT NULL, skipped INTEGER NOT NULL)""",
    f"""CREATE TABLE queries ({_ID}, {_ITEM}, text TEXT NOT NULL, angle TEXT NOT NULL,
        source TEXT NOT NULL, model TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'generated'
            CHECK (status IN ('generated', 'accepted', 'rejected', 'edited')),
        split TEXT NOT NULL DEFAULT 'train' CHECK (split IN ('train', 'heldout')),
        item_hash TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
        UNIQUE (item_id, angle, text))""",
    "CREATE INDEX queries_item ON queries(item_id)",
    f"""CREATE TABLE generation_log ({_ITEM}, item_hash TEXT NOT NULL, angle TEXT NOT NULL,
        model TEXT NOT NULL, done_at TEXT NOT NULL, PRIMARY KEY (item_id, angle, model))""",
    f"""CREATE TABLE adapters ({_ID}, created_at TEXT NOT NULL, base_encoder TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('query', 'symmetric')), config TEXT NOT NULL,
        metrics TEXT NOT NULL, weights BYTEA NOT NULL, active INTEGER NOT NULL DEFAULT 0)""",
)
