"""Retrieval: lexical (FTS5 BM25 over CJK character bigrams), dense (sentence encoder +
sqlite-vec) and hybrid, which fuses both with a weight measured in the workspace itself.

A weak encoder must never drag hybrid below lexical alone, so `calibrate_fusion` scores each
dense weight on probe queries made from the workspace's own items (rule-based angles) and
keeps the best; weight 0 means lexical alone, so hybrid never does worse on the probe set.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from core.glossary import Glossary, Translation
from core.records import Item
from core.store import WorkspaceStore, measured
from core.text import char_tokens, language_of

MODES = ("hybrid", "lexical", "dense")
# bm25() column weights: question, body (question + answer), category. Measured on the TIPO
# corpus with the hand-written realistic queries (resources/eval/): the answer text matters
# (fact-seeking queries); category matches and pinyin-bigram tokens did not help.
LEXICAL_WEIGHTS = (0.2, 1.0, 0.0)
CANDIDATES = 50


class QueryEncoder(Protocol):
    id: str
    doc_space_id: str

    def encode_queries(self, texts: Sequence[str], batch_size: int = ...) -> np.ndarray: ...


@dataclass(frozen=True)
class ChannelScore:
    rank: int
    score: float

    def as_dict(self) -> dict[str, float]:
        return {"rank": self.rank, "score": round(self.score, 4)}


@dataclass
class Hit:
    item: Item
    score: float
    channels: dict[str, ChannelScore] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {**self.item.as_dict(), "score": round(self.score, 4),
                "channels": {k: v.as_dict() for k, v in self.channels.items()}}

    def found_by(self, top: int = 10) -> str:
        """'lexical', 'dense' or 'both': the channels that rank this item in their own top
        `top` (each channel lists 50 candidates, so mere presence would say 'both' for most);
        when neither does, the channel that ranks it better."""
        near = [name for name, ch in self.channels.items() if ch.rank <= top]
        if len(near) == 2:
            return "both"
        if near:
            return near[0]
        if not self.channels:
            return ""
        return min(self.channels.items(), key=lambda kv: kv[1].rank)[0]


def corpus_languages(ws: WorkspaceStore, sample: int = 200) -> list[str]:
    """The languages of a workspace's questions ('zh', 'en'), the main one first; a second
    one counts when at least a tenth of a sample of the questions is written in it."""
    items = ws.get_items(ws.item_ids()[:sample])
    counts = Counter(language_of(it.question) for it in items)
    if not counts:
        return ["zh"]
    main, _ = counts.most_common(1)[0]
    return [main] + [lang for lang, n in counts.items()
                     if lang != main and n >= 0.1 * len(items)]


def _standardised(hits: list[tuple[int, float]]) -> dict[int, float]:
    """Each score as standard deviations above the channel's mean over its candidates."""
    if not hits:
        return {}
    scores = np.array([score for _, score in hits], dtype=np.float64)
    spread = float(scores.std()) or 1.0
    mean = float(scores.mean())
    return {item_id: (score - mean) / spread for item_id, score in hits}


def fuse(lexical: list[tuple[int, float]], dense: list[tuple[int, float]], weight: float
         ) -> list[tuple[int, float]]:
    """(1 - weight) * z(BM25) + weight * z(cosine), each z-scored over its channel's own
    candidates; an item one channel did not return gets that channel's lowest score.

    Standardising puts both channels on one scale whatever the encoder: multilingual-e5's
    cosines all sit near 0.85, so raw cosine barely moved the ranking (measured on the demo's
    generated probes: macro MRR@10 0.958 for z-scores at w 0.4 vs 0.940 for raw cosines).
    Weight 0 is lexical alone and 1 dense alone."""
    channels = [(1.0 - weight, _standardised(lexical)), (weight, _standardised(dense))]
    channels = [(w, z) for w, z in channels if w > 0 and z]
    ids = {item_id for _, z in channels for item_id in z}
    scores = {item_id: sum(w * z.get(item_id, min(z.values())) for w, z in channels)
              for item_id in ids}
    return sorted(scores.items(), key=lambda kv: -kv[1])


