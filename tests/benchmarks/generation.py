"""Answer quality against the official (reference) answers: Desk.ask in extract mode for every
query and in generate mode (bundled LLM) for a time-boxed sample, each with the base and the
tuned retriever. ROUGE-L over characters (CJK) / words (Latin), BLEU (sacrebleu, zh
tokenizer) and citation accuracy (the gold item is among the cited sources)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from core.text import CJK_RANGES
from tests.benchmarks.common import SUBSETS, Profile, log, peak_rss_mb

_UNIT = re.compile(rf"[{CJK_RANGES}\u3040-\u30ff]|[^\W_]+")  # kana count as characters too
_CITE_LINE = re.compile(r"^\s*\[\d+\]\s*(官方解答|Official answer)\s*[:：].*$", re.M)
_MARK = re.compile(r"\[\d{1,2}\]")


def units(text: str) -> list[str]:
    """ROUGE tokens: each CJK character alone, each Latin/digit run as one lower-cased word."""
    return [u.lower() for u in _UNIT.findall(text)]


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Longest common subsequence length, bit-parallel (Allison-Dix): O(len(a)·len(b)/64)."""
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for i, token in enumerate(a):
        masks[token] = masks.get(token, 0) | (1 << i)
    full = (1 << len(a)) - 1
    v = full
    for token in b:
        u = v & masks.get(token, 0)
        v = ((v + u) | (v - u)) & full
    return len(a) - v.bit_count()


def rouge_l(hypothesis: str, reference: str) -> float:
    """ROUGE-L F1 (beta = 1) over `units`."""
    h, r = units(hypothesis), units(reference)
    lcs = lcs_length(h, r)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(h), lcs / len(r)
    return 2 * precision * recall / (precision + recall)


def bleu(hypotheses: list[str], references: list[str]) -> float:
    import sacrebleu

    if not hypotheses:
        return 0.0
    return float(sacrebleu.corpus_bleu(hypotheses, [references], tokenize="zh").score)


def answer_body(text: str) -> str:
    """The answer as scored: without the citation line of extract mode and [n] markers."""
    return _MARK.sub("", _CITE_LINE.sub("", text)).strip()


def score(rows: list[dict[str, Any]]) -> dict[str, Any]:
    hyps = [answer_body(r["answer"]) for r in rows]
    refs = [r["reference"] for r in rows]
    n = len(rows)
    return {"n": n,
            "rouge_l": round(sum(rouge_l(h, r) for h, r in zip(hyps, refs, strict=True)) / n, 4)
            if n else 0.0,
            "bleu": round(bleu(hyps, refs), 2),
            "citation_accuracy": round(sum(r["cited_gold"] for r in rows) / n, 4) if n else 0.0,
            "answered": round(sum(1 for r in rows if r["citations"]) / n, 4) if n else 0.0}


def gain(base: dict[str, Any], tuned: dict[str, Any]) -> dict[str, float | None]:
    return {k: (round(100 * (tuned[k] - base[k]) / base[k], 2) if base[k] else None)
            for k in ("rouge_l", "bleu", "citation_accuracy")}


def make_row(q: Any, answer: Any, reference: str, seconds: float) -> dict[str, Any]:
    """One scored answer: q is a core.evaluate.EvalQuery, answer a core.answer.Answer."""
    return {"query": q.query, "angle": q.angle, "gold_id": q.gold_id, "answer": answer.text,
            "reference": reference, "citations": answer.citations,
            "cited_gold": q.gold_id in answer.citations, "seconds": round(seconds, 3),
            "hits": [h.item.id for h in answer.hits]}


def _instrument(llm: Any, calls: list[dict[str, Any]]) -> None:
    """Record every chat the app makes (messages, text, wall time) without changing it."""
    original = llm.stream_chat

    def stream_chat(messages: list[dict[str, str]], max_tokens: int = 384,
                    temperature: float = 0.2) -> Iterator[str]:
        started = time.perf_counter()
        pieces: list[str] = []
        complete = False
        try:
            for piece in original(messages, max_tokens, temperature):
                pieces.append(piece)
                yield piece
            complete = True
        finally:  # an abandoned answer still tells how fast its tokens came
            calls.append({"messages": messages, "max_tokens": max_tokens,
                          "temperature": temperature, "text": "".join(pieces),
                          "seconds": time.perf_counter() - started, "complete": complete})

    llm.stream_chat = stream_chat


def _sources_key(desk: Any, question: str) -> tuple[int, ...]:
    """What Desk.ask's generate prompt is made of: the relevant sources among the hits."""
    from core.answer import relevant_hits

    hits = desk.search(question, 5)
    return tuple(h.item.id for h in relevant_hits(desk.retriever(), question, hits))


