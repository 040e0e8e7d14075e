"""Patent Desk benchmarks: retrieval quality (the MQG-RFM paper's table on the TIPO corpus),
ablations, answer quality and speed.

    python -m tests.benchmarks [--quick] [--out DIR] [--queries FILE] [--doc FILE]

Writes DIR/results.json, DIR/results.md and DIR/*.png. Each stage runs in its own process
(its peak RSS is the stage's), in a private data home that is deleted afterwards, so the
user's workspaces are never touched. `--quick` fits 10 minutes on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.benchmarks.common import (
    DEFAULT_QUERIES,
    PROFILES,
    ROOT,
    Profile,
    git_commit,
    log,
    machine,
    models,
    packages,
    write_json,
)

STAGES = ("quality", "ablations", "generation", "llm", "import", "search", "actions")


def run_stage(name: str, work: Path) -> dict[str, Any]:
    """Run one stage in this process (the child side of `run_in_child`)."""
    config = json.loads((work / "config.json").read_text("utf-8"))
    profile = Profile(**{k: tuple(v) if isinstance(v, list) else v
                         for k, v in config["profile"].items()})
    queries = Path(config["queries"])
    if name == "quality":
        from tests.benchmarks import quality
        return quality.run(profile, work, queries)
    if name == "ablations":
        from tests.benchmarks import ablations
        return ablations.run(profile, work, queries)
    if name == "generation":
        from tests.benchmarks import generation
        return generation.run(profile, queries, config.get("tuned_adapter"))
    if name == "llm":
        from tests.benchmarks import speed
        return speed.run_llm(profile)
    if name == "import":
        from tests.benchmarks import speed
        return speed.run_import(profile, work)
    if name == "search":
        from tests.benchmarks import search
        return search.run(profile.search_sizes, profile.search_queries)
    if name == "actions":
        from tests.benchmarks import actions
        return actions.run(profile, work)
    raise ValueError(f"unknown stage {name!r}")


def child_main(name: str, work: Path) -> int:
    target = work / f"stage-{name}.json"
    try:
        write_json(target, {"ok": True, "result": run_stage(name, work)})
        return 0
    except BaseException as exc:  # noqa: BLE001 - report any failure to the parent
        write_json(target, {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                            "traceback": traceback.format_exc()})
        traceback.print_exc()
        return 1


def run_in_child(name: str, work: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The stage in a subprocess; returns (its result or {}, wall time / peak RSS / error)."""
    env = {**os.environ, "PATENT_DESK_HOME": str(work / "home"), "PYTHONUNBUFFERED": "1"}
    if name == "search":  # SQLite searches on one thread: so does the numpy limit
        env.update({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "tests.benchmarks", "--stage", name,
                             "--work", str(work)], cwd=ROOT, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    info: dict[str, Any] = {"wall_s": round(time.perf_counter() - started, 2),
                            "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
                            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
                            "returncode": proc.returncode}
    path = work / f"stage-{name}.json"
    data = json.loads(path.read_text("utf-8")) if path.exists() else {
        "ok": False, "error": f"stage exited with status {proc.returncode} and no result"}
    if not data.get("ok"):
        info["error"] = data.get("error")
        info["traceback"] = data.get("traceback")
        return {}, info
    return data["result"], info


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="reduced run that fits 10 minutes on 2 cores (says what it cut)")
    parser.add_argument("--out", default="benchmark-results", help="output folder")
    parser.add_argument("--queries", default=str(DEFAULT_QUERIES),
                        help='evaluation JSONL ({"query", "gold", optional "angle", "file"}); '
                             "default: the 240 hand-written TIPO queries")
    parser.add_argument("--doc", help="also write this Markdown document, linking the PNGs "
                                      "in OUT relative to it (e.g. docs/benchmarks.md)")
    parser.add_argument("--stages", default=",".join(STAGES),
                        help=f"comma-separated subset of {','.join(STAGES)}")
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--keep-work", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def derived_speed(results: dict[str, Any]) -> dict[str, Any]:
    """Tuning wall time per stage and per 1k training queries, from the tuning runs."""
    runs = []
    tune = results.get("quality", {}).get("tune", {})
    if tune.get("timings"):
        runs.append({"run": "main", **_per_1k(tune["timings"], tune.get("train_queries"))})
    for record in results.get("ablations", {}).get("runs", []):
        if record.get("timings"):
            runs.append({"run": f"ablation {record['name']}",
                         **_per_1k(record["timings"], record.get("train_queries"))})
    return {"tuning": runs}


def _per_1k(timings: dict[str, float], train_queries: int | None) -> dict[str, Any]:
    total = sum(timings.values())
    out: dict[str, Any] = {"stages_s": {k: round(v, 2) for k, v in timings.items()},
                           "total_s": round(total, 2), "train_queries": train_queries}
    if train_queries:
        out["train_s_per_1k_queries"] = round(timings.get("train", 0) / train_queries * 1000, 2)
        out["total_s_per_1k_queries"] = round(total / train_queries * 1000, 2)
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.stage:
        return child_main(args.stage, Path(args.work))
    profile = PROFILES["tiny" if args.tiny else "quick" if args.quick else "full"]
    stages = [s for s in args.stages.split(",") if s]
    unknown = sorted(set(stages) - set(STAGES))
    if unknown:
        print(f"unknown stage(s) {', '.join(unknown)}; choose from {', '.join(STAGES)}",
              file=sys.stderr)
        return 2
    queries = Path(args.queries).resolve()
    if not queries.is_file():
        print(f"{args.queries}: no such queries file", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="patent-desk-bench-"))
    started = time.perf_counter()
    command = "python -m tests.benchmarks " + " ".join(
        shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    results: dict[str, Any] = {"meta": {
        "profile": profile.name, "profile_settings": dataclasses.asdict(profile),
        "command": command.strip(), "queries_file": str(queries),
        "started": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
        "git": git_commit(), "models": models(), "packages": packages(),
        "notes": list(profile.notes)}, "stages": {}}
    config = {"profile": dataclasses.asdict(profile), "queries": str(queries)}
    try:
        for name in STAGES:
            if name not in stages or (name == "actions" and not profile.actions):
                continue  # the tiny profile measures no user actions
            write_json(work / "config.json", config)
            log(f"stage {name} ...")
            result, info = run_in_child(name, work)
            results["stages"][name] = info
            results[name] = result
            log(f"stage {name}: {info['wall_s']} s, peak RSS {info['peak_rss_mb']} MB"
                + (f", FAILED: {info['error']}" if "error" in info else ""))
            if name == "quality":
                config["tuned_adapter"] = result.get("tune", {}).get("adapter_id")
    finally:
        if not args.keep_work:
            shutil.rmtree(work, ignore_errors=True)
    results["derived"] = derived_speed(results)
    results["meta"]["wall_s"] = round(time.perf_counter() - started, 1)
    results["meta"]["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    write_json(out / "results.json", results)
    from tests.benchmarks import report

    report.write_all(results, out, Path(args.doc) if args.doc else None)
    failed = [n for n, i in results["stages"].items() if "error" in i]
    log(f"done in {results['meta']['wall_s']} s: {out / 'results.md'}"
        + (f"; failed stages: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