class Retriever:
    """Searches one workspace. The encoder is optional: without it, only lexical works."""

    def __init__(self, workspace: WorkspaceStore, encoder: QueryEncoder | None = None,
                 weight: float | None = None,
                 documents: tuple[Sequence[int], np.ndarray] | None = None,
                 glossary: Glossary | None = None,
                 languages: Sequence[str] | None = None, exact: bool = False) -> None:
        """`weight`: the dense weight of hybrid; by default the one measured in the workspace.
        `documents`: item ids and their vectors in the encoder's space, searched exactly in
        memory instead of the stored index (evaluating an adapter that is not active).
        `glossary`: translates a question in the other language into the corpus' terms;
        `languages`: the workspace's (corpus_languages), read from it when not given.
        `exact`: dense search scans the stored vectors in the database (sqlite-vec, or the
        exact scan of PostgreSQL) instead of the store's fast path: the reference."""
        self.ws = workspace
        self.encoder = encoder
        self.weight = weight
        self.documents = documents
        self.glossary = glossary
        self.languages = list(languages) if languages else None
        self._translations: dict[str, Translation | None] = {}
        self.exact = exact

    def translation(self, query: str) -> Translation | None:
        """The glossary translation of a question in another language than the workspace's
        (an English question on a Chinese workspace), or None."""
        if self.glossary is None or not query.strip():
            return None
        if query not in self._translations:  # asked for per channel and per hit
            if self.languages is None:
                self.languages = corpus_languages(self.ws)
            self._translations[query] = self.glossary.translate(query, self.languages)
        return self._translations[query]

    def known_share(self, query: str) -> float:
        """How much of the question the search understood: 1.0 unless it was translated,
        then the share of its topic words the glossary knew."""
        translated = self.translation(query)
        return translated.known if translated else 1.0

    def searched_as(self, query: str) -> str:
        """What the channels search for: the query, or its glossary translation."""
        translated = self.translation(query)
        return translated.text if translated else query

    def dense_text(self, query: str) -> str:
        """What the dense channel reads: a translated question as typed plus its glossary
        terms. A multilingual encoder reads the question itself, and the terms pin the
        corpus' wording: on 48 held-out English questions (tests/benchmarks/
        english_channels.py) dense Hit@1 was 0.52 with the terms alone, 0.44 with the
        question alone and 0.79 with both, and hybrid 0.56 -> 0.73 at the same weight."""
        translated = self.translation(query)
        if translated is None or translated.text.startswith(query):
            return self.searched_as(query)
        return f"{query} {translated.text}"

    @property
    def dense_ready(self) -> bool:
        if self.encoder is None:
            return False
        if self.documents is not None:
            return True
        return (self.ws.vector_dim() is not None
                and self.ws.vector_encoder() == self.encoder.doc_space_id)

    def dense_weight(self) -> float:
        if self.weight is not None:
            return self.weight if self.dense_ready else 0.0
        return measured.dense_weight(self.ws) if self.dense_ready else 0.0

    def lexical(self, query: str, k: int = CANDIDATES) -> list[tuple[int, float]]:
        return self.ws.lexical_search(char_tokens(query), LEXICAL_WEIGHTS, k)

    def dense(self, query: str, k: int = CANDIDATES,
              vector: np.ndarray | None = None) -> list[tuple[int, float]]:
        if not self.dense_ready or not query.strip():
            return []
        if vector is None:
            assert self.encoder is not None
            vector = self.encoder.encode_queries([query])[0]
        if self.documents is not None:
            ids, matrix = self.documents
            scores = matrix @ np.asarray(vector, dtype=np.float32)  # normalised: cosines
            top = np.argsort(-scores)[:k]
            return [(int(ids[i]), float(scores[i])) for i in top]
        return self.ws.vector_search(vector, k, exact=True if self.exact else None)

    def ranked(self, query: str, mode: str = "hybrid", k: int = 10,
               vector: np.ndarray | None = None, weight: float | None = None
               ) -> tuple[list[tuple[int, float]], dict[str, dict[int, ChannelScore]]]:
        """Ranked (item id, score) pairs plus each channel's own ranks, without loading items.
        A given `vector` must be the encoding of `dense_text(query)`."""
        lex = self.lexical(self.searched_as(query)) if mode in ("hybrid", "lexical") else []
        den = (self.dense(self.dense_text(query), vector=vector)
               if mode in ("hybrid", "dense") else [])
        channels = {
            name: {item_id: ChannelScore(rank, score)
                   for rank, (item_id, score) in enumerate(hits, start=1)}
            for name, hits in (("lexical", lex), ("dense", den)) if hits
        }
        if mode == "lexical":
            return lex[:k], channels
        if mode == "dense":
            return den[:k], channels
        w = self.dense_weight() if weight is None else weight
        return fuse(lex, den, w)[:k], channels

    def search(self, query: str, k: int = 10, mode: str = "hybrid") -> list[Hit]:
        ranked, channels = self.ranked(query, mode, k)
        items = {it.id: it for it in self.ws.get_items([i for i, _ in ranked])}
        return [
            Hit(items[i], s, {name: ch[i] for name, ch in channels.items() if i in ch})
            for i, s in ranked if i in items
        ]

    def coverage(self, query: str, item_id: int) -> float:
        """Share of the query's lexical tokens found in the item: a bounded relevance cue.
        A translated question counts only as far as the glossary knew its words: 'sound
        mark' searched as 登記 alone must not make any 登記 entry look like the answer."""
        wanted = set(char_tokens(self.searched_as(query)))
        if not wanted:
            return 0.0
        share = len(wanted & self.ws.index_tokens(item_id)) / len(wanted)
        return share * self.known_share(query)
