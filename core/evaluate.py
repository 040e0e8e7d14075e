"""Retrieval metrics (Hit@k, MRR@10, NDCG@10 with one relevant item per query) and the
calibration of hybrid fusion on probe queries made from the workspace's own items."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Protocol

from core import paths
from core.augment import RuleAngles, SyntheticQuery
from core.records import NewItem
from core.retrieve import Retriever, fuse
from core.store import measured

NOISE_MRR = 0.005
RELEVANCE_MARGIN = 0.005
_SENTENCE = re.compile(r"[。！？；;!?\n]+|(?<=[a-z])\.\s")
FUSION_GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
Hits = list[tuple[int, float]]
FuseRule = Callable[[Hits, Hits, float], Hits]


@dataclass(frozen=True)
class Metrics:
    n: int
    hit1: float
    hit3: float
    hit10: float
    mrr10: float
    ndcg10: float

    def as_dict(self) -> dict[str, float]:
        return {"hit@1": self.hit1, "hit@3": self.hit3, "hit@10": self.hit10,
                "mrr@10": self.mrr10, "ndcg@10": self.ndcg10}


def metrics(ranks: Sequence[int | None]) -> Metrics:
    """Ranks are 1-based positions of the gold item in each result list (None = not found)."""
    n = len(ranks)
    if n == 0:
        return Metrics(0, 0.0, 0.0, 0.0, 0.0, 0.0)

    def share(pred: object) -> float:
        return round(sum(1 for r in ranks if r is not None and pred(r)) / n, 4)  # type: ignore

    mrr = sum(1.0 / r for r in ranks if r is not None and r <= 10) / n
    ndcg = sum(1.0 / math.log2(r + 1) for r in ranks if r is not None and r <= 10) / n
    return Metrics(n, share(lambda r: r <= 1), share(lambda r: r <= 3), share(lambda r: r <= 10),
                   round(mrr, 4), round(ndcg, 4))


def rank_of(gold: int, ranked: Sequence[int]) -> int | None:
    try:
        return ranked.index(gold) + 1
    except ValueError:
        return None


def ranks_in(gold: Sequence[int], rankings: Iterable[Sequence[tuple[int, float]]]
             ) -> list[int | None]:
    """The rank of each query's gold item in the top 10 of its ranking (None: not there)."""
    return [rank_of(g, [i for i, _ in ranked[:10]])
            for g, ranked in zip(gold, rankings, strict=True)]


def fused_ranks(gold: Sequence[int], lexical: Sequence[Hits], dense: Sequence[Hits],
                weights: Iterable[float] = FUSION_GRID, fuse: FuseRule = fuse
                ) -> dict[float, list[int | None]]:
    """The one evaluator of hybrid search (calibration, the tune loop, `eval`, benchmarks):
    for each dense weight, the ranks of the gold items when each query's lexical and dense
    hits are fused at that weight (`fuse`: another rule, to compare rules). Callers prepare
    the queries (probe_lexical, the glossary) and reduce the ranks (macro_mrr, metrics)."""
    return {w: ranks_in(gold, [fuse(lx, dn, w) for lx, dn in zip(lexical, dense, strict=True)])
            for w in weights}


def cautious_weight(mrr_by_weight: dict[float, float]) -> float:
    """The smallest dense weight whose MRR is within noise of the best one.

    Generated queries are easier than real ones, and a weak encoder's gains on them do not
    carry over (measured on TIPO: the weight best on probes cost real queries Hit@1)."""
    top = max(mrr_by_weight.values())
    return min(w for w, mrr in mrr_by_weight.items() if mrr >= top - NOISE_MRR)


