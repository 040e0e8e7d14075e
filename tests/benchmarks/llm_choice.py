"""Which local LLM should be the default: SmolLM2-135M (bundled), Qwen2.5-Coder-0.5B or -1.5B
(chunk packages, core.models.chunked), measured through the app's own code.

    python -m tests.benchmarks.llm_choice --out docs/benchmarks/llm_choice.json
        [--models smollm2,qwen05,qwen15] [--answers 20] [--angle-items 10] [--threads N]
        [--home DIR]

Answers: Desk.ask in generate mode on the demo workspace (725 TIPO items), the questions being
items' own questions (never resources/eval): ROUGE-L / BLEU against the official answer
(tests.benchmarks.generation), Traditional Chinese (OpenCC s2t leaves the text as it is),
citation validity from the raw model text, repeated sentences, first-token time and decode
speed, the worker's peak RSS. Angles: core.augment.llm_angles.LLMAngles on Chinese items:
replies that parse, candidates in Traditional Chinese, candidates distinct from the question,
and what the app's filters keep. Speeds on a shared machine are noisy: the load is recorded.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.text import CJK_CHAR_RE
from tests.benchmarks.common import ROOT, git_commit, log, machine, write_json
from tests.benchmarks.generation import answer_body, bleu, rouge_l

MODELS = ("smollm2", "qwen05", "qwen15")
# Questions the demo corpus cannot answer: the app must say so, not improvise.
OFF_TOPIC = ("今天臺北的天氣如何？", "請推薦一家好吃的牛肉麵店。", "如何申請美國的學生簽證？")
_MARK = re.compile(r"\[(\d{1,3})\]")
_REFUSALS = ("沒有相關", "找不到", "無法回答", "沒有提到")
_SENTENCE = re.compile(r"[^。！？!?\n]+")


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def _share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


# -- text measures ---------------------------------------------------------------------------
_converter: Any = None


def traditional(text: str) -> bool:
    """Chinese text that OpenCC's s2t leaves (almost) unchanged: Traditional, not Simplified.
    Texts that are not mostly Chinese are not."""
    global _converter
    import opencc

    from core.text import language_of

    if language_of(text) != "zh":
        return False
    if _converter is None:
        _converter = opencc.OpenCC("s2t")
    chars = CJK_CHAR_RE.findall(text)
    changed = sum(a != b for a, b in zip(text, _converter.convert(text), strict=False)
                  if CJK_CHAR_RE.match(a))
    return changed <= 0.02 * len(chars)


def on_topic(candidate: str, item: Any, share: float = 1 / 3) -> bool:
    """Whether at least `share` of a query's character pairs occur in its item's question or
    answer: what tells a rewrite from an off-task line that merely looks like a question
    (「請問你對什麼概念有興趣？」). Typos and paraphrase keep well above a third."""
    from core.augment.filters import normalise

    def pairs(text: str) -> set[str]:
        text = normalise(text).replace(" ", "")
        return {text[i:i + 2] for i in range(len(text) - 1)}

    mine = pairs(candidate)
    return bool(mine) and len(mine & pairs(f"{item.question} {item.answer}")) >= share * len(
        mine)


def repeats(text: str, min_chars: int = 8) -> bool:
    """Whether a sentence (at least `min_chars` long, citation marks aside) occurs twice."""
    seen: set[str] = set()
    for sentence in _SENTENCE.findall(_MARK.sub("", text)):
        key = re.sub(r"\s+", "", sentence)
        if len(key) < min_chars:
            continue
        if key in seen:
            return True
        seen.add(key)
    return False


# -- the models ------------------------------------------------------------------------------
def model_source(key: str) -> Any:
    from core.models import bundled_llm, chunked
    from core.models.registry import ModelSource, model_cache_dir

    if key == "smollm2":
        return bundled_llm("SmolLM2-135M-Instruct (Q4_1)")
    model = {"qwen05": chunked.QWEN_05B, "qwen15": chunked.QWEN_15B}[key]
    started = time.perf_counter()
    path = chunked.assemble(model, model_cache_dir())
    log(f"{model.name}: ready in {time.perf_counter() - started:.1f} s at {path}")
    return ModelSource("llm", model.name, path, languages=model.languages)


class Recorder:
    """Wraps LocalLLM.stream_chat/chat (the app's calls, unchanged) to time each call and
    keep its raw text: first piece and total seconds."""

    def __init__(self, llm: Any) -> None:
        self.calls: list[dict[str, Any]] = []
        original = llm.stream_chat

        def stream_chat(messages: list[dict[str, str]], max_tokens: int = 384,
                        temperature: float = 0.2) -> Iterator[str]:
            started = time.perf_counter()
            first = None
            pieces: list[str] = []
            try:
                for piece in original(messages, max_tokens, temperature):
                    if first is None:
                        first = time.perf_counter() - started
                    pieces.append(piece)
                    yield piece
            finally:
                self.calls.append({"text": "".join(pieces), "first_s": first,
                                   "seconds": time.perf_counter() - started})

        llm.stream_chat = stream_chat  # LocalLLM.chat goes through it too


def worker_peak_rss_mb(pid: int | None) -> float | None:
    """The llama.cpp child's peak resident set (VmHWM), where the model's memory is."""
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError):
        pass
    return None


# -- answers ---------------------------------------------------------------------------------
def sample_items(desk: Any, n: int) -> list[Any]:
    """n items spread evenly over the demo corpus (so over its three files)."""
    ids = sorted(desk.ws.item_ids())
    step = max(1, len(ids) // max(1, n))
    return desk.ws.get_items(ids[step // 2::step][:n])


def answer_row(desk: Any, recorder: Recorder, llm: Any, question: str,
               gold: Any) -> dict[str, Any]:
    before = len(recorder.calls)
    started = time.perf_counter()
    answer = desk.ask(question, mode="generate")
    wall = time.perf_counter() - started
    call = recorder.calls[-1] if len(recorder.calls) > before else None
    raw = call["text"] if call else answer.text
    # What the app keeps (core.answer: invalid markers removed, a copied sources block cut
    # off), and what the model wrote that named no source.
    numbers = [int(n) for n in _MARK.findall(answer.text)]
    invalid = getattr(answer, "removed_citations", None)
    if invalid is None:  # an app without the check: count them in the model's text
        invalid = sum(not 1 <= int(n) <= len(answer.sources) for n in _MARK.findall(raw))
    source_ids = [h.item.id for h in answer.sources]
    row: dict[str, Any] = {
        "query": question, "gold_id": gold.id if gold else None, "answer": answer.text,
        "raw": raw, "sources": source_ids, "citations": answer.citations,
        "markers": numbers, "invalid_markers": invalid,
        "cited_gold": bool(gold) and gold.id in answer.citations,
        "gold_in_sources": bool(gold) and gold.id in source_ids,
        "traditional": traditional(answer.text), "repeats": repeats(answer.text),
        "prompt_tokens": answer.prompt_tokens, "wall_s": round(wall, 2)}
    if call:
        tokens = llm.count_tokens(raw) if raw else 0
        decode = call["seconds"] - (call["first_s"] or 0)
        row.update(tokens=tokens, first_token_s=round(call["first_s"] or 0, 2),
                   decode_tokens_per_s=round((tokens - 1) / decode, 2)
                   if tokens > 1 and decode > 0 else None)
    if gold:
        row["rouge_l"] = round(rouge_l(answer_body(answer.text), gold.answer), 4)
    return row


def summarise_answers(rows: list[dict[str, Any]], refusals: list[dict[str, Any]]
                      ) -> dict[str, Any]:
    from core.answer import NOTHING_FOUND

    asked = [r for r in rows if "tokens" in r]  # the model was asked (relevant sources)
    retrieved = [r for r in asked if r["gold_in_sources"]]
    return {
        "n": len(rows), "asked_llm": len(asked),
        "rouge_l": _mean([r["rouge_l"] for r in rows]),
        "bleu": round(bleu([answer_body(r["answer"]) for r in rows],
                           [r["reference"] for r in rows]), 2) if rows else None,
        "traditional_chinese": _share([r["traditional"] for r in asked]),
        "answers_citing_any_valid": _share([bool(r["citations"]) for r in asked]),
        "answers_with_invalid_marker": _share([r["invalid_markers"] > 0 for r in asked]),
        "invalid_markers": sum(r["invalid_markers"] for r in asked),
        "gold_retrieved": _share([r["gold_in_sources"] for r in rows]),
        "cites_gold_when_retrieved": _share([r["cited_gold"] for r in retrieved]),
        "repeated_sentence": _share([r["repeats"] for r in asked]),
        "first_token_s_median": _median([r["first_token_s"] for r in asked]),
        "decode_tokens_per_s_median": _median([r["decode_tokens_per_s"] for r in asked
                                               if r.get("decode_tokens_per_s")]),
        "prompt_tokens_median": _median([r["prompt_tokens"] for r in asked
                                         if r["prompt_tokens"]]),
        "answer_tokens_mean": _mean([r["tokens"] for r in asked]),
        "off_topic_refused": _share([r["answer"] == NOTHING_FOUND["zh"] or any(
            w in r["answer"] for w in _REFUSALS) for r in refusals]),
        "off_topic_reached_llm": sum(1 for r in refusals if "tokens" in r),
    }


# -- angles ----------------------------------------------------------------------------------
def angle_rows(llm: Any, recorder: Recorder, items: list[Any]) -> dict[str, Any]:
    from core.augment.filters import normalise, parse_llm_output
    from core.augment.llm_angles import ROLES, LLMAngles

    angles = LLMAngles(llm)  # the app's settings (k, max_tokens, temperature)
    per_role: dict[str, dict[str, list[Any]]] = {
        r: {"parsed": [], "traditional": [], "distinct": [], "on_topic": [], "kept_on_topic": [],
            "generated": [], "kept": []}
        for r in ROLES}
    examples: list[dict[str, Any]] = []
    started = time.perf_counter()
    for n, item in enumerate(items, start=1):
        log(f"angles: item {n}/{len(items)}")
        before = len(recorder.calls)
        queries, stats = angles.generate(item, ROLES)
        replies = [c["text"] for c in recorder.calls[before:]]
        for role, reply in zip(ROLES, replies, strict=False):
            found = parse_llm_output(reply)
            bucket = per_role[role]
            bucket["parsed"].append(bool(found))
            bucket["traditional"] += [traditional(c) for c in found]
            bucket["distinct"] += [normalise(c) != normalise(item.question) for c in found]
            bucket["on_topic"] += [on_topic(c, item) for c in found]
            bucket["kept_on_topic"] += [on_topic(q.text, item) for q in queries
                                        if q.angle == role]
            bucket["generated"].append(stats[role].generated)
            bucket["kept"].append(stats[role].kept)
        examples.append({"question": item.question,
                         "kept": {r: [q.text for q in queries if q.angle == r] for r in ROLES}})
    out: dict[str, Any] = {"items": len(items), "roles": {}, "examples": examples[:4],
                           "tokens_per_s": round(angles.tokens_per_second, 2),
                           "tokens": angles.total_tokens,
                           "wall_s": round(time.perf_counter() - started, 1)}
    for role, b in per_role.items():
        out["roles"][role] = {
            "parseable": _share(b["parsed"]), "traditional": _share(b["traditional"]),
            "distinct_from_question": _share(b["distinct"]),
            "on_topic": _share(b["on_topic"]), "kept_on_topic": _share(b["kept_on_topic"]),
            "filter_pass": round(sum(b["kept"]) / sum(b["generated"]), 4)
            if sum(b["generated"]) else None,
            "kept_per_item": round(sum(b["kept"]) / len(items), 2) if items else None}
    every = [v for b in per_role.values() for v in b["parsed"]]
    out["parseable"] = _share(every)
    out["traditional"] = _share([v for b in per_role.values() for v in b["traditional"]])
    out["distinct_from_question"] = _share([v for b in per_role.values()
                                            for v in b["distinct"]])
    for measure in ("on_topic", "kept_on_topic"):
        out[measure] = _share([v for b in per_role.values() for v in b[measure]])
    kept = sum(sum(b["kept"]) for b in per_role.values())
    generated = sum(sum(b["generated"]) for b in per_role.values())
    out["filter_pass"] = round(kept / generated, 4) if generated else None
    return out


# -- the run ---------------------------------------------------------------------------------
def extract_baseline(desk_encoder: Any, answers: int) -> dict[str, Any]:
    """The official-answer mode on the same questions: what generation has to beat."""
    from core.desk import Desk

    with Desk("demo", encoder=desk_encoder) as desk:
        items = sample_items(desk, answers)
        texts = [desk.ask(it.question, mode="extract").text for it in items]
    bodies = [answer_body(t) for t in texts]
    return {"n": len(items),
            "rouge_l": _mean([rouge_l(b, it.answer) for b, it in zip(bodies, items,
                                                                      strict=True)]),
            "bleu": round(bleu(bodies, [it.answer for it in items]), 2) if items else None}


def run_model(key: str, desk_encoder: Any, answers: int, angle_items: int,
              threads: int | None, repeat_penalty: float | None = None) -> dict[str, Any]:
    from core.desk import Desk
    from core.models.llm import LocalLLM

    source = model_source(key)
    load_started = time.perf_counter()
    llm = LocalLLM(source, n_ctx=4096, n_threads=threads)
    if repeat_penalty is not None:
        llm.repeat_penalty = repeat_penalty
    out: dict[str, Any] = {"name": source.name, "path": str(source.path),
                           "measured": time.strftime("%Y-%m-%d %H:%M"),
                           "repeat_penalty": llm.repeat_penalty,
                           "file_mb": round(source.path.stat().st_size / 1e6, 1),
                           "load_s": round(time.perf_counter() - load_started, 2),
                           "loadavg_start": [round(x, 2) for x in os.getloadavg()]}
    recorder = Recorder(llm)
    with Desk("demo", encoder=desk_encoder, llm=llm) as desk:
        rows = []
        for n, item in enumerate(sample_items(desk, answers), start=1):
            log(f"{key}: answer {n}/{answers}")
            row = answer_row(desk, recorder, llm, item.question, item)
            row["reference"] = item.answer
            rows.append(row)
        refusals = [answer_row(desk, recorder, llm, q, None) for q in OFF_TOPIC]
        out["answers"] = summarise_answers(rows, refusals)
        out["answer_rows"] = [{k: r.get(k) for k in (
            "query", "answer", "markers", "cited_gold", "gold_in_sources", "rouge_l",
            "first_token_s", "decode_tokens_per_s", "traditional", "repeats")} for r in rows]
        if angle_items:
            chinese = [it for it in sample_items(desk, angle_items * 3)
                       if CJK_CHAR_RE.search(it.question)][:angle_items]
            log(f"{key}: angles on {len(chinese)} items")
            out["angles"] = angle_rows(llm, recorder, chinese)
    out["worker_peak_rss_mb"] = worker_peak_rss_mb(llm.worker_pid)
    out["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    llm.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks/llm_choice.json"))
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--answers", type=int, default=20)
    parser.add_argument("--angle-items", type=int, default=10)
    parser.add_argument("--threads", type=int, default=None,
                        help="llama.cpp threads (default: the app's, every core)")
    parser.add_argument("--repeat-penalty", type=float, default=None,
                        help="llama.cpp repeat penalty (default: the app's)")
    parser.add_argument("--home", type=Path, default=None,
                        help="a data home to keep between runs (default: a temporary one)")
    args = parser.parse_args(argv)
    keys = [k for k in args.models.split(",") if k]
    unknown = set(keys) - set(MODELS)
    if unknown:
        parser.error(f"unknown models {sorted(unknown)}; choose from {', '.join(MODELS)}")
    home = args.home or Path(tempfile.mkdtemp(prefix="patent-desk-llm-choice-"))
    os.environ["PATENT_DESK_HOME"] = str(home)  # never the user's workspaces
    from core.desk import Desk

    result: dict[str, Any] = {"machine": machine(), "git": git_commit(), "threads": args.threads,
                              "answers_requested": args.answers, "models": {}}
    if args.out.is_file():  # one model per run is allowed: earlier models' numbers are kept
        result["models"] = json.loads(args.out.read_text("utf-8")).get("models", {})
    with Desk("demo") as desk:  # seeds and embeds the demo corpus once
        desk.ensure_vectors()
        encoder = desk.encoder
        result["encoder"] = encoder.id
    result["extract"] = extract_baseline(encoder, args.answers)
    prompt = ROOT / "resources" / "prompts" / "answer.zh-TW.txt"
    result["answer_prompt_sha256"] = hashlib.sha256(prompt.read_bytes()).hexdigest()[:12]
    for key in keys:
        log(f"{key}: starting (load {os.getloadavg()[0]:.2f})")
        result["models"][key] = run_model(key, encoder, args.answers, args.angle_items,
                                          args.threads, args.repeat_penalty)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_json(args.out, result)  # after each model: a long run keeps what it measured
    result["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    write_json(args.out, result)
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
