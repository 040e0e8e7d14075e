"""Ablations of the tuning loop, each a full Desk.tune run on a fresh copy of one small
workspace: random vs hard negatives, queries per angle, LLM angles vs rule-based ones,
query-side vs symmetric LoRA. Measured on the hand-written queries whose gold item is in
the workspace, and on each run's own held-out generated queries."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from tests.benchmarks.common import Profile, corpus_csv, log, peak_rss_mb, tune_options
from tests.benchmarks.quality import evaluate, load_encoder, relative

# name -> (what it changes, llm_angles)
VARIANTS: dict[str, tuple[dict[str, Any], str]] = {
    "baseline": ({}, "off"),
    "random": ({"negatives": "random"}, "off"),
    "hard": ({"negatives": "hard"}, "off"),
    "per_angle_2": ({"per_angle": 2}, "off"),
    "per_angle_3": ({"per_angle": 3}, "off"),
    "symmetric": ({"kind": "symmetric"}, "off"),
    "llm_off": ({}, "off"),
    "llm": ({}, "on"),
}
LABELS = {
    "baseline": "hard+random negatives, 1 query/angle, rule angles, query-side LoRA",
    "random": "random negatives only", "hard": "hard negatives only",
    "per_angle_2": "2 queries per angle", "per_angle_3": "3 queries per angle",
    "symmetric": "symmetric LoRA (items re-embedded)",
    "llm_off": "rule angles only (LLM corpus)", "llm": "rule + LLM angles (LLM corpus)",
}


def _template(name: str, files: tuple[str, ...], rows: int | None, work: Path,
              encoder: Any) -> Path:
    from core import paths
    from core.desk import Desk

    csv = corpus_csv(files, rows, work / "corpus" / f"{name}.csv")
    with Desk(name, encoder=encoder) as desk:
        desk.import_files([csv])
    encoder.detach_adapter()
    return paths.workspace_path(name)


def _copy(template: Path, name: str) -> str:
    from core import paths
    from core.store import known_files

    target = paths.workspace_path(name)
    for suffix in ("", "-wal", "-shm"):
        extra = Path(str(target) + suffix)
        if extra.exists():
            extra.unlink()
    shutil.copy(template, target)
    known_files.remember(target)  # ours: opening it keeps its vectors
    return name


def _variant(name: str, template: Path, encoder: Any, queries: Path,
             profile: Profile) -> dict[str, Any]:
    from core.desk import Desk
    from core.store.tuning import AdapterStore

    changes, llm_angles = VARIANTS[name]
    if profile.ablation_max_train is not None:
        changes = {**changes, "max_train": profile.ablation_max_train}
    options, applied = tune_options(profile.ablation_epochs, **changes)
    record: dict[str, Any] = {"name": name, "label": LABELS[name], "options": applied,
                              "llm_angles": llm_angles}
    started = time.perf_counter()
    with Desk(_copy(template, f"abl-{name}"), encoder=encoder) as desk:
        try:
            report = desk.tune(options, llm_angles=llm_angles)
            info = AdapterStore(desk.ws).get(report.adapter_id)
            tuned = evaluate(desk, queries, report.adapter_id)
            record.update({
                "activated": report.activated, "timings": report.timings,
                "queries_per_angle": report.queries.stored,
                "llm_tokens_per_s": report.queries.llm_tokens_per_s,
                "llm_dropped": report.queries.dropped,
                "train_queries": info.metrics.get("train_queries") if info else None,
                "heldout": {"n": info.metrics.get("heldout_queries") if info else None,
                            "before": {m: report.before[m] for m in ("dense", "hybrid")},
                            "after": {m: report.after[m] for m in ("dense", "hybrid")}},
                "realistic": {m: tuned["retrievers"][m] for m in ("dense", "hybrid")},
            })
        except Exception as exc:  # noqa: BLE001 - one failed variant must not hide the rest
            record["error"] = f"{type(exc).__name__}: {exc}"
    encoder.detach_adapter()  # the next workspace's adapter ids start at 1 again
    record["wall_s"] = round(time.perf_counter() - started, 2)
    record["peak_rss_mb"] = peak_rss_mb()
    return record


def _base(template: Path, name: str, encoder: Any, queries: Path) -> dict[str, Any]:
    from core.desk import Desk

    with Desk(_copy(template, name), encoder=encoder) as desk:
        result = evaluate(desk, queries, None)
    return {"n": result["n"], "dense": result["retrievers"]["dense"],
            "hybrid": result["retrievers"]["hybrid"], "lexical": result["retrievers"]["lexical"]}


def run(profile: Profile, work: Path, queries_file: Path) -> dict[str, Any]:
    encoder = load_encoder()
    out: dict[str, Any] = {"epochs": profile.ablation_epochs, "corpora": {}, "runs": []}
    rule_variants = ["baseline", *[v for v in profile.ablations if v != "llm"]]
    template = _template("abl-template", profile.ablation_files, profile.ablation_rows, work,
                         encoder)
    out["corpora"]["rules"] = {"files": list(profile.ablation_files),
                               "base": _base(template, "abl-base", encoder, queries_file)}
    for name in rule_variants:
        log(f"ablation: {name}")
        record = _variant(name, template, encoder, queries_file, profile)
        record["corpus"] = "rules"
        out["runs"].append(record)
    if "llm" in profile.ablations and profile.llm_ablation_files:
        llm_template = _template("abl-llm-template", profile.llm_ablation_files, None, work,
                                 encoder)
        out["corpora"]["llm"] = {"files": list(profile.llm_ablation_files),
                                 "base": _base(llm_template, "abl-llm-base", encoder,
                                               queries_file)}
        for name in ("llm_off", "llm"):
            log(f"ablation: {name}")
            record = _variant(name, llm_template, encoder, queries_file, profile)
            record["corpus"] = "llm"
            out["runs"].append(record)
    elif "llm" not in profile.ablations:
        out["skipped"] = ["llm (LLM angles vs rule-based): not in this profile; the bundled "
                          "LLM writes a few tokens/s here, so it runs in full mode only"]
    for record in out["runs"]:
        base = out["corpora"][record["corpus"]]["base"]
        if "realistic" in record:
            rows = {"base dense": base["dense"], "base hybrid": base["hybrid"],
                    "tuned dense": record["realistic"]["dense"],
                    "tuned hybrid": record["realistic"]["hybrid"]}
            record["realistic_relative"] = relative(rows)
    out["peak_rss_mb"] = peak_rss_mb()
    return out
