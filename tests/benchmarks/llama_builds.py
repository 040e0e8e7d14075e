"""Tokens per second of the installed llama.cpp build, raw and through the app, on a prompt of
several hundred tokens (the Ask page's real prompt, core.answer's own, with three numbered
TIPO sources), with the bundled default LLM.

Run it once per build and it adds a row to docs/benchmarks/llama_builds.json; the table in
docs/benchmarks.md is written from that file:

    .venv/bin/python -m tests.benchmarks.llama_builds --label "portable (x86-64-v3)"
    # install another build (e.g. a native one) into the venv, then:
    .venv/bin/python -m tests.benchmarks.llama_builds --label "native (-march=native)"
    python3 packaging/install.py --test    # puts the project's portable build back

Raw: `llama_cpp.Llama.create_chat_completion(stream=True)` in this process. App:
`core.models.llm.LocalLLM.stream_chat`, which runs the same call in its child process.
Both use the same messages, greedy sampling and thread count, interleaved call by call.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from tests.benchmarks.common import ROOT

OUT = ROOT / "docs" / "benchmarks" / "llama_builds.json"
QUESTIONS = ("專利年費可以預繳嗎？", "新型專利技術報告有什麼用？", "發明專利的保護期間是多久？",
             "申請專利需要準備哪些文件？", "專利說明書可以用英文提出嗎？",
             "專利權被撤銷後年費可以退嗎？")


def _messages(question: str) -> list[dict[str, str]]:
    """The answer prompt the app builds (core.answer's own) for `question`, with the three
    demo entries whose questions share the most characters with it as its sources."""
    import csv

    from core.answer import _prompt
    from core.records import Item
    from core.retrieve import Hit

    with open(ROOT / "resources" / "demo" / "patent_qa.csv", encoding="utf-8-sig") as handle:
        rows = [(r["題目"], r["解答"]) for r in csv.DictReader(handle)]
    ranked = sorted(rows, key=lambda r: -len(set(question) & set(r[0])))[:3]
    hits = [Hit(Item(n, r[0], r[1], "", "patent_qa.csv", n, "", "", ""), 1.0)
            for n, r in enumerate(ranked, start=1)]
    return _prompt(question, hits)


def _time_stream(pieces: Any) -> tuple[float, float, list[str]]:
    started = time.perf_counter()
    first = None
    out = []
    for piece in pieces:
        if first is None:
            first = time.perf_counter() - started
        out.append(piece)
    return first or 0.0, time.perf_counter() - started, out


def measure(label: str, max_tokens: int, threads: int) -> dict[str, Any]:
    import llama_cpp

    from core.models import bundled_llm, llama_build
    from core.models.llm import LocalLLM

    source = bundled_llm()
    app = LocalLLM(source, n_threads=threads)
    raw = llama_cpp.Llama(model_path=str(source.path), n_ctx=app.n_ctx, seed=7,
                          n_threads=threads, verbose=False)
    rows = []
    for question in QUESTIONS:
        messages = _messages(question)
        prompt_tokens = sum(app.count_tokens(m["content"]) for m in messages)
        chunks = raw.create_chat_completion(messages=messages, max_tokens=max_tokens,
                                            temperature=0.0, repeat_penalty=1.15, stream=True)
        raw_first, raw_s, raw_out = _time_stream(
            c["choices"][0]["delta"].get("content") or "" for c in chunks)
        app_first, app_s, app_out = _time_stream(app.stream_chat(messages, max_tokens, 0.0))
        rows.append({"question": question, "prompt_tokens": prompt_tokens,
                     "answer": "".join(app_out),
                     "raw_tokens": app.count_tokens("".join(raw_out)), "raw_s": raw_s,
                     "raw_first_s": raw_first,
                     "app_tokens": app.count_tokens("".join(app_out)), "app_s": app_s,
                     "app_first_s": app_first})
    app.close()

    info = llama_cpp.llama_print_system_info().decode()
    return {"label": label, "model": source.name, "threads": threads,
            "machine": platform.processor() or platform.machine(), "cores": os.cpu_count(),
            "stamp_ok": llama_build.stamp_problem() is None, "system_info": info.strip(),
            "prompt_tokens": round(sum(r["prompt_tokens"] for r in rows) / len(rows)),
            "raw_tokens_per_s": round(decode_rate(rows, "raw"), 1),
            "app_tokens_per_s": round(decode_rate(rows, "app"), 1),
            "raw_first_token_s": round(sum(r["raw_first_s"] for r in rows) / len(rows), 2),
            "app_first_token_s": round(sum(r["app_first_s"] for r in rows) / len(rows), 2),
            "calls": rows}


def decode_rate(calls: list[dict[str, Any]], kind: str) -> float:
    """Decoding speed: tokens after the first over the time after it (a short answer would
    otherwise mostly measure the prompt's evaluation, which the first-token column gives)."""
    return (sum(c[f"{kind}_tokens"] - 1 for c in calls)
            / sum(c[f"{kind}_s"] - c[f"{kind}_first_s"] for c in calls))


def table(records: list[dict[str, Any]]) -> str:
    lines = ["| build | model | prompt tokens | raw decode tokens/s | app decode tokens/s |"
             " app / raw | first token raw / app (s) |", "|---|---|---|---|---|---|---|"]
    for r in records:
        raw, app = decode_rate(r["calls"], "raw"), decode_rate(r["calls"], "app")
        lines.append(f"| {r['label']} | {r['model']} | {r['prompt_tokens']} | {raw:.1f} | "
                     f"{app:.1f} | {app / raw:.2f} | "
                     f"{r['raw_first_token_s']} / {r['app_first_token_s']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--label", required=True)
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    record = measure(args.label, args.max_tokens, args.threads)
    records = json.loads(args.out.read_text()) if args.out.exists() else []
    # One row per build and model: the earlier default's rows stay beside the current one's.
    records = [r for r in records
               if (r["label"], r["model"]) != (args.label, record["model"])] + [record]
    for r in records:  # rows written before the rate was decoding-only follow it too
        r["raw_tokens_per_s"] = round(decode_rate(r["calls"], "raw"), 1)
        r["app_tokens_per_s"] = round(decode_rate(r["calls"], "app"), 1)
    args.out.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n")
    print(table(records))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
