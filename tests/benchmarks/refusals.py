"""Does Ask refuse what the knowledge base cannot answer, and only that? (#15, refusals)

    python -m tests.benchmarks.refusals [--generate] [--out docs/benchmarks/refusals.json]

Off-topic: the 32 questions of `off_topic_heldout.txt`, most close to the domain
(trademarks, copyright, company and tax errands), none in the calibration probes. On-topic:
the 48 English questions of `english_heldout_queries.jsonl`, the Chinese concept and
web-search queries of `llm_heldout_queries.jsonl` and the 72 questions of
`user_style_heldout_queries.jsonl`; an on-topic question is served when its gold entry is
among the sources the answer may use. An answer is "uncertain" when it carries the caution
that no entry clearly answers (no source shares the question's words or comes closer than
the near-domain probes). `--generate` also asks the default LLM every off-topic question
that got past the relevance cutoff, and counts its refusals.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
# What a refusal says, in the app's own words and in the ways the model puts it.
_REFUSALS = ("找不到", "沒有相關", "無法回答", "沒有提到", "no entry relevant",
             "does not answer", "not covered")


def off_topic() -> list[str]:
    lines = (HERE / "off_topic_heldout.txt").read_text("utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def on_topic(items: list[Any]) -> list[tuple[str, int, str]]:
    """(question, gold item id, kind) of the held-out on-topic questions."""
    by_question = {it.question: it.id for it in items}
    out = []
    for line in (HERE / "english_heldout_queries.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        out.append((row["query"], by_question[row["gold"]], "english"))
    for line in (HERE / "llm_heldout_queries.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        if row["question"] in by_question:
            out.append((row["text"], by_question[row["question"]], row["angle"]))
    for line in (HERE / "user_style_heldout_queries.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        out.append((row["query"], by_question[row["gold"]], "user-style"))
    return out


def refused(text: str) -> bool:
    return any(word in text for word in _REFUSALS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generate", action="store_true")
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    os.environ.setdefault("PATENT_DESK_HOME", tempfile.mkdtemp(prefix="refusals-"))
    from core.desk import Desk

    with Desk("bench") as desk:
        desk.import_files(sorted(Path("resources/demo").glob("*.csv")))
        items = list(desk.ws.iter_items())
        rows: list[dict[str, Any]] = []
        for question in off_topic():
            answer = desk.ask(question)
            rows.append({"query": question, "passed_cutoff": bool(answer.sources),
                         "uncertain": answer.uncertain,
                         "sources": [h.item.id for h in answer.sources]})
        served = []
        for question, gold, kind in on_topic(items):
            answer = desk.ask(question)
            served.append({"query": question, "kind": kind, "gold_id": gold,
                           "answered": bool(answer.sources), "uncertain": answer.uncertain,
                           "gold_in_sources": gold in [h.item.id for h in answer.sources]})
        if args.generate:
            for row in rows:
                if row["passed_cutoff"]:
                    answer = desk.ask(row["query"], mode="generate")
                    row.update(generated=answer.text, refused=refused(answer.text))
    passed = [r for r in rows if r["passed_cutoff"]]
    summary: dict[str, Any] = {
        "off_topic": len(rows),
        "off_topic_refused_by_cutoff": len(rows) - len(passed),
        "off_topic_answered_with_caution": sum(r["uncertain"] for r in passed),
        "off_topic_refused_by_llm": sum(bool(r.get("refused")) for r in passed)
        if args.generate else None,
        "on_topic": len(served),
        "on_topic_answered": sum(r["answered"] for r in served),
        "on_topic_answered_with_caution": sum(r["uncertain"] for r in served),
        "by_kind": {kind: {"n": sum(r["kind"] == kind for r in served),
                           "answered": sum(r["answered"] for r in served if r["kind"] == kind),
                           "with_caution": sum(r["uncertain"] for r in served
                                               if r["kind"] == kind),
                           "gold_in_sources": sum(r["gold_in_sources"] for r in served
                                                  if r["kind"] == kind)}
                    for kind in dict.fromkeys(r["kind"] for r in served)},
        "on_topic_gold_in_sources": sum(r["gold_in_sources"] for r in served),
        "passed": [r["query"] for r in passed if not r["uncertain"]],
        "passed_with_caution": [r["query"] for r in passed if r["uncertain"]]}
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps({"summary": summary, "off_topic": rows,
                                              "on_topic": served}, ensure_ascii=False,
                                             indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