def choose_weight(mrr_by_weight: dict[float, float], reads_workspace: bool) -> float:
    """The dense weight to use. An encoder blind to most of the text must earn its weight
    clearly: the cautious one. An encoder that reads the workspace gets the largest weight
    within noise of the best, up to an equal mix unless the best itself is above it:
    generated probes are lexical-like (typos, Simplified and truncated questions are flat in
    the weight), so among ties they cannot see what users' paraphrases need, and a tie must
    not drop words altogether (weight 1 when every weight ties on an easy probe set).
    Chosen on held-out queries only: README, "Measured quality"."""
    if not reads_workspace:
        return cautious_weight(mrr_by_weight)
    top = max(mrr_by_weight.values())
    best = min(w for w, mrr in mrr_by_weight.items() if mrr == top)
    cap = max(best, 0.5)
    return max(w for w, mrr in mrr_by_weight.items() if mrr >= top - NOISE_MRR and w <= cap)


def _answer_sentence(item_id: int, answer: str) -> str | None:
    """A sentence of the answer, as a user who knows what they need but not how the entry is
    worded asks it (inverse cloze): the probe that needs meaning, not only spelling."""
    sentences = [s.strip() for s in _SENTENCE.split(answer) if 12 <= len(s.strip()) <= 80]
    return random.Random(item_id).choice(sentences) if sentences else None


def probe_queries(retriever: Retriever, sample: int = 150, seed: int = 13
                  ) -> list[SyntheticQuery]:
    """Rule-based queries (typos, Simplified, keywords, truncation) for a sample of items,
    and answer sentences for another sample."""
    ws = retriever.ws
    ids = ws.item_ids()
    chosen = sorted(random.Random(seed).sample(ids, min(sample, len(ids))))
    items = ws.get_items(chosen)
    angles = RuleAngles((f"{it.question} {it.answer}" for it in ws.iter_items()), seed=seed)
    probes = [q for it in items for q in angles.generate(it.id, it.question)]
    others = ws.get_items(sorted(random.Random(seed + 1).sample(ids, min(sample, len(ids)))))
    for it in others:
        sentence = _answer_sentence(it.id, it.answer)
        if sentence:
            probes.append(SyntheticQuery(sentence, "answer_sentence", it.id))
    return probes


class LabelledQuery(Protocol):
    """A generated query and the item it was made from (SyntheticQuery, StoredQuery)."""

    @property
    def text(self) -> str: ...
    @property
    def angle(self) -> str: ...
    @property
    def item_id(self) -> int: ...


def probe_lexical(retriever: Retriever, probes: Sequence[LabelledQuery],
                  reads_workspace: bool = True) -> list[list[tuple[int, float]]]:
    """Lexical hits of each probe. An answer sentence is searched with that sentence taken
    out of its item's indexed text, as inverse cloze does (Lee et al., 2019): left in, the
    probe is a verbatim quote that BM25 finds trivially (MRR@10 0.98 vs 0.49 taken out, on
    the demo) and calibration learns to trust lexical where users paraphrase. The edits are
    rolled back (calibration's weight is stored right after, so it needs the write lock
    anyway).

    An encoder blind to most of the text (not `reads_workspace`) keeps the verbatim quotes,
    which favour lexical: with all-MiniLM, cloze probes gave it weight 0.3, and the realistic
    queries' hybrid MRR@10 fell below lexical's (0.553 vs 0.558)."""
    ws = retriever.ws
    cloze = [q for q in probes if q.angle == "answer_sentence"] if reads_workspace else []
    if not cloze:
        return [retriever.lexical(q.text) for q in probes]
    items = {it.id: it for it in ws.get_items(sorted({q.item_id for q in cloze}))}
    with ws.discarded_changes():
        for q in cloze:
            it = items[q.item_id]
            ws.index_text(it.id, NewItem(it.question, it.answer.replace(q.text, " "),
                                         it.category))
        return [retriever.lexical(q.text) for q in probes]


def ranks_by_angle(angles: Iterable[str], ranks: Iterable[int | None]
                   ) -> dict[str, list[int | None]]:
    """The ranks grouped by the kind of query each came from, kinds in order of appearance."""
    grouped: dict[str, list[int | None]] = {}
    for angle, rank in zip(angles, ranks, strict=True):
        grouped.setdefault(angle, []).append(rank)
    return grouped


