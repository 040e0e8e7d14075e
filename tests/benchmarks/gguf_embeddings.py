"""A GGUF language model as the dense encoder, untrained: its mean-pooled hidden states
(llama-cpp-python, embedding=True) over the demo items' questions, scored on the realistic
queries (the README's Gemma-3-270M measurement).

    .venv/bin/python -m tests.benchmarks.gguf_embeddings --gguf MODEL.gguf [--queries FILE]

Prints dense Hit@1 overall and per angle. Needs no workspace; about 5 minutes for a
270M model on two cores.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from core.ingest import parse_file, question_key
from core.paths import demo_files
from tests.benchmarks.common import DEFAULT_QUERIES


def main() -> int:
    import llama_cpp

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gguf", type=Path, required=True)
    parser.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    args = parser.parse_args()
    model = llama_cpp.Llama(str(args.gguf), embedding=True, n_ctx=2048, n_batch=2048,
                            pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN, verbose=False)

    def embed(texts: list[str]) -> np.ndarray:
        rows = np.array([model.embed(t) for t in texts], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    questions = [row.question for path in demo_files() for row in parse_file(path).items]
    row_of = {question_key(q): n for n, q in enumerate(questions)}
    queries = [json.loads(line) for line in args.queries.read_text("utf-8").splitlines()]
    best = np.argmax(embed([q["query"] for q in queries]) @ embed(questions).T, axis=1)
    hits: dict[str, list[bool]] = defaultdict(list)
    for q, top in zip(queries, best, strict=True):
        hit = row_of.get(question_key(q["gold"])) == top
        hits["all"].append(hit)
        hits[q.get("angle", "")].append(hit)
    for angle, values in hits.items():
        print(f"{angle or '(none)'}: dense Hit@1 {sum(values) / len(values):.3f} (n={len(values)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
