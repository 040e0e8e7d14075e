"""What every benchmark stage shares: the run profiles, provenance (machine, models, git
commit), timing and memory helpers, and the small corpora built from the TIPO files."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEMO_DIR = ROOT / "resources" / "demo"
DEFAULT_QUERIES = ROOT / "resources" / "eval" / "tipo_realistic_queries.jsonl"
# The paper's two subsets (arXiv 2506.00527) and the third TIPO file, by the eval "file" field.
SUBSETS = {
    "patent_qa.csv": "Patent Consultation",
    "utility_model_report_qa.csv": "Technical report",
    "patent_attorney_act_qa.csv": "Patent Attorney Act",
}
SMALL_FILES = ("utility_model_report_qa.csv", "patent_attorney_act_qa.csv")


@dataclass(frozen=True)
class Profile:
    """How much of each benchmark a run does. `quick` must fit 10 minutes on 2 cores."""

    name: str
    corpus_rows: int | None = None          # None: the whole demo corpus (725 items)
    tune_epochs: int | None = None          # None: the app's default
    max_train: int | None = None            # cap on training queries (None: all of them)
    llm_budget_s: float | None = None       # LLM-angle time per tuning run (None: the app's)
    ablation_files: tuple[str, ...] = SMALL_FILES
    ablation_rows: int | None = None
    ablation_epochs: int | None = None
    ablation_max_train: int | None = None
    ablations: tuple[str, ...] = ("random", "hard", "per_angle_2", "symmetric")
    llm_ablation_files: tuple[str, ...] = ()  # () = no LLM-angle ablation
    generate_sample: int = 0
    generate_budget_s: float = 0.0
    speed_corpus_rows: int | None = None    # None: import the TIPO files themselves
    synthetic_rows: int = 10_000
    limit_sample: int = 2_000
    search_sizes: tuple[int, ...] = (1_000, 10_000, 100_000)
    search_queries: int = 50
    llm_items: int = 1
    llm_roles: tuple[str, ...] = ("concept", "keyword", "fact", "spelling", "web_search")
    llm_max_tokens: int = 160
    llm_threads: int | None = None          # None: what LocalLLM uses by default (all cores)
    llm_batch_items: int = 4                # items x 5 roles decoded together (0: skip)
    # CLI calls whose peak RSS the "actions" stage measures (tests/benchmarks/actions.py);
    # () skips the stage.
    actions: tuple[str, ...] = ("import", "search", "ask", "generate", "eval", "tune")
    notes: tuple[str, ...] = field(default_factory=tuple)


# Tuning cost on 2 cores is about 4 s per batch of 32 training queries; the app's default
# (core.tune.loop.options_for) trains 2 epochs on at most 1,000 queries, about 250 s.
PROFILES = {
    "full": Profile(
        name="full", ablation_epochs=2, ablation_max_train=96,
        llm_ablation_files=("patent_attorney_act_qa.csv",),
        ablations=("random", "hard", "per_angle_2", "per_angle_3", "symmetric", "llm"),
        generate_sample=24, generate_budget_s=360, synthetic_rows=100_000,
        search_sizes=(1_000, 10_000, 100_000, 1_000_000), search_queries=50,
        notes=("Full mode: the main tuning run is what one click runs (the app's default "
               "options: see core.tune.loop.options_for); ablations run 2 epochs on at most "
               "96 training queries each, on the 36 technical-report and Patent Attorney Act "
               "items; the LLM-angle ablation on the 10 Patent Attorney Act items (the "
               "bundled LLM writes a few tokens/s); answer generation is time-boxed to "
               "360 s.",)),
    "quick": Profile(
        name="quick", ablation_epochs=1, ablation_max_train=64,
        ablations=("random", "hard"), generate_sample=6, generate_budget_s=140,
        synthetic_rows=2_000, limit_sample=500, search_queries=30, llm_roles=("keyword",),
        llm_max_tokens=64,
        notes=("Quick mode: the main tuning run is what one click runs (the app's default "
               "options); the ablations are only random vs hard negatives (1 epoch, "
               "64 training queries each, on the 36 technical-report and Patent Attorney Act "
               "items), not queries per angle, LLM angles or symmetric LoRA; answers are "
               "generated within 140 s only; the synthetic spreadsheet has 2,000 rows, not "
               "100,000; search stops at 100k items; LLM speed uses 1 item x 1 role, 64 "
               "tokens.",)),
    "tiny": Profile(
        name="tiny", corpus_rows=30, tune_epochs=1, max_train=32, llm_budget_s=0,
        ablation_rows=30,
        ablation_epochs=1, ablation_max_train=32,
        ablation_files=("patent_qa.csv", "utility_model_report_qa.csv"),
        ablations=(), generate_sample=0, speed_corpus_rows=30, synthetic_rows=200,
        limit_sample=200,
        search_sizes=(1_000,), search_queries=10, llm_roles=("keyword",), llm_max_tokens=8,
        llm_threads=1, llm_batch_items=0, actions=(),
        notes=("Tiny mode (a smoke test, numbers mean nothing): 30 items, 1 epoch on at most "
               "32 training queries, rule angles only (one LLM batch of angles costs about 45 s; "
               "tests/test_tune.py and tests/test_augment_llm.py cover them), one ablation "
               "run, 1k search items, no answer generation, no batched LLM speed.",)),
}


# -- provenance ------------------------------------------------------------------------------
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 1
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {"cpu": cpu_model(), "cores": usable, "logical_cpus": os.cpu_count(),
            "memory_gib": mem, "os": platform.platform(), "python": platform.python_version(),
            "loadavg_start": [round(x, 2) for x in os.getloadavg()]}


def git_commit() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              check=False, timeout=30).stdout.strip()

    commit = git("rev-parse", "HEAD")
    changed = [line for line in git("status", "--porcelain").splitlines() if line.strip()]
    return {"commit": commit or "unknown", "short": commit[:10] or "unknown",
            "dirty": bool(changed), "changed_files": len(changed)}


def models() -> dict[str, Any]:
    """The models a fresh workspace uses, with each pinned file's sha256 (registry)."""
    from core.models import encoder_source, llm_source
    from core.models.registry import sha256_of

    out: dict[str, Any] = {}
    for kind, source in (("encoder", encoder_source(None)), ("llm", llm_source(None))):
        if source.build is not None and not source.path.exists():
            # A derived model (the GGUF assembled from its packages' parts) is built at first
            # use; on a fresh machine that is now, or its file would go unrecorded.
            source.build()
        root = source.path if source.path.is_dir() else source.path.parent
        files = [{"file": p.relpath, "sha256": p.sha256} for p in source.pinned]
        if not files and source.path.is_file():
            files = [{"file": source.path.name, "sha256": sha256_of(source.path)}]
        out[kind] = {"name": source.name, "package": source.package, "path": str(root),
                     "files": files}
    return out