def run(profile: Profile, queries_file: Path, adapter: int | None,
        workspace: str = "bench") -> dict[str, Any]:
    from core.desk import Desk
    from core.evaluate import load_eval_queries
    from core.ingest import question_key

    out: dict[str, Any] = {"extract": {}, "generate": {}, "tuned_adapter": adapter}
    with Desk(workspace) as desk:
        out["llm_threads"] = _one_thread(desk)
        items = {it.id: it for it in desk.ws.iter_items()}
        queries, _ = load_eval_queries(str(queries_file),
                                       {question_key(i.question): i.id for i in items.values()},
                                       set(items))
        file_of = _file_labels(queries_file)
        states = {"base": None} if adapter is None else {"base": None, "tuned": adapter}
        llm_calls: list[dict[str, Any]] = []
        extract_rows: dict[str, list[dict[str, Any]]] = {}
        keys: dict[str, list[tuple[int, ...]]] = {}
        sample = _sample(queries, profile.generate_sample)
        for state, adapter_id in states.items():
            desk.activate_adapter(adapter_id)
            log(f"generation: extract answers, {state} retriever ({len(queries)} queries)")
            rows = []
            for q in queries:
                started = time.perf_counter()
                answer = desk.ask(q.query, mode="extract")
                rows.append(make_row(q, answer, items[q.gold_id].answer,
                                     time.perf_counter() - started))
                rows[-1]["subset"] = file_of.get(q.query, "")
            extract_rows[state] = rows
            keys[state] = [_sources_key(desk, q.query) for q in sample]
        out["extract"] = _summary(extract_rows)
        if sample:
            out["generate"] = _generate(desk, profile, states, sample, keys, items, llm_calls)
        else:
            out["generate"] = {"skipped": f"profile {profile.name}: no generation sample"}
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def _one_thread(desk: Any) -> int | str:
    """Answers are the same with any thread count, but llama.cpp on every core crawls as
    soon as anything else runs (measured: 70 tokens/s on 1 thread, 0.5 on 2 of 2 busy
    cores), so quality is measured on one thread; the llm stage measures the default."""
    if not hasattr(desk, "set_llm_options"):
        return "app default"
    desk.set_llm_options(desk.llm_options()["n_ctx"], 1)
    return 1


def _file_labels(queries_file: Path) -> dict[str, str]:
    import json

    out = {}
    for line in queries_file.read_text("utf-8-sig").splitlines():
        if line.strip():
            obj = json.loads(line)
            name = str(obj.get("file", ""))
            out[str(obj.get("query", "")).strip()] = SUBSETS.get(name, name)
    return out


def _sample(queries: list[Any], n: int) -> list[Any]:
    """n queries spread evenly over the file (so over subsets and angles)."""
    if n <= 0 or not queries:
        return []
    step = max(1, len(queries) // n)
    return queries[::step][:n]


def _summary(rows: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    out: dict[str, Any] = {"overall": {s: score(r) for s, r in rows.items()}, "subsets": {}}
    if "tuned" in rows:
        out["relative"] = gain(out["overall"]["base"], out["overall"]["tuned"])
    subsets = sorted({r["subset"] for r in rows["base"] if r["subset"]})
    for subset in subsets:
        part = {s: score([r for r in rs if r["subset"] == subset]) for s, rs in rows.items()}
        if "tuned" in part:
            part["relative"] = gain(part["base"], part["tuned"])
        out["subsets"][subset] = part
    return out


class _OutOfTime(Exception):
    """Raised from the token callback: the generation budget is spent."""


def _ask_within(desk: Any, question: str, deadline: float) -> Any | None:
    """Desk.ask in generate mode, abandoned (None) when it runs past `deadline`."""
    def on_token(_piece: str) -> None:
        if time.perf_counter() > deadline:
            raise _OutOfTime

    try:
        return desk.ask(question, mode="generate", on_token=on_token)
    except _OutOfTime:
        return None


def _generate(desk: Any, profile: Profile, states: dict[str, int | None], sample: list[Any],
              keys: dict[str, list[tuple[int, ...]]], items: dict[int, Any],
              llm_calls: list[dict[str, Any]]) -> dict[str, Any]:
    """Base retriever first, within half the budget; then the tuned one on the queries the
    base one answered, within the rest, reusing the base answer where the tuned retriever
    gives the identical prompt. An answer still running at its deadline is abandoned; only
    queries answered in both phases are scored."""
    _instrument(desk.llm, llm_calls)
    started = time.perf_counter()
    deadlines = {"base": started + profile.generate_budget_s / 2,
                 "tuned": started + profile.generate_budget_s}
    rows: dict[str, dict[int, dict[str, Any]]] = {}
    abandoned = 0
    for state, adapter_id in states.items():
        desk.activate_adapter(adapter_id)
        rows[state] = {}
        todo = range(len(sample)) if state == "base" else list(rows["base"])
        for n in todo:
            q = sample[n]
            if state != "base" and keys[state][n] == keys["base"][n]:
                rows[state][n] = {**rows["base"][n], "reused_base_answer": True}
                continue
            if time.perf_counter() > deadlines[state]:
                break
            log(f"generation: generating ({state}) {n + 1}/{len(sample)}")
            t0 = time.perf_counter()
            before = len(llm_calls)
            answer = _ask_within(desk, q.query, deadlines[state])
            if answer is None:
                abandoned += 1
                break
            row = make_row(q, answer, items[q.gold_id].answer, time.perf_counter() - t0)
            row["llm_calls"] = len(llm_calls) - before
            rows[state][n] = row
    paired = [n for n in rows["base"] if all(n in r for r in rows.values())]
    summary = _summary_plain({s: [r[n] for n in paired] for s, r in rows.items()})
    tokens = sum(desk.llm.count_tokens(c["text"]) for c in llm_calls)
    seconds = sum(c["seconds"] for c in llm_calls)
    summary["speed"] = {"calls": len(llm_calls), "tokens": tokens, "seconds": round(seconds, 2),
                        "tokens_per_s": round(tokens / seconds, 2) if seconds else None}
    summary["sample"] = [{"state": s, **{k: r[n][k] for k in ("query", "answer", "cited_gold",
                                                               "seconds")}}
                         for s, r in rows.items() for n in paired]
    summary.update({"budget_s": profile.generate_budget_s, "abandoned": abandoned,
                    "planned": len(sample), "wall_s": round(time.perf_counter() - started, 2)})
    return summary


def _summary_plain(rows: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    out: dict[str, Any] = {"overall": {s: score(r) for s, r in rows.items()}}
    if "tuned" in rows and rows["tuned"]:
        out["relative"] = gain(out["overall"]["base"], out["overall"]["tuned"])
        out["reused_base_answers"] = sum(1 for r in rows["tuned"]
                                         if r.get("reused_base_answer"))
    return out
