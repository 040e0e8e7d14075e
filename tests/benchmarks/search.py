"""Search latency at growing sizes (synthetic text recombined from TIPO, random unit vectors):
each mode of core.retrieve.Retriever (lexical FTS5, dense sqlite-vec, hybrid) against exact
numpy brute force over the very same vectors; memory and database bytes per item. No encoder
is loaded: query vectors are given, so only search itself is timed."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from tests.benchmarks.common import current_rss_mb, log, peak_rss_mb, percentile

DIM = 384
BATCH = 20_000
MAX_QUERIES_AT_1M = 20


class GivenVectors:
    """A stand-in query encoder: the benchmark passes every query vector itself."""

    id = "synthetic"
    doc_space_id = "synthetic"

    def encode_queries(self, texts: Any, batch_size: int = 64) -> np.ndarray:
        raise RuntimeError("the search benchmark gives query vectors explicitly")


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


class Corpus:
    """Grows one workspace (and the same vectors in a numpy matrix) to each size in turn."""

    def __init__(self, name: str, capacity: int, seed: int = 11) -> None:
        from core.store import open_workspace
        from tests.benchmarks.speed import demo_items

        self.ws = open_workspace(name)
        with self.ws.transaction():
            self.ws.reset_vectors(DIM, GivenVectors.id)
        self.docs = np.zeros((capacity, DIM), dtype=np.float32)
        self.size = 0
        self.rng = np.random.default_rng(seed)
        self.pick = random.Random(seed)
        base = demo_items()
        self.questions = [it.question for it in base]
        self.answers = [it.answer for it in base]
        self.texts: list[str] = []

    def grow(self, size: int) -> float:
        """Add items up to `size`; returns the seconds spent inserting them."""
        from core.records import NewItem
        from core.store import ItemChange

        started = time.perf_counter()
        while self.size < size:
            n = min(BATCH, size - self.size)
            vectors = _unit(self.rng.standard_normal((n, DIM)))
            changes = []
            for k in range(n):
                a, b = self.pick.choice(self.questions), self.pick.choice(self.questions)
                question = f"{a[: len(a) // 2]}{b[len(b) // 2 :]}（{self.size + k}）"
                answer = self.pick.choice(self.answers)
                start = self.pick.randrange(max(1, len(answer) - 150))
                item = NewItem(question, answer[start : start + 200])
                changes.append(ItemChange(item, f"s{self.size + k}", None, vectors[k]))
                if len(self.texts) < 5_000:
                    self.texts.append(f"{question}{item.answer}")
            with self.ws.transaction():
                self.ws.apply_changes(changes)
            self.docs[self.size : self.size + n] = vectors
            self.size += n
        return time.perf_counter() - started

    def queries(self, n: int) -> list[tuple[str, np.ndarray]]:
        """Short text slices of stored items and noisy copies of stored vectors."""
        out = []
        for _ in range(n):
            text = self.pick.choice(self.texts)
            start = self.pick.randrange(max(1, len(text) - 12))
            row = self.docs[self.pick.randrange(self.size)]
            vector = _unit((row + 0.05 * self.rng.standard_normal(DIM))[None, :])[0]
            out.append((text[start : start + self.pick.randint(6, 12)], vector))
        return out

    def db_bytes(self) -> int:
        self.ws.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        path = self.ws.path
        return sum(os.path.getsize(p) for p in (path, Path(f"{path}-wal")) if p.exists())


def _numpy_top(docs: np.ndarray, vector: np.ndarray, k: int = 10) -> list[int]:
    sims = docs @ vector
    top = np.argpartition(-sims, min(k, len(sims) - 1))[:k]
    return [int(i) for i in top[np.argsort(-sims[top])]]


def _latencies(fn: Any, queries: list[tuple[str, np.ndarray]]) -> list[float]:
    for text, vector in queries[:3]:
        fn(text, vector)  # warm-up: page cache, prepared statements
    out = []
    for text, vector in queries:
        started = time.perf_counter()
        fn(text, vector)
        out.append((time.perf_counter() - started) * 1000)
    return out


def measure(corpus: Corpus, n_queries: int) -> dict[str, Any]:
    from core.retrieve import Retriever

    retriever = Retriever(corpus.ws, GivenVectors(), weight=0.5)
    reference = Retriever(corpus.ws, GivenVectors(), weight=0.5, exact=True)
    docs = corpus.docs[: corpus.size]
    queries = corpus.queries(n_queries)
    out: dict[str, Any] = {}
    # The first dense search after the vectors changed (re)loads the in-memory copy of the
    # fast path, from FAST_PATH_ITEMS items up: a cost paid once per change, not per query.
    started = time.perf_counter()
    retriever.dense("q", 10, vector=queries[0][1])
    out["dense_first_search_ms"] = round((time.perf_counter() - started) * 1000, 1)
    modes = {
        "lexical": lambda t, v: retriever.ranked(t, "lexical", 10),
        "dense": lambda t, v: retriever.ranked(t, "dense", 10, vector=v),
        "dense_exact": lambda t, v: reference.ranked(t, "dense", 10, vector=v),
        "hybrid": lambda t, v: retriever.ranked(t, "hybrid", 10, vector=v),
        "numpy": lambda t, v: _numpy_top(docs, v),
    }
    for mode, fn in modes.items():
        ms = _latencies(fn, queries)
        out[mode] = {"p50_ms": round(percentile(ms, 50), 3), "p95_ms": round(percentile(ms, 95), 3)}
    limit = out["numpy"]["p50_ms"] or 1e-9
    for mode in ("lexical", "dense", "dense_exact", "hybrid"):
        out[mode]["ratio_p50_to_numpy"] = round(out[mode]["p50_ms"] / limit, 2)
    # Both dense paths are exact: their top 10 should be numpy's top 10 (rowid = row + 1).
    for name, searcher in (("dense", retriever), ("dense_exact", reference)):
        agree = []
        for _, vector in queries[:10]:
            dense = [i - 1 for i, _ in searcher.dense("q", 10, vector=vector)]
            agree.append(len(set(dense) & set(_numpy_top(docs, vector))) / 10)
        out[f"{name}_top10_agreement_with_numpy"] = round(sum(agree) / len(agree), 3)
    # Above COMMON_ITEMS items lexical search skips items holding only some common bigrams
    # (core.store.lexical_plan): how much of full BM25's top 10 it keeps.
    agree = []
    for text, _ in queries[:10]:
        bounded = {i for i, _ in retriever.lexical(text, 10)}
        corpus.ws.common_items = 10**12
        full = {i for i, _ in retriever.lexical(text, 10)}
        del corpus.ws.common_items  # back to the class default
        agree.append(len(bounded & full) / max(1, len(full)))
    out["lexical_top10_agreement_with_full_bm25"] = round(sum(agree) / len(agree), 3)
    out["queries"] = len(queries)
    return out


def run(sizes: tuple[int, ...], n_queries: int, name: str = "search-bench") -> dict[str, Any]:
    corpus = Corpus(name, max(sizes))
    rss0 = current_rss_mb()
    out: dict[str, Any] = {"dim": DIM, "sizes": {}, "rss_start_mb": rss0}
    try:
        for size in sizes:
            log(f"search: building {size:,} synthetic items")
            added = size - corpus.size
            build_s = corpus.grow(size)
            queries = n_queries if size < 1_000_000 else min(n_queries, MAX_QUERIES_AT_1M)
            log(f"search: timing {queries} queries per mode at {size:,} items")
            result = measure(corpus, queries)
            db = corpus.db_bytes()
            rss = current_rss_mb()
            result.update({
                "insert_rows_per_s": round(added / build_s, 1) if build_s else None,
                "db_bytes": db, "db_bytes_per_item": round(db / size, 1),
                "rss_mb": rss, "numpy_matrix_bytes_per_item": DIM * 4,
                # the process holds the numpy copy of the vectors too: leave it out
                "rss_bytes_per_item_excl_numpy": round(
                    max(0.0, (rss - rss0) * 2**20 - size * DIM * 4) / size, 1)})
            out["sizes"][str(size)] = result
    finally:
        corpus.ws.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{corpus.ws.path}{suffix}").unlink(missing_ok=True)
    out["peak_rss_mb"] = peak_rss_mb()
    return out
