"""Dense search in the shared PostgreSQL store at scale (#18 point 4): pgvector's HNSW index
against the exact scan, both against numpy's exact top 10 over the very same vectors.

    .venv/bin/python -m tests.benchmarks.pg_vectors --sizes 100000 [--data uniform e5]
    .venv/bin/python -m tests.benchmarks.pg_vectors --sizes 1000000 --data e5 --exact-only --append

Starts a throw-away PostgreSQL + pgvector server (the `pgserver` package) in a temp folder.
For each size N and kind of data: N unit 384-d vectors are bulk-loaded into a workspace the
way `migrate-store` loads them (PgWorkspace.put_vectors, 1,000 a batch, no index meanwhile),
then the index is built as the end of a bulk load builds it (PgWorkspace.index_vectors,
timed). Data: `uniform`, random unit vectors (no structure at all: every neighbour about
equally far, the worst case for a graph index), and `e5`, random vectors with the mean and
covariance of the bundled encoder's vectors of the demo corpus (as narrow a cone as real
embeddings, though with more dimensions of spread: TwoNN intrinsic dimension about 44, the
real vectors' about 8, so still harder than real data). Two kinds of query: `near`, a stored
vector with noise (a question near its answer), and `random`, a fresh vector of the same
kind. For each: p50/p95 of PgWorkspace.vector_search with exact=True and through the index
at each hnsw.ef_search, and recall@10 = the share of numpy's exact top 10 that came back;
then the app's own call (`app`: the dense channel's 50 candidates at the app's ef_search).
Other jobs on the machine slow every timing: each run records the load average. Writes
--out (JSON) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from core.retrieve import CANDIDATES
from tests.benchmarks.common import log, percentile

DIM = 384
K = 10
LOAD_BATCH = 1000  # as core.store.transfer copies vectors
OUT = Path(__file__).resolve().parents[2] / "docs" / "benchmarks" / "pg_vectors.json"


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def exact_top(matrix: np.ndarray, queries: np.ndarray, k: int) -> list[list[int]]:
    """numpy's exact top k (item ids = row + 1), in chunks of queries."""
    out: list[list[int]] = []
    for start in range(0, len(queries), 16):
        scores = queries[start:start + 16] @ matrix.T
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        for row, cand in zip(scores, top, strict=True):
            out.append([int(i) + 1 for i in cand[np.argsort(-row[cand])]])
    return out


def recall(got: list[list[int]], truth: list[list[int]], k: int = K) -> float:
    return float(np.mean([len(set(g[:k]) & set(t[:k])) / k
                          for g, t in zip(got, truth[:len(got)], strict=True)]))


def timed(fn: Any, queries: np.ndarray) -> tuple[list[list[int]], list[float]]:
    ids, ms = [], []
    for q in queries:
        start = time.perf_counter()
        rows = fn(q)
        ms.append((time.perf_counter() - start) * 1000)
        ids.append([i for i, _ in rows])
    return ids, ms


