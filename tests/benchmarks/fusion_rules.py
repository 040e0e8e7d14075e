"""Compare fusion rules for hybrid search on an existing workspace (one-off measurement).

    python -m tests.benchmarks.fusion_rules --workspace demo \
        --queries resources/eval/tipo_realistic_queries.jsonl

Prints Hit@1/MRR@10 of raw-cosine (the app's rule), min-max, z-score and reciprocal-rank
fusion at several dense weights, using the workspace's active adapter.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable

from core.desk import Desk
from core.evaluate import fused_ranks, load_eval_queries, metrics
from core.ingest import question_key
from core.retrieve import fuse

Scored = list[tuple[int, float]]
WEIGHTS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)


def _combine(parts: list[tuple[Scored, float]], norm: Callable[[Scored], Scored]) -> Scored:
    scores: dict[int, float] = {}
    for lst, weight in parts:
        for item, value in norm(lst):
            scores[item] = scores.get(item, 0.0) + weight * value
    return sorted(scores.items(), key=lambda t: -t[1])


def _minmax(lst: Scored) -> Scored:
    if not lst:
        return []
    hi, lo = max(v for _, v in lst), min(v for _, v in lst)
    return [(i, (v - lo) / ((hi - lo) or 1)) for i, v in lst]


def _zscore(lst: Scored) -> Scored:
    if len(lst) < 2:
        return []
    values = [v for _, v in lst]
    mean, sd = statistics.mean(values), statistics.pstdev(values) or 1
    return [(i, (v - mean) / sd) for i, v in lst]


def _ranks(lst: Scored) -> Scored:
    return [(i, 1 / (60 + r)) for r, (i, _) in enumerate(lst)]


RULES: dict[str, Callable[[Scored, Scored, float], Scored]] = {
    "raw-cosine": fuse,
    "min-max": lambda lx, dn, w: _combine([(lx, 1 - w), (dn, w)], _minmax),
    "z-score": lambda lx, dn, w: _combine([(lx, 1 - w), (dn, w)], _zscore),
    "rrf": lambda lx, dn, w: _combine([(lx, 1 - w), (dn, w)], _ranks),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", default="demo")
    parser.add_argument("--queries", required=True)
    args = parser.parse_args()
    with Desk(args.workspace) as desk:
        desk.ensure_vectors()
        items = list(desk.ws.iter_items())
        queries, _ = load_eval_queries(args.queries, {question_key(i.question): i.id
                                                      for i in items}, {i.id for i in items})
        retriever = desk.retriever()  # with the glossary, as the app searches
        searched = [retriever.searched_as(q.query) for q in queries]
        read = [retriever.dense_text(q.query) for q in queries]
        vectors = desk.encoder.encode_queries(read)
        lex = [retriever.lexical(s) for s in searched]
        den = [retriever.dense(s, vector=v) for s, v in zip(read, vectors, strict=True)]
    gold = [q.gold_id for q in queries]
    for name, rule in RULES.items():
        cells = []
        for w, ranks in fused_ranks(gold, lex, den, WEIGHTS, fuse=rule).items():
            m = metrics(ranks)
            cells.append(f"{w:.1f}:{m.hit1:.3f}/{m.mrr10:.3f}")
        print(f"{name:10} " + " ".join(cells))


if __name__ == "__main__":
    main()
