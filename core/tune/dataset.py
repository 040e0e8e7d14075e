"""The training data of the tuning loop: synthetic queries for every item, stored in the
workspace (cached: a re-run generates only for new or changed items; an interrupted run
resumes), split once into train and held-out."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.augment import RuleAngles
from core.errors import Cancelled, ModelError
from core.models.llm import LocalLLM
from core.models.registry import ModelSource
from core.progress import Progress
from core.records import Item
from core.store import WorkspaceStore
from core.store.tuning import QueryStore
from core.text import language_of

RULES_MODEL = "rules-v2"
# Items whose LLM angles are written in one batch (5 roles each: 20 conversations decoded
# together). Measured on 2 cores with Qwen2.5-0.5B: see README, "LLM query angles".
LLM_BATCH_ITEMS = 4
# What every run generates with (one click, and the background run after an import, which
# must write the very queries a click would: same split, same counts).
PER_ANGLE = 1  # rule-based queries per angle and item
LLM_K = 3  # LLM queries asked for per role
HELDOUT = 0.1  # share of queries kept out of training, to choose and judge the adapter
# LLM time per run (None: no limit). One click stays within ten minutes on two cores:
# Qwen2.5-0.5B writes the five angles of about ten items in this time; later runs go on.
LLM_BUDGET_S = 150.0


@dataclass
class QueryReport:
    """What generation did: counts per angle, what the filters dropped, LLM speed."""

    stored: dict[str, int] = field(default_factory=dict)
    added: int = 0
    dropped: dict[str, dict[str, int]] = field(default_factory=dict)
    llm_tokens_per_s: float | None = None
    llm_skipped: str | None = None
    llm_items: int = 0  # items whose LLM angles are all stored (this run's and earlier runs')
    llm_note: str | None = None  # how far LLM angles got, when they cover only some items
    seconds: float = 0.0


def split_of(item_id: int, text: str, heldout: float) -> str:
    """A fixed split per query (hash-based), so re-runs never move queries between sides."""
    digest = hashlib.sha256(f"{item_id}\x00{text}".encode()).digest()
    return "heldout" if digest[0] / 256 < heldout else "train"


def _rule_queries(angles: RuleAngles, item: Item, per_angle: int) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for _ in range(per_angle):
        for q in angles.generate(item.id, item.question, RuleAngles.TRAINING_ANGLES,
                                 item.answer):
            out.setdefault(q.angle, [])
            if q.text not in out[q.angle]:
                out[q.angle].append(q.text)
    return out


def llm_order(item_id: int) -> bytes:
    """The order LLM angles visit items in: a fixed pseudo-random spread, so that a budget
    that covers only some items covers every category, not the first file's first rows."""
    return hashlib.sha256(f"llm-order\x00{item_id}".encode()).digest()


