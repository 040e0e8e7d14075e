"""Retrieval quality on the TIPO corpus: the paper's table (lexical, base and tuned dense and
hybrid; Hit@1/3/10, MRR@10, NDCG@10; relative improvement over the base encoder), split by the
paper's two subsets and by query angle, on hand-written queries and on the held-out split of
the generated ones. Everything goes through Desk (import, evaluate, tune)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tests.benchmarks.common import (
    DEMO_DIR,
    SUBSETS,
    Profile,
    corpus_csv,
    log,
    peak_rss_mb,
    timed,
    tune_options,
)

MODES = ("lexical", "dense", "hybrid")
METRICS = ("hit@1", "hit@3", "hit@10", "mrr@10", "ndcg@10")
ROWS = ("lexical", "base dense", "base hybrid", "tuned dense", "tuned hybrid")


def _cap(profile: Profile) -> dict[str, Any]:
    caps = {"max_train": profile.max_train, "llm_budget_s": profile.llm_budget_s}
    return {k: v for k, v in caps.items() if v is not None}


def load_encoder() -> Any:
    from core.models import encoder_source
    from core.models.encoder import Encoder

    return Encoder(encoder_source(None))


def subset_file(queries_file: Path, target: Path) -> Path | None:
    """A copy of the queries labelled by subset instead of angle (Desk.evaluate splits by
    the "angle" field), or None when the file has no "file" field."""
    lines = [json.loads(x) for x in queries_file.read_text("utf-8-sig").splitlines()
             if x.strip()]
    if not any("file" in obj for obj in lines):
        return None
    with open(target, "w", encoding="utf-8") as handle:
        for obj in lines:
            name = str(obj.get("file", ""))
            obj["angle"] = SUBSETS.get(name, Path(name).stem or "unknown")
            handle.write(json.dumps(obj, ensure_ascii=False) + "\n")
    return target


def evaluate(desk: Any, queries: Path, adapter: int | None) -> dict[str, Any]:
    """Desk.evaluate with an adapter (None: the base encoder). A symmetric adapter can only
    be measured while active, so it is activated for the measurement and switched back."""
    from core.errors import PatentDeskError
    from core.store.tuning import AdapterStore

    if adapter is None:
        return desk.evaluate(str(queries), adapter="none")
    try:
        return desk.evaluate(str(queries), adapter=str(adapter))
    except PatentDeskError as exc:
        if "activate it" not in str(exc):
            raise
    previous = AdapterStore(desk.ws).active()
    desk.activate_adapter(adapter)
    try:
        return desk.evaluate(str(queries))
    finally:
        desk.activate_adapter(previous.id if previous else None)


def table(base: dict[str, Any], tuned: dict[str, Any] | None) -> dict[str, dict[str, float]]:
    """The five rows of the paper-style table from two Desk.evaluate 'retrievers' dicts."""
    out = {"lexical": base["lexical"], "base dense": base["dense"],
           "base hybrid": base["hybrid"]}
    if tuned is not None:
        out.update({"tuned dense": tuned["dense"], "tuned hybrid": tuned["hybrid"]})
    return out


def relative(rows: dict[str, dict[str, float]]) -> dict[str, dict[str, float | None]]:
    """(tuned - base) / base in percent per metric, as the paper reports its gains."""
    out: dict[str, dict[str, float | None]] = {}
    for mode in ("dense", "hybrid"):
        base, tuned = rows.get(f"base {mode}"), rows.get(f"tuned {mode}")
        if base is None or tuned is None:
            continue
        out[mode] = {m: (round(100 * (tuned[m] - base[m]) / base[m], 2) if base[m] else None)
                     for m in METRICS}
    return out


def split_tables(base: dict[str, Any], tuned: dict[str, Any] | None,
                 counts: dict[str, int]) -> dict[str, Any]:
    """Per label (angle or subset): the table, its relative gains and its query count."""
    out = {}
    for label, by_mode in base["angles"].items():
        t_modes = tuned["angles"].get(label) if tuned else None
        rows = table(by_mode, t_modes)
        out[label] = {"n": counts.get(label), "rows": rows, "relative": relative(rows)}
    return out


def workspace_files(profile: Profile, work: Path) -> list[Path]:
    if profile.corpus_rows is None:
        return sorted(DEMO_DIR.glob("*.csv"))
    files = ("patent_qa.csv", "utility_model_report_qa.csv")
    return [corpus_csv(files, profile.corpus_rows, work / "corpus" / "tiny.csv")]


def label_counts(queries_file: Path, unknown: list[int]) -> dict[str, dict[str, int]]:
    """Usable queries per angle and per subset (lines whose gold item is missing left out)."""
    counts: dict[str, dict[str, int]] = {"angle": {}, "subset": {}}
    skip = set(unknown)
    for number, line in enumerate(queries_file.read_text("utf-8-sig").splitlines(), start=1):
        if not line.strip() or number in skip:
            continue
        obj = json.loads(line)
        for key, value in (("angle", obj.get("angle", "")),
                           ("subset", SUBSETS.get(obj.get("file", ""), obj.get("file", "")))):
            if value:
                counts[key][value] = counts[key].get(value, 0) + 1
    return counts


def run(profile: Profile, work: Path, queries_file: Path) -> dict[str, Any]:
    """Import the corpus, measure the base encoder, tune once, measure the tuned one."""
    from core.desk import Desk
    from core.store.tuning import AdapterStore

    steps: dict[str, Any] = {}
    with timed(steps, "load_encoder"):
        encoder = load_encoder()
    files = workspace_files(profile, work)
    out: dict[str, Any] = {"queries_file": str(queries_file), "steps": steps,
                           "workspace": "bench", "files": [f.name for f in files]}
    with Desk("bench", encoder=encoder) as desk:
        log(f"quality: importing {len(files)} file(s)")
        started = time.perf_counter()
        with timed(steps, "import"):
            desk.import_files(files)
        items = desk.ws.count_items()
        import_s = time.perf_counter() - started
        out["items"] = items
        out["import"] = {"rows": items, "wall_s": round(import_s, 3),
                         "rows_per_s": round(items / import_s, 2)}
        by_subset = subset_file(queries_file, work / "queries_by_subset.jsonl")
        log("quality: evaluating the base encoder")
        with timed(steps, "eval_base"):
            base = evaluate(desk, queries_file, None)
            base_sub = evaluate(desk, by_subset, None) if by_subset else None
        options, applied = tune_options(profile.tune_epochs, desk.default_tune_options(),
                                        **_cap(profile))
        log(f"quality: tuning ({applied or 'app defaults'})")
        tuned = tuned_sub = None
        tune: dict[str, Any] = {"options": applied, "llm_angles": "auto"}
        with timed(steps, "tune"):
            try:
                report = desk.tune(options, llm_angles="auto")
                tune.update(report.as_dict())
                info = AdapterStore(desk.ws).get(report.adapter_id)
                tune["train_queries"] = (info.metrics.get("train_queries") if info else None)
                tune["heldout_queries"] = (info.metrics.get("heldout_queries") if info
                                           else None)
            except Exception as exc:  # noqa: BLE001 - the table still gets its base rows
                tune["error"] = f"{type(exc).__name__}: {exc}"
                report = None
        if report is not None:
            log("quality: evaluating the tuned encoder")
            with timed(steps, "eval_tuned"):
                tuned = evaluate(desk, queries_file, report.adapter_id)
                tuned_sub = evaluate(desk, by_subset, report.adapter_id) if by_subset else None
        out["tune"] = tune
    rows = table(base["retrievers"], tuned["retrievers"] if tuned else None)
    out["all"] = {"n": base["n"], "unknown_gold": len(base.get("unknown_gold", [])),
                  "rows": rows, "relative": relative(rows)}
    counts = label_counts(queries_file, base.get("unknown_gold", []))
    out["subsets"] = split_tables(base_sub, tuned_sub, counts["subset"]) if base_sub else {}
    out["angles"] = split_tables(base, tuned, counts["angle"])
    if report is not None:
        heldout = {"base dense": report.before["dense"], "base hybrid": report.before["hybrid"],
                   "lexical": report.before["lexical"], "tuned dense": report.after["dense"],
                   "tuned hybrid": report.after["hybrid"]}
        out["heldout"] = {"n": tune.get("heldout_queries"), "rows": heldout,
                          "relative": relative(heldout)}
    out["peak_rss_mb"] = peak_rss_mb()
    return out