def run_size(url: str, n: int, data: str, args: argparse.Namespace) -> dict[str, Any]:
    from core.store import postgres
    from core.store.pg_server import PREFIX
    from core.store.postgres import PgWorkspace

    load_before = round(os.getloadavg()[0], 1)  # other jobs on the machine slow every timing
    rng = np.random.default_rng(args.seed + n)
    log(f"{n:,} {data}: generating vectors")
    sample = _sampler(data, rng)
    matrix = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(start + 100_000, n)
        matrix[start:stop] = sample(stop - start)
    picks = rng.choice(n, args.queries, replace=False)
    if data == "uniform":  # noise of norm 0.75: cosine about 0.8 to the vector it came from
        near = unit(matrix[picks] + 0.75 * unit(rng.standard_normal((args.queries, DIM),
                                                                     dtype=np.float32)))
    else:  # half the spread of the corpus itself around the vector it came from
        near = unit(matrix[picks] + 0.5 * (sample(args.queries, centred=True)))
    queries = {"near": near, "random": sample(args.queries)}
    truth = {kind: exact_top(matrix, q, CANDIDATES) for kind, q in queries.items()}
    source_cos = float(np.median(np.sum(near * matrix[picks], axis=1)))

    name = f"bench_{data}_{n}"
    ws = PgWorkspace(url, name, hnsw_min=n + 1)  # no index while loading
    notices: list[str] = []
    ws.db.conn.add_notice_handler(lambda d: notices.append(d.message_primary))
    start = time.perf_counter()
    with ws.transaction():
        ws.db.execute("INSERT INTO items(id, question, answer, question_key, content_hash,"
                      " imported_at, updated_at) SELECT g, 'q', 'a', 'k' || g, 'h', '', ''"
                      " FROM generate_series(1, ?) g", (n,))
        ws.reset_vectors(DIM, "random")
    with ws.transaction():  # one transaction, as migrate-store's copy
        for s in range(0, n, LOAD_BATCH):
            ws.put_vectors(range(s + 1, min(s + LOAD_BATCH, n) + 1), matrix[s:s + LOAD_BATCH])
            if s and s % 100_000 == 0:
                log(f"{n:,} {data}: loaded {s:,} in {time.perf_counter() - start:.0f} s")
    load_s = time.perf_counter() - start
    ws.db.execute("VACUUM ANALYZE item_vectors")
    log(f"{n:,} {data}: loaded in {load_s:.1f} s")
    assert not ws.has_vector_index()
    build_s = index_mb = None
    if not args.exact_only:
        ws.hnsw_min = n
        start = time.perf_counter()
        assert ws.index_vectors()
        build_s = time.perf_counter() - start
        index_mb = ws.db.execute("SELECT pg_relation_size(?)",
                                 (f'"{PREFIX}{name}".{postgres.HNSW_INDEX}',)
                                 ).fetchone()[0] / 2**20
        log(f"{n:,} {data}: index built in {build_s:.1f} s ({index_mb:.0f} MB); {notices}")

    out: dict[str, Any] = {"n": n, "data": data, "load_average_at_start": load_before,
                           "near_query_cosine_to_its_source_p50": round(source_cos, 3),
                           "load_s": round(load_s, 1),
                           "load_rows_per_s": round(n / load_s),
                           "build_s": build_s and round(build_s, 1),
                           "build_rows_per_s": build_s and round(n / build_s),
                           "index_mb": index_mb and round(index_mb), "build_notices": notices,
                           "exact": {}, "hnsw": []}
    n_exact = min(args.queries, args.exact_queries)
    for kind, q in queries.items():
        timed(lambda v: ws.vector_search(v, K, exact=True), q[:3])  # warm the cache
        ids, ms = timed(lambda v: ws.vector_search(v, K, exact=True), q[:n_exact])
        out["exact"][kind] = {"queries": n_exact, "p50_ms": round(percentile(ms, 50), 2),
                              "p95_ms": round(percentile(ms, 95), 2),
                              "recall_at_10_vs_numpy": round(recall(ids, truth[kind]), 4)}
        log(f"{n:,} {data}: exact {kind} {out['exact'][kind]}")
    if args.exact_only:
        out["load_average_at_end"] = round(os.getloadavg()[0], 1)
        ws.close()
        return out
    app_rule = postgres.ef_search_for
    try:
        for ef in args.ef:
            postgres.ef_search_for = lambda _rows, ef=ef: ef
            row: dict[str, Any] = {"ef_search": ef}
            for kind, q in queries.items():
                timed(lambda v: ws.vector_search(v, K), q[:10])
                ids, ms = timed(lambda v: ws.vector_search(v, K), q)
                row[kind] = {"queries": len(q), "p50_ms": round(percentile(ms, 50), 2),
                             "p95_ms": round(percentile(ms, 95), 2),
                             "recall_at_10": round(recall(ids, truth[kind]), 4)}
            out["hnsw"].append(row)
            log(f"{n:,} {data}: hnsw {row}")
    finally:
        postgres.ef_search_for = app_rule
    # What the app asks: the dense channel's CANDIDATES (ef_search at least that many).
    out["app"] = {"k": CANDIDATES, "ef_search": max(app_rule(n), CANDIDATES)}
    for kind, q in queries.items():
        ids, ms = timed(lambda v: ws.vector_search(v, CANDIDATES), q)
        out["app"][kind] = {"p50_ms": round(percentile(ms, 50), 2),
                            "p95_ms": round(percentile(ms, 95), 2),
                            "recall_at_10": round(recall(ids, truth[kind]), 4),
                            f"recall_at_{CANDIDATES}": round(recall(ids, truth[kind],
                                                                    CANDIDATES), 4)}
    log(f"{n:,} {data}: app {out['app']}")
    out["load_average_at_end"] = round(os.getloadavg()[0], 1)
    ws.close()
    return out


_FIT: dict[str, np.ndarray] = {}


def _sampler(data: str, rng: np.random.Generator) -> Any:
    """Unit vectors of a kind: `uniform`, or `e5` (the bundled encoder's demo-corpus vectors'
    mean and covariance, fitted once)."""
    if data == "uniform":
        return lambda m, centred=False: unit(rng.standard_normal((m, DIM), dtype=np.float32))
    if not _FIT:
        from core.ingest import parse_file
        from core.models import bundled_encoder
        from core.models.encoder import Encoder
        from core.paths import demo_files
        from core.records import document_text

        log("fitting e5: embedding the demo corpus with the bundled encoder")
        texts = [document_text(it) for f in demo_files() for it in parse_file(f).items]
        real = Encoder(bundled_encoder()).encode_documents(texts).astype(np.float64)
        values, vectors = np.linalg.eigh(np.cov(real - real.mean(0), rowvar=False))
        _FIT.update(mean=real.mean(0), scale=np.sqrt(np.clip(values, 0, None)),
                    basis=vectors.T, n=np.array(len(texts)))

    def sample(m: int, centred: bool = False) -> np.ndarray:
        spread = (rng.standard_normal((m, DIM)) * _FIT["scale"]) @ _FIT["basis"]
        return (spread if centred else unit(_FIT["mean"] + spread)).astype(np.float32)

    return sample