def build_queries(ws: WorkspaceStore, per_angle: int = 2, llm: LocalLLM | None = None,
                  llm_k: int = 3, roles: Sequence[str] | None = None, heldout: float = 0.1,
                  progress: Progress | None = None, cancel: threading.Event | None = None,
                  seed: int = 13, llm_budget_s: float | None = None) -> QueryReport:
    """Generate the missing queries: rule-based angles always, LLM angles when `llm` is given.

    A small CPU model writes about 15 s of queries per item (five angles), so `llm_budget_s`
    bounds one run's LLM time: it writes for the items it reaches, in `llm_order`, and the next
    run continues where this one stopped. Each item's queries are committed with a log line,
    so an interrupted run resumes too."""
    started = time.monotonic()
    store = QueryStore(ws)
    report = QueryReport()
    with ws.transaction():
        store.drop_stale()
    items = sorted(ws.iter_items(), key=lambda it: llm_order(it.id))
    angles = RuleAngles((f"{it.question} {it.answer}" for it in items), seed=seed)
    llm_angles = None
    if llm is not None:
        from core.augment.llm_angles import ROLES, LLMAngles

        llm_angles = LLMAngles(llm, k=llm_k)
        roles = tuple(roles or ROLES)
    done_rules = store.done(RULES_MODEL)
    done_llm = store.done(llm.name) if llm else set()
    dropped: dict[str, Counter] = {}
    llm_clock, llm_done, n = 0.0, 0, 0
    for start in range(0, len(items), LLM_BATCH_ITEMS):
        if cancel is not None and cancel.is_set():
            raise Cancelled("query generation paused; what was generated is kept and the "
                            "next run resumes")
        group = items[start:start + LLM_BATCH_ITEMS]
        rows: dict[int, list[tuple[int, str, str, str, str, str, str]]] = {}
        logs: dict[int, list[tuple[str, str]]] = {}
        for item in group:
            rows[item.id], logs[item.id] = [], []
            if (item.id, item.content_hash, "typo") not in done_rules:
                for angle, texts in _rule_queries(angles, item, per_angle).items():
                    rows[item.id] += [(item.id, t, angle, "rule", RULES_MODEL,
                                       split_of(item.id, t, heldout), item.content_hash)
                                      for t in texts]
                logs[item.id] += [(a, RULES_MODEL) for a in RuleAngles.TRAINING_ANGLES]
        if llm_angles is not None and roles:
            jobs = []
            for item in group:
                todo = [r for r in roles if (item.id, item.content_hash, r) not in done_llm]
                if not todo:
                    llm_done += 1
                elif llm_budget_s is None or llm_clock < llm_budget_s:
                    jobs.append((item, todo, [r[1] for r in rows[item.id]]))
                # else: this run's LLM time is spent; the next run continues here
            if jobs:
                clock = time.monotonic()
                try:
                    results = llm_angles.generate_many(jobs, cancel)
                except Cancelled:  # earlier groups are committed: the next run resumes
                    raise Cancelled("query generation paused; what was generated is kept "
                                    "and the next run resumes") from None
                except ModelError as exc:  # the LLM crashed or its server went away:
                    report.llm_skipped = f"LLM angles stopped: {exc}"  # rules carry on
                    llm_angles, results, jobs = None, [], []
                for (item, todo, _), (queries, stats) in zip(jobs, results, strict=True):
                    rows[item.id] += [(item.id, q.text, q.angle, "llm", llm.name,  # type: ignore[union-attr]
                                       split_of(item.id, q.text, heldout), item.content_hash)
                                      for q in queries]
                    for role, stat in stats.items():
                        dropped.setdefault(role, Counter()).update(stat.dropped)
                    logs[item.id] += [(r, llm.name) for r in todo]  # type: ignore[union-attr]
                llm_clock += time.monotonic() - clock
                llm_done += len(results)
        for item in group:  # each item committed with its log line: a kill loses no item
            n += 1
            if rows[item.id] or logs[item.id]:
                with ws.transaction():
                    report.added += store.add(rows[item.id])
                    for angle, model in logs[item.id]:
                        store.mark_generated(item.id, item.content_hash, angle, model)
            if progress:
                progress("generating queries", n, len(items))
    report.stored = store.counts()
    report.dropped = {k: dict(v) for k, v in dropped.items()}
    if llm_angles is not None:
        report.llm_tokens_per_s = llm_angles.tokens_per_second
    if llm is not None:
        report.llm_items = llm_done
        if llm_done < len(items) and not report.llm_skipped:
            report.llm_note = (
                f"LLM angles cover {llm_done} of {len(items)} items so far ({llm.name} writes "
                f"about {int(llm_budget_s or 0)} s of queries per run, items spread over the "
                "workspace); the next Improve retrieval continues with the rest")
    report.seconds = time.monotonic() - started
    return report


def llm_fits(source: ModelSource, ws: WorkspaceStore) -> str | None:
    """Why this LLM should not write this workspace's queries, or None when it may."""
    items = ws.get_items(ws.item_ids()[:200])
    language = language_of(" ".join(it.question for it in items))
    if source.languages and language not in source.languages:
        return (f"{source.name} is English-only and writes poor Chinese, so LLM angles were "
                "skipped (rule-based angles were used); choose a multilingual GGUF to add them")
    return None
