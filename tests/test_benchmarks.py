"""The benchmark runner (python -m tests.benchmarks) end to end on a tiny corpus, and its
scoring functions against hand-computed values."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.benchmarks.generation import answer_body, lcs_length, rouge_l, units
from tests.conftest import ROOT

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow


def test_rouge_l_counts_cjk_characters_and_latin_words():
    assert units("新型專利 Report 2") == ["新", "型", "專", "利", "report", "2"]
    assert lcs_length(list("ABCBDAB"), list("BDCABA")) == 4
    assert rouge_l("專利年費可以預繳", "專利年費可以預繳") == 1.0
    # LCS 8 of 8 and 10 characters: P = 1, R = 0.8
    assert abs(rouge_l("專利年費可以預繳", "專利年費可以預先繳納") - 2 * 0.8 / 1.8) < 1e-9
    assert rouge_l("", "專利") == 0.0
    assert answer_body("可以預繳[1]。\n\n[1] 官方解答: 專利年費可以預繳嗎？") == "可以預繳。"


def test_tiny_run_writes_results_table_and_plots(tmp_path: Path):
    out = tmp_path / "bench"
    doc = tmp_path / "docs" / "benchmarks.md"
    run = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks", "--tiny", "--out", str(out),
         "--doc", str(doc)], cwd=ROOT, capture_output=True, text=True, timeout=1200,
        check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((out / "results.json").read_text("utf-8"))
    for key in ("meta", "stages", "quality", "ablations", "generation", "llm", "import",
                "search", "derived"):
        assert key in results, key
    meta = results["meta"]
    assert meta["machine"]["cores"] >= 1 and meta["machine"]["cpu"]
    assert len(meta["git"]["commit"]) == 40
    assert all(len(f["sha256"]) == 64 for m in meta["models"].values() for f in m["files"])
    assert set(results["stages"]) == {"quality", "ablations", "generation", "llm", "import",
                                      "search"}
    assert all(s["peak_rss_mb"] > 0 for s in results["stages"].values())

    quality = results["quality"]
    assert quality["items"] == 30
    assert set(quality["all"]["rows"]) == {"lexical", "base dense", "base hybrid",
                                           "tuned dense", "tuned hybrid"}
    assert set(quality["all"]["rows"]["lexical"]) == {"hit@1", "hit@3", "hit@10", "mrr@10",
                                                      "ndcg@10"}
    assert {"dense", "hybrid"} == set(quality["all"]["relative"])
    assert {"Patent Consultation", "Technical report"} <= set(quality["subsets"])
    assert quality["angles"] and quality["heldout"]["rows"]
    assert quality["tune"]["timings"] and quality["tune"]["train_queries"]

    [baseline] = results["ablations"]["runs"]
    assert baseline["name"] == "baseline" and "realistic" in baseline
    extract = results["generation"]["extract"]["overall"]
    assert set(extract) == {"base", "tuned"}
    assert 0 <= extract["base"]["rouge_l"] <= 1 and extract["base"]["citation_accuracy"] > 0
    assert results["llm"]["app_tokens_per_s"] > 0 and results["llm"]["raw_tokens_per_s"] > 0
    assert results["import"]["import_tipo"]["rows"] == 30
    assert results["import"]["embedding"]["ratio"] > 0
    cold = {c["what"]: c for c in results["import"]["cold_start"]}
    # the window's row: launched, answered with the dense channel among its sources, closed
    assert {"search (hybrid)", "search --mode lexical", "ask (official answer)",
            "window: launch to first answer"} == set(cold)
    assert all(c["seconds"] > 0 and (c["peak_rss_mb"] or 1) > 0 for c in cold.values())
    search = results["search"]["sizes"]["1000"]
    for mode in ("lexical", "dense", "hybrid", "numpy"):
        assert search[mode]["p50_ms"] > 0
    assert search["dense_top10_agreement_with_numpy"] == 1.0
    assert results["derived"]["tuning"][0]["train_s_per_1k_queries"] > 0

    text = (out / "results.md").read_text("utf-8")
    for heading in ("## Retrieval quality", "## Ablations", "## Answer quality", "## Speed"):
        assert heading in text
    assert meta["models"]["encoder"]["files"][0]["sha256"] in text
    for png in ("quality.png", "angles.png", "ablations.png", "generation.png",
                "search_latency.png", "throughput.png", "memory.png"):
        assert (out / png).stat().st_size > 10_000, png
        assert f"](../bench/{png})" in doc.read_text("utf-8")
