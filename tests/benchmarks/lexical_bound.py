"""How the lexical bound's thresholds (core/store/lexical_plan.py) were chosen: on the demo,
with the held-out user-style queries, each threshold applied at the same share of the
demo's 725 items as it has of a million (COMMON_ITEMS 40,000 = 4%, SCORED_ITEMS 150,000 =
15%), against full BM25. resources/eval is reported, never chosen on.

    python -m tests.benchmarks.lexical_bound

Prints lexical Hit@1 and MRR@10 per setting. Timing at a million items: the search stage of
the full profile (docs/benchmarks-scale.md).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from core.store import lexical_plan
from core.text import char_tokens

ROOT = Path(__file__).resolve().parents[2]
HELD_OUT = ROOT / "tests" / "benchmarks" / "user_style_heldout_queries.jsonl"
REPORTED = ROOT / "resources" / "eval" / "tipo_realistic_queries.jsonl"
WEIGHTS = "0.200, 1.000, 0.000"  # core.retrieve.LEXICAL_WEIGHTS
# (common share, scored share); None: full BM25.
SETTINGS = [None, (0.02, 10.0), (0.03, 10.0), (0.04, 10.0), (0.04, 0.06), (0.04, 0.10),
            (0.04, 0.15)]


def _search(ws, query: str, setting: tuple[float, float] | None) -> list[int]:
    tokens = char_tokens(query)
    if setting is None:
        match = " OR ".join(lexical_plan.phrase(t) for t in dict.fromkeys(tokens))
    else:
        n = ws.count_items()
        match = lexical_plan.match_expression(
            tokens, 10**9, lexical_plan.counter(ws.db), max(1, int(setting[0] * n)),
            max(1, int(setting[1] * n)))
    rows = ws.db.execute(f"SELECT rowid FROM items_fts WHERE items_fts MATCH ?"
                         f" ORDER BY bm25(items_fts, {WEIGHTS}) LIMIT 10", (match,))
    return [r[0] for r in rows]


def _score(ws, path: Path, setting: tuple[float, float] | None) -> tuple[float, float]:
    by_question = {}
    for it in ws.iter_items():
        by_question.setdefault(it.question, it.id)
    hits = mrr = n = 0.0
    for line in path.read_text("utf-8").splitlines():
        row = json.loads(line)
        gold = by_question.get(row["gold"])
        if gold is None:
            continue
        found = _search(ws, row["query"], setting)
        n += 1
        hits += found[:1] == [gold]
        mrr += 1 / (found.index(gold) + 1) if gold in found else 0.0
    return round(hits / n, 3), round(mrr / n, 3)


def main() -> None:
    os.environ["PATENT_DESK_HOME"] = tempfile.mkdtemp(prefix="lexical-bound-")
    from core.desk import Desk

    with Desk("demo") as desk:
        desk.import_files(sorted((ROOT / "resources" / "demo").glob("*.csv")), fill=False)
        for setting in SETTINGS:
            held_out = _score(desk.ws, HELD_OUT, setting)
            reported = _score(desk.ws, REPORTED, setting)
            print(f"{setting}: held-out Hit@1, MRR@10 {held_out}; realistic {reported}")


if __name__ == "__main__":
    main()