def macro_mrr(ranks_by_angle: dict[str, list[int | None]]) -> float:
    """MRR@10 averaged over kinds of query, so the many surface variants cannot outvote the
    few that need meaning."""
    values = [metrics(ranks).mrr10 for ranks in ranks_by_angle.values() if ranks]
    return round(sum(values) / len(values), 4) if values else 0.0


@dataclass(frozen=True)
class FusionCalibration:
    dense_weight: float
    n_probe: int
    lexical_mrr: float
    dense_mrr: float
    hybrid_mrr: float
    encoder: str
    items: int
    calibrated_at: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def calibrate_fusion(retriever: Retriever, sample: int = 150, reads_workspace: bool = True
                     ) -> FusionCalibration | None:
    """Choose the dense weight that retrieves the probe queries best (macro MRR@10 over their
    kinds); the caller records it (core.store.measured.save_calibration). Weight 0 (lexical
    alone) is on the grid, so on the probe set hybrid is never worse than lexical. Returns
    None when dense is unavailable."""
    if not retriever.dense_ready or retriever.encoder is None:
        return None
    probes = probe_queries(retriever, sample)
    if not probes:
        return None
    vectors = retriever.encoder.encode_queries([q.text for q in probes])
    lex = probe_lexical(retriever, probes, reads_workspace)
    den = [retriever.dense(q.text, vector=v) for q, v in zip(probes, vectors, strict=True)]
    gold, angles = [q.item_id for q in probes], [q.angle for q in probes]

    def score(ranks: list[int | None]) -> float:
        return macro_mrr(ranks_by_angle(angles, ranks))

    scores = {w: score(ranks) for w, ranks in fused_ranks(gold, lex, den).items()}
    best = choose_weight(scores, reads_workspace)
    result = FusionCalibration(
        dense_weight=best, n_probe=len(probes), lexical_mrr=scores[0.0],
        dense_mrr=score(ranks_in(gold, den)), hybrid_mrr=scores[best],
        encoder=retriever.encoder.id, items=retriever.ws.count_items(),
        calibrated_at=datetime.now(UTC).isoformat(timespec="seconds"))
    return result


def _probe_lines(name: str) -> list[str]:
    text = (paths.resource_dir() / "probes" / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()
            and not line.startswith("#")]


def off_topic_questions() -> list[str]:
    """Questions far from any patent agency's domain: above them, an entry may be answered
    from."""
    return _probe_lines("off_topic.txt")


def near_domain_questions() -> list[str]:
    """Official-sounding errands a patent FAQ does not answer: below them, an entry found
    only by meaning is answered with a caution."""
    return _probe_lines("near_domain.txt")


def probe_set_id() -> str:
    """Names the probe sets a cutoff was measured with: a cutoff stored with other probes
    (before the near-domain ones, say) is measured again, not kept."""
    import hashlib

    text = "\n".join(off_topic_questions() + ["#"] + near_domain_questions())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class RelevanceCutoffs:
    """Dense similarity an entry needs, found by meaning alone (without shared words), to be
    answered from (`answer`) and to be answered from without a caution (`confident`)."""

    answer: float
    confident: float


def calibrate_relevance(retriever: Retriever, store: bool = True) -> RelevanceCutoffs | None:
    """Just above the closest this workspace's entries come to questions it cannot answer:
    far-off-topic ones for `answer`, near-domain ones for `confident`. Encoders differ widely
    (all-MiniLM's unrelated cosines sit near 0.3, multilingual-e5's near 0.85), so a fixed
    cutoff suits none of them. A single cutoff at the near-domain level refused too much:
    on the demo it stopped 23 of 32 held-out near-domain questions (9 before) but left 8 of
    72 held-out user-style questions unanswered (1 before), hence the caution instead.
    Stored in the `relevance` setting (with `store`)."""
    if not retriever.dense_ready or retriever.encoder is None:
        return None
    far, near = off_topic_questions(), near_domain_questions()
    vectors = retriever.encoder.encode_queries(far + near)
    nearest = [hits[0][1] for q, v in zip(far + near, vectors, strict=True)
               if (hits := retriever.dense(q, k=1, vector=v))]
    if len(nearest) < len(far) + len(near):
        return None  # an empty workspace, or a fill too young to measure against
    answer = round(min(max(nearest[:len(far)]) + RELEVANCE_MARGIN, 0.99), 4)
    confident = round(max(answer, min(max(nearest[len(far):]) + RELEVANCE_MARGIN, 0.99)), 4)
    if store:
        measured.save_relevance(retriever.ws, answer, confident, retriever.encoder.id,
                                len(nearest), probe_set_id())
    return RelevanceCutoffs(answer, confident)