def packages() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("torch", "sentence-transformers", "peft", "llama-cpp-python", "sqlite-vec",
                 "sqlean-py", "numpy"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "missing"
    return out


# -- measuring -------------------------------------------------------------------------------
def peak_rss_mb() -> float:
    """This process's peak resident set so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def current_rss_mb() -> float:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)
    except (OSError, ValueError):
        return peak_rss_mb()


@contextmanager
def timed(into: dict[str, Any], key: str) -> Iterator[None]:
    """Store the block's wall time (s) and the peak RSS after it under `into[key]`."""
    started = time.perf_counter()
    yield
    into[key] = {"wall_s": round(time.perf_counter() - started, 3),
                 "peak_rss_mb": peak_rss_mb()}


def percentile(values: Sequence[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(np.asarray(values, dtype=float), q)) if values else 0.0


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def write_json(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1, default=_jsonable), "utf-8")


def _jsonable(obj: object) -> object:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if hasattr(obj, "tolist"):
        return obj.tolist()  # type: ignore[union-attr]
    if isinstance(obj, set | tuple):
        return list(obj)
    return str(obj)


# -- corpora and options -----------------------------------------------------------------------
def corpus_csv(files: Sequence[str], rows: int | None, target: Path) -> Path:
    """One CSV (題目, 解答, 類別) with the first `rows` items of the given TIPO files, taken
    round-robin so every file is represented; rows None = all of them."""
    from core.ingest import parse_file

    parsed = [parse_file(DEMO_DIR / name).items for name in files]
    chosen = []
    for n in range(max(len(p) for p in parsed)):
        chosen += [p[n] for p in parsed if n < len(p)]
    chosen = chosen[:rows] if rows else chosen
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["題目", "解答", "類別"])
        writer.writerows([it.question, it.answer, it.category] for it in chosen)
    return target


def tune_options(epochs: int | None = None, base: Any = None, **overrides: Any
                 ) -> tuple[Any, dict[str, Any]]:
    """TuneOptions with only the fields that exist (the tuning internals keep changing):
    keys of TrainConfig (kind, epochs, ...) go to `train`, the rest to TuneOptions, on top of
    `base` (e.g. Desk.default_tune_options(): what one click runs) or the dataclass defaults.
    Returns the options and what was applied; unknown keys are reported, not raised."""
    from core.tune.loop import TuneOptions
    from core.tune.trainer import TrainConfig

    train_fields = {f.name for f in dataclasses.fields(TrainConfig)}
    tune_fields = {f.name for f in dataclasses.fields(TuneOptions)}
    if epochs is not None:
        overrides["epochs"] = epochs
    train = {k: v for k, v in overrides.items() if k in train_fields}
    tune = {k: v for k, v in overrides.items() if k in tune_fields and k != "train"}
    ignored = sorted(set(overrides) - set(train) - set(tune))
    if base is not None:
        options = dataclasses.replace(base, **tune,
                                      train=dataclasses.replace(base.train, **train))
    else:
        options = TuneOptions(**tune, train=TrainConfig(**train))
    applied: dict[str, Any] = {**tune, **train}
    if ignored:
        applied["ignored"] = ignored
    return options, applied


def md_table(header: list[str], rows: list[list[Any]]) -> str:
    def cell(v: Any) -> str:
        if v is None:
            return "–"
        if isinstance(v, float):
            return (f"{v:.3f}" if abs(v) < 1 else f"{v:.2f}" if abs(v) < 10
                    else f"{v:.1f}" if abs(v) < 100 else f"{v:,.0f}")
        if isinstance(v, int) and not isinstance(v, bool):
            return f"{v:,}"
        return str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
