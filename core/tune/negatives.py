"""Negatives for contrastive training: random (as in the MQG-RFM paper) and hard ones mined
from the workspace index (lexical + dense top-k minus the gold item)."""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from core.progress import Progress
from core.retrieve import Retriever, fuse

NEGATIVE_MODES = ("hard", "random", "both")


def mine_negatives(retriever: Retriever, queries: Sequence[str], gold: Sequence[int],
                   mode: str = "both", hard: int = 8, rand: int = 8, seed: int = 13,
                   vectors: np.ndarray | None = None,
                   progress: Progress | None = None) -> list[list[int]]:
    """For each query, item ids that are wrong answers: the index's best wrong guesses
    (hard) and/or uniformly random items (random)."""
    if mode not in NEGATIVE_MODES:
        raise ValueError(f"negatives must be one of {', '.join(NEGATIVE_MODES)}")
    ids = retriever.ws.item_ids()
    rng = random.Random(seed)
    out: list[list[int]] = []
    for n, (query, gold_id) in enumerate(zip(queries, gold, strict=True)):
        chosen: list[int] = []
        if mode in ("hard", "both"):
            lexical = retriever.lexical(query, hard + 1)
            dense = retriever.dense(query, hard + 1,
                                    vector=None if vectors is None else vectors[n])
            ranked = [i for i, _ in fuse(lexical, dense, 0.5)]
            chosen.extend([i for i in ranked if i != gold_id][:hard])
        if mode in ("random", "both"):
            pool = [i for i in rng.sample(ids, min(len(ids), rand + len(chosen) + 1))
                    if i != gold_id and i not in chosen]
            chosen.extend(pool[:rand])
        out.append(chosen)
        if progress and (n % 100 == 99 or n + 1 == len(queries)):
            progress("mining negatives", n + 1, len(queries))
    return out
