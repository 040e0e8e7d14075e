"""Does the glossary still help English questions now that the encoder reads English? (#14.6)

    python -m tests.benchmarks.english_channels [--out docs/benchmarks/english_channels.json]

multilingual-e5 maps an English question near its Chinese entry by itself, so translating
the question through the glossary before the dense channel may help or hurt it. Each way of
feeding the two channels is measured on 48 English questions written for this comparison
(`english_heldout_queries.jsonl`, one per item, items not in `resources/eval`), at the
workspace's calibrated weight and at every grid weight; the choice is made on those. The 40
English questions of `resources/eval` are only reported.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from core.evaluate import fused_ranks, load_eval_queries, metrics, ranks_in
from core.ingest import question_key
from core.retrieve import Retriever

HELDOUT = Path(__file__).with_name("english_heldout_queries.jsonl")
REALISTIC = Path("resources/eval/tipo_realistic_queries.jsonl")

# name -> (what lexical searches for, what dense searches for), from the retriever and query
Feed = Callable[[Retriever, str], tuple[str, str]]
FEEDS: dict[str, Feed] = {
    "glossary for both channels (today)": lambda r, q: (r.searched_as(q), r.searched_as(q)),
    "glossary for lexical, dense reads the English": lambda r, q: (r.searched_as(q), q),
    "glossary for lexical, dense reads English + terms":
        lambda r, q: (r.searched_as(q), f"{q} {r.searched_as(q)}" if r.translation(q) else q),
    "no glossary": lambda r, q: (q, q),
}


def measure(retriever: Retriever, queries: list, feed: Feed) -> dict[str, object]:
    texts = [feed(retriever, q.query) for q in queries]
    assert retriever.encoder is not None
    vectors = retriever.encoder.encode_queries([d for _, d in texts])
    lex = [retriever.lexical(t) for t, _ in texts]
    den = [retriever.dense(d, vector=v) for (_, d), v in zip(texts, vectors, strict=True)]
    gold = [q.gold_id for q in queries]
    return {"lexical": metrics(ranks_in(gold, lex)).as_dict(),
            "dense": metrics(ranks_in(gold, den)).as_dict(),
            "hybrid": {w: metrics(ranks).as_dict()
                       for w, ranks in fused_ranks(gold, lex, den).items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    os.environ.setdefault("PATENT_DESK_HOME", tempfile.mkdtemp(prefix="english-channels-"))
    from core.desk import Desk

    with Desk("bench") as desk:
        desk.import_files(sorted(Path("resources/demo").glob("*.csv")))
        items = list(desk.ws.iter_items())
        gold = {question_key(it.question): it.id for it in items}
        known = {it.id for it in items}
        retriever = desk.retriever()
        weight = retriever.dense_weight()
        sets = {"held-out (written)": load_eval_queries(str(HELDOUT), gold, known)[0],
                "realistic English": [q for q in load_eval_queries(str(REALISTIC), gold,
                                                                    known)[0]
                                      if q.angle == "english"]}
        results = {name: {feed: measure(retriever, queries, fn) for feed, fn in FEEDS.items()}
                   for name, queries in sets.items()}
    print(f"workspace dense weight {weight}; Hit@1 (MRR@10)")
    for name, by_feed in results.items():
        print(f"\n{name}, n = {len(sets[name])}")
        print("| feed | lexical | dense | hybrid at w | best w (hybrid MRR@10) |")
        print("|---|---|---|---|---|")
        for feed, r in by_feed.items():
            hyb = r["hybrid"]
            best = max(hyb, key=lambda w: (hyb[w]["mrr@10"], -w))
            cell = lambda m: f"{m['hit@1']:.3f} ({m['mrr@10']:.3f})"  # noqa: E731
            print(f"| {feed} | {cell(r['lexical'])} | {cell(r['dense'])} | "
                  f"{cell(hyb[weight])} | {best} ({hyb[best]['mrr@10']:.3f}) |")
    if args.out:
        Path(args.out).write_text(json.dumps({"weight": weight, "results": results},
                                             indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
