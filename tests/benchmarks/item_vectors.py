"""Compare what the dense channel embeds per item (one-off measurement, #14 point 3).

    python -m tests.benchmarks.item_vectors [--queries resources/eval/tipo_realistic_queries.jsonl]

Variants: the question only; the question plus the head of its answer (several lengths);
two vectors per item (question, question + answer head) scored as max, sum, or one
normalised centroid (what a one-vector store can hold). Each is measured dense and hybrid
(z-score fusion at every grid weight) on held-out generated queries: rule angles of the
questions, and answer sentences taken from past the longest head (so no variant has seen
them, and searched lexically as inverse cloze, core.evaluate.probe_lexical). The choice is
made on those; the realistic queries are only reported.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

import numpy as np

from core.augment.rules import RuleAngles, SyntheticQuery
from core.evaluate import (
    _SENTENCE,
    FUSION_GRID,
    fused_ranks,
    load_eval_queries,
    macro_mrr,
    metrics,
    probe_lexical,
    ranks_by_angle,
    ranks_in,
)
from core.ingest import question_key

HEADS = (64, 128, 256)
SAMPLE = 200


def _heldout(items: list, seed: int = 29) -> list[SyntheticQuery]:
    """Rule angles for one sample of items; answer sentences (from past the longest head)
    for another."""
    rng = random.Random(seed)
    angles = RuleAngles((f"{it.question} {it.answer}" for it in items), seed=seed)
    out = [q for it in rng.sample(items, min(SAMPLE, len(items)))
           for q in angles.generate(it.id, it.question)]
    for it in rng.sample(items, min(2 * SAMPLE, len(items))):
        tail = it.answer[max(HEADS):]
        sentences = [s.strip() for s in _SENTENCE.split(tail) if 12 <= len(s.strip()) <= 80]
        if sentences:
            out.append(SyntheticQuery(rng.choice(sentences), "answer_sentence", it.id))
    return out


def _documents(encoder, items: list, cache: str) -> dict[str, np.ndarray]:  # noqa: ANN001
    """Each variant's item vectors (read from `cache`, an .npz, when it is there)."""
    if cache and Path(cache).exists():
        return dict(np.load(cache))
    docs = {"q": encoder.encode_documents([it.question for it in items])}
    for head in HEADS:
        docs[f"q+a{head}"] = encoder.encode_documents(
            [f"{it.question} {it.answer[:head]}" for it in items])
    if cache:
        np.savez(cache, **docs)
    return docs


def _extra(path: str, items: list) -> list[SyntheticQuery]:
    """Generated queries from a JSONL file ({"text", "angle", "question"}), e.g. LLM angles."""
    if not path:
        return []
    by_question = {it.question: it.id for it in items}
    rows = [json.loads(line) for line in Path(path).read_text("utf-8").splitlines() if line]
    return [SyntheticQuery(r["text"], r["angle"], by_question[r["question"]]) for r in rows
            if r["question"] in by_question]


def _ranking(scores: np.ndarray, ids: np.ndarray, k: int = 50) -> list[tuple[int, float]]:
    top = np.argsort(-scores)[:k]
    return [(int(ids[i]), float(scores[i])) for i in top]


def _measure(labels: list[tuple[str, int]], lex: list, dense: list) -> dict[str, object]:
    """Dense and hybrid (each grid weight) macro MRR and Hit@1 over the labelled queries."""
    angles, gold = [a for a, _ in labels], [g for _, g in labels]

    def table(ranks: list[int | None]) -> tuple[float, float, dict]:
        by_angle = ranks_by_angle(angles, ranks)
        per_angle = {a: (metrics(r).mrr10, metrics(r).hit1) for a, r in by_angle.items()}
        return macro_mrr(by_angle), metrics(ranks).hit1, per_angle

    out: dict[str, object] = {"dense": table(ranks_in(gold, dense))}
    out["hybrid"] = {w: table(ranks) for w, ranks in fused_ranks(gold, lex, dense).items()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", default="resources/eval/tipo_realistic_queries.jsonl")
    parser.add_argument("--out", default="")
    parser.add_argument("--cache", default="", help="an .npz for the item vectors")
    parser.add_argument("--extra", default="", help="more held-out queries (JSONL)")
    args = parser.parse_args()
    import os

    os.environ.setdefault("PATENT_DESK_HOME", tempfile.mkdtemp(prefix="item-vectors-"))
    from core.desk import Desk

    demo = sorted(Path("resources/demo").glob("*.csv"))
    with Desk("bench") as desk:
        desk.import_files(demo)
        items = list(desk.ws.iter_items())
        ids = np.array([it.id for it in items])
        encoder = desk.encoder
        retriever = desk.retriever(dense=False)
        docs = _documents(encoder, items, args.cache)
        sets: dict[str, tuple[list[tuple[str, int]], list[str]]] = {}
        held = _heldout(items) + _extra(args.extra, items)
        sets["heldout"] = ([(q.angle, q.item_id) for q in held], [q.text for q in held])
        realistic, _ = load_eval_queries(args.queries, {question_key(i.question): i.id
                                                        for i in items}, {i.id for i in items})
        sets["realistic"] = ([(q.angle, q.gold_id) for q in realistic],
                             [retriever.searched_as(q.query) for q in realistic])
        results: dict[str, dict[str, object]] = {}
        for name, (labels, texts) in sets.items():
            vectors = encoder.encode_queries(texts)
            # Held-out answer sentences as inverse cloze, as the app calibrates fusion.
            lex = (probe_lexical(retriever, held) if name == "heldout"
                   else [retriever.lexical(t) for t in texts])
            variants = {key: vectors @ m.T for key, m in docs.items()}
            for head in HEADS:
                two = (variants["q"], variants[f"q+a{head}"])
                variants[f"max(q,q+a{head})"] = np.maximum(*two)
                variants[f"sum(q,q+a{head})"] = two[0] + two[1]
                centroid = docs["q"] + docs[f"q+a{head}"]
                centroid /= np.linalg.norm(centroid, axis=1, keepdims=True)
                variants[f"centroid(q,q+a{head})"] = vectors @ centroid.T
            for key, scores in variants.items():
                dense = [_ranking(row, ids) for row in scores]
                results.setdefault(key, {})[name] = _measure(labels, lex, dense)
    print(f"{'variant':28} | held-out dense MRR | best w | held-out hybrid MRR | "
          "realistic dense Hit@1 | realistic hybrid Hit@1 at that w")
    for key, by_set in results.items():
        held, real = by_set["heldout"], by_set["realistic"]
        w = max(held["hybrid"], key=lambda x: (held["hybrid"][x][0], -x))
        print(f"{key:28} | {held['dense'][0]:.3f} | {w:.2f} | {held['hybrid'][w][0]:.3f} | "
              f"{real['dense'][1]:.3f} | {real['hybrid'][w][1]:.3f}")
    print("\nheld-out MRR@10 by angle and dense weight (question-only vectors):")
    held = results["q"]["heldout"]
    for angle in held["dense"][2]:
        cells = " ".join(f"{w}:{held['hybrid'][w][2][angle][0]:.3f}" for w in FUSION_GRID)
        print(f"  {angle:16} {cells}")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