def table(report: dict[str, Any]) -> str:
    lines = ["| items | data | search | ef_search | near p50 / p95 ms | near recall@10 |"
             " random p50 / p95 ms | random recall@10 |", "|---|---|---|---|---|---|---|---|"]
    for run in report["runs"]:
        e = run["exact"]
        lines.append(f"| {run['n']:,} | {run['data']} | exact scan | – | {e['near']['p50_ms']} / "
                     f"{e['near']['p95_ms']} | {e['near']['recall_at_10_vs_numpy']} | "
                     f"{e['random']['p50_ms']} / {e['random']['p95_ms']} | "
                     f"{e['random']['recall_at_10_vs_numpy']} |")
        for h in run["hnsw"]:
            lines.append(f"| {run['n']:,} | {run['data']} | HNSW | {h['ef_search']} | "
                         f"{h['near']['p50_ms']} / "
                         f"{h['near']['p95_ms']} | {h['near']['recall_at_10']} | "
                         f"{h['random']['p50_ms']} / {h['random']['p95_ms']} | "
                         f"{h['random']['recall_at_10']} |")
    lines.append("")
    lines += ["| items | data | load rows/s | index build s | build rows/s | index MB |",
              "|---|---|---|---|---|---|"]
    for run in report["runs"]:
        lines.append(f"| {run['n']:,} | {run['data']} | {run['load_rows_per_s']:,} | "
                     + " | ".join("–" if run[key] is None else f"{run[key]:,}"
                                  for key in ("build_s", "build_rows_per_s", "index_mb"))
                     + " |")
    return "\n".join(lines)


def main() -> int:
    import pgserver

    from core.store import postgres

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--data", nargs="+", default=["uniform", "e5"],
                        choices=["uniform", "e5"])
    parser.add_argument("--ef", type=int, nargs="+", default=[40, 100, 200, 400])
    parser.add_argument("--m", type=int, default=None, help="HNSW m (default: the app's)")
    parser.add_argument("--ef-construction", type=int, default=None,
                        help="HNSW ef_construction (default: the app's)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--exact-queries", type=int, default=50,
                        help="queries timed on the exact scan (slow at 1M)")
    parser.add_argument("--exact-only", action="store_true",
                        help="no index: load and time the exact scan only (a 1M build "
                             "takes hours on 2 cores)")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--append", action="store_true",
                        help="add these runs to those already in --out")
    args = parser.parse_args()
    postgres.HNSW_M = args.m or postgres.HNSW_M
    postgres.HNSW_EF_CONSTRUCTION = args.ef_construction or postgres.HNSW_EF_CONSTRUCTION
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        server = pgserver.get_server(Path(tmp) / "pgdata", cleanup_mode="stop")
        try:
            url = server.get_uri()
            versions = server_versions(url)
            for n in args.sizes:
                for data in args.data:
                    runs.append(run_size(url, n, data, args))
        finally:
            server.cleanup()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip()
    report = {"what": "PgWorkspace.vector_search, top 10: HNSW vs the exact scan, recall "
                      "against numpy's exact top 10",
              "m": postgres.HNSW_M, "ef_construction": postgres.HNSW_EF_CONSTRUCTION,
              "dim": DIM, "k": K,
              "app_ef_search": {n: postgres.ef_search_for(n) for n in args.sizes},
              "app_hnsw_min": postgres.HNSW_MIN, **versions,
              "cpus": os.cpu_count(), "load_average": os.getloadavg()[0], "commit": commit,
              "runs": runs}
    if args.append and args.out.exists():
        earlier = json.loads(args.out.read_text("utf-8"))
        report = {**earlier, **report, "runs": earlier["runs"] + runs}  # notes kept
        report["earlier_commits"] = sorted({earlier["commit"],
                                            *earlier.get("earlier_commits", [])})
    args.out.write_text(json.dumps(report, indent=1) + "\n", "utf-8")
    print(table(report))
    print(f"\nwritten: {args.out}")
    return 0


def server_versions(url: str) -> dict[str, str]:
    from core.store.pg_server import connect

    conn = connect(url)
    try:
        return {"postgresql": conn.execute("SHOW server_version").fetchone()[0],
                "pgvector": conn.execute("SELECT extversion FROM pg_extension"
                                         " WHERE extname = 'vector'").fetchone()[0],
                "max_parallel_maintenance_workers": conn.execute(
                    "SHOW max_parallel_maintenance_workers").fetchone()[0]}
    finally:
        conn.close()


if __name__ == "__main__":
    raise SystemExit(main())
