"""Lexical ranking in the shared PostgreSQL store: PostgreSQL's own text search (ts_rank,
ts_rank_cd over the same CJK bigram tokens and column weights) against the BM25 that
core.store.postgres computes over its postings table (FTS5's formula, as in SQLite).

    .venv/bin/python -m tests.benchmarks.pg_lexical [--queries FILE]

Starts a throw-away PostgreSQL + pgvector server (the `pgserver` package) in a temp folder,
loads the demo corpus (no encoder needed) and prints Hit@1 / MRR@10 per ranking.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from core.ingest import parse_file, question_key
from core.paths import demo_files
from core.retrieve import LEXICAL_WEIGHTS
from core.store.postgres import PgWorkspace
from core.store.workspace import ItemChange
from core.text import char_tokens
from tests.benchmarks.common import DEFAULT_QUERIES

# ts_rank's weights are {D, C, B, A}: category in D, body in B, question in A, as the app's.
_WEIGHTS = f"'{{{LEXICAL_WEIGHTS[2]}, 0.0, {LEXICAL_WEIGHTS[1]}, {LEXICAL_WEIGHTS[0]}}}'"


def _score(ranked: list[list[int]], gold: list[int | None]) -> tuple[float, float]:
    hit1 = sum(1 for ids, g in zip(ranked, gold, strict=True) if ids[:1] == [g])
    mrr = sum(1 / (ids.index(g) + 1) for ids, g in zip(ranked, gold, strict=True) if g in ids)
    return round(hit1 / len(gold), 3), round(mrr / len(gold), 3)


def main() -> int:
    import pgserver

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = pgserver.get_server(Path(tmp) / "pgdata", cleanup_mode="stop")
        ws = PgWorkspace(server.get_uri(), "lexical")
        items = [it for f in demo_files() for it in parse_file(f).items]
        with ws.transaction():
            ids = ws.apply_changes([ItemChange(it, question_key(it.question), None)
                                    for it in items])
        ws.db.execute("CREATE TABLE docs (id BIGINT PRIMARY KEY, tsv tsvector)")
        ws.db.executemany(
            "INSERT INTO docs VALUES (?, setweight(to_tsvector('simple', ?), 'A') || "
            "setweight(to_tsvector('simple', ?), 'B') || setweight(to_tsvector('simple', ?), 'D'))",
            [(i, " ".join(char_tokens(it.question)),
              " ".join(char_tokens(f"{it.question} {it.answer}")),
              " ".join(char_tokens(it.category))) for i, it in zip(ids, items, strict=True)])
        by_key = {question_key(it.question): i for i, it in zip(ids, items, strict=True)}
        queries = [json.loads(line) for line in args.queries.read_text("utf-8").splitlines()
                   if line.strip()]
        gold = [q.get("gold_id") or by_key.get(question_key(q["gold"])) for q in queries]
        tokens = [list(dict.fromkeys(char_tokens(q["query"]))) for q in queries]
        rankings = {"BM25 over postings (the app)": [
            [i for i, _ in ws.lexical_search(t, LEXICAL_WEIGHTS, 10)] for t in tokens]}
        for fn in ("ts_rank", "ts_rank_cd"):
            for norm in (0, 1):
                sql = (f"SELECT id FROM docs WHERE tsv @@ to_tsquery('simple', ?) ORDER BY "
                       f"{fn}({_WEIGHTS}, tsv, to_tsquery('simple', ?), {norm}) DESC, id "
                       "LIMIT 10")
                rankings[f"{fn}, normalization {norm}"] = [
                    [r[0] for r in ws.db.execute(sql, (" | ".join(f"'{x}'" for x in t),) * 2)]
                    if t else [] for t in tokens]
        print(f"{len(queries)} queries from {args.queries.name}, {len(items)} items")
        for name, ranked in rankings.items():
            hit1, mrr = _score(ranked, gold)
            print(f"{name:32} Hit@1 {hit1:.3f}  MRR@10 {mrr:.3f}")
        ws.close()
        server.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
