"""Report sections read from one-off measurements' own JSON files in docs/benchmarks/ (each
written by its module's command), not from the run's results.json."""

from __future__ import annotations

import json

from tests.benchmarks.common import md_table


def llama_builds_section() -> list[str]:
    """Tokens/s of llama.cpp builds, from docs/benchmarks/llama_builds.json (one row per
    build: `python -m tests.benchmarks.llama_builds --label ...` in a venv holding it)."""
    from tests.benchmarks.llama_builds import OUT, table

    if not OUT.exists():
        return []
    records = json.loads(OUT.read_text())
    models = ", ".join(dict.fromkeys(r.get("model", "?") for r in records))
    return [f"\n### llama.cpp builds ({models}, the Ask page's real prompt)\n",
            "The installer builds llama.cpp for x86-64-v3 with no AVX-512 and no AMX "
            "(`core/models/llama_build.py`). Measured against ggml's native build on this "
            "AVX-512 machine, greedy, up to 160 tokens, "
            f"{records[0]['threads']} threads, the app's answer prompt with three demo "
            "entries as sources; raw = `llama_cpp` in-process, app = `LocalLLM` (its child "
            "process); decode = tokens after the first over the time after it; first token = "
            "mean over the questions (the first one also evaluates the system prompt). A "
            "build that picked AVX-512 kernels (without AMX) at run time would come near "
            "the native row on AVX-512 machines. Rerun: "
            "`python -m tests.benchmarks.llama_builds --label NAME` per build.\n\n",
            table(records) + "\n"]


def cold_start_section() -> list[str]:
    """The venv's and the bundle's cold starts side by side, from
    docs/benchmarks/cold_start.json (`python -m tests.benchmarks.cold_start --app ...`)."""
    from tests.benchmarks.cold_start import OUT

    if not OUT.exists():
        return []
    record = json.loads(OUT.read_text())
    programs = list(dict.fromkeys(row["program"] for row in record["rows"]))
    by = {(row["what"], row["program"]): row for row in record["rows"]}
    rows = [[what] + [f"{by[what, p]['seconds']} s, {by[what, p]['peak_rss_mb']} MB"
                      if (what, p) in by else "–" for p in programs]
            for what in dict.fromkeys(row["what"] for row in record["rows"])]
    commit = record.get("git", {}).get("commit", "")[:10]
    return ["\n### Cold start: the venv and the bundle (seconds, peak RSS)\n",
            f"Each call a new process on the demo workspace, median of {record['repeats']} "
            "after one uncounted call, the programs taking turns "
            "(`python -m tests.benchmarks.cold_start --app dist/patent-desk`, commit "
            f"{commit}). The window: launch to its first answer shown (offscreen Qt). "
            "Targets: hybrid search <= 1.5 s, the window's first answer <= 3 s.\n\n",
            md_table(["call"] + programs, rows) + "\n"]