def relevance_cutoffs(retriever: Retriever, default: float, complete: bool = True
                      ) -> RelevanceCutoffs:
    """The stored cutoffs for the retriever's encoder, measured now when there are none
    (and stored only when every item is embedded: a cutoff from a partial fill is
    provisional); `default` without a dense channel or probes."""
    if retriever.encoder is None:
        return RelevanceCutoffs(default, default)  # no dense channel: never consulted
    stored = measured.relevance(retriever.ws)
    if (stored.get("encoder"), stored.get("probes")) != (retriever.encoder.id, probe_set_id()):
        calibrated = calibrate_relevance(retriever, store=complete)
        return calibrated or RelevanceCutoffs(default, default)
    return RelevanceCutoffs(float(stored["min_cosine"]), float(stored["confident_cosine"]))


@dataclass(frozen=True)
class EvalQuery:
    query: str
    gold_id: int
    angle: str


def load_eval_queries(path: str, gold_ids: dict[str, int], known_ids: set[int]
                      ) -> tuple[list[EvalQuery], list[int]]:
    """Read eval JSONL ({"query", "gold" | "gold_id", optional "angle"}); returns the usable
    queries and the line numbers whose gold item is not in the workspace."""
    import json
    from pathlib import Path

    from core.errors import InputError
    from core.text import clean

    file = Path(path)
    try:
        lines = file.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the queries file ({exc}); give a UTF-8 "
                         "JSONL file") from None
    usable, unknown = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            query = str(obj["query"]).strip()
        except (ValueError, KeyError, TypeError):
            raise InputError(f"{file.name}: line {number} is not a JSON object with a "
                             '"query"; write {"query": ..., "gold": ...}') from None
        if "gold_id" in obj and isinstance(obj["gold_id"], int):
            gold = obj["gold_id"] if obj["gold_id"] in known_ids else None
        else:
            gold = gold_ids.get(clean(str(obj.get("gold", ""))))
        if gold is None or not query:
            unknown.append(number)
            continue
        usable.append(EvalQuery(query, gold, str(obj.get("angle", ""))))
    return usable, unknown


def evaluate_retrievers(retriever: Retriever, queries: Sequence[EvalQuery]
                        ) -> dict[str, object]:
    """Metrics per retriever (lexical, dense, hybrid) and per angle, in one pass: each
    channel searched as Retriever.ranked does, hybrid at the retriever's weight."""
    assert retriever.encoder is not None
    searched = [retriever.dense_text(q.query) for q in queries]
    vectors = retriever.encoder.encode_queries(searched)
    lex = [retriever.lexical(retriever.searched_as(q.query)) for q in queries]
    den = [retriever.dense(text, vector=v) for text, v in zip(searched, vectors, strict=True)]
    gold, weight = [q.gold_id for q in queries], retriever.dense_weight()
    ranks = {"lexical": ranks_in(gold, lex), "dense": ranks_in(gold, den),
             "hybrid": fused_ranks(gold, lex, den, (weight,))[weight]}
    angles = sorted({q.angle for q in queries if q.angle})
    per_angle = {
        angle: {mode: metrics([r for r, q in zip(rs, queries, strict=True) if q.angle == angle]
                              ).as_dict() for mode, rs in ranks.items()}
        for angle in angles}
    return {"retrievers": {mode: metrics(rs).as_dict() for mode, rs in ranks.items()},
            "angles": per_angle}
