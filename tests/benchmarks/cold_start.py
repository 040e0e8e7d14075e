"""Cold start as a user meets it: every call a new process on the demo workspace (its vectors
filled), for the venv's `patent-desk` and, with --app, a PyInstaller bundle's, measured in the
same run on the same data folder, the two programs taking turns.

    python -m tests.benchmarks.cold_start [--app dist/patent-desk] \\
        [--out docs/benchmarks/cold_start.json]

Cases: `search` (hybrid), `search --mode lexical`, `ask` (the official answer), and the window
from launch to its first answer on the screen (offscreen Qt; desktop/script.py types the
question into the Ask page and clicks Ask; timed until the answer's text is saved, which the
script does as soon as it is shown). Each is the median of --repeats calls after one call
that is not counted (the first call after building the demo reads the files into the page
cache, as any second start would find them). Peak RSS is /usr/bin/time's, the call's own.
Targets (issue #18): hybrid search <= 1.5 s, the window's first hybrid answer <= 3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.benchmarks.common import git_commit, log, machine, write_json

QUESTION = "專利年費可以預繳嗎"
OUT = Path(__file__).resolve().parents[2] / "docs" / "benchmarks" / "cold_start.json"
# /usr/bin/time reports the call's own peak: a child forked from this process would count
# this process's pages as its own (Linux keeps the pre-exec high-water mark in ru_maxrss).
TIMER = ["/usr/bin/time", "-f", "%M"] if Path("/usr/bin/time").exists() else []
CLI_CASES = [("search (hybrid)", ["search", QUESTION]),
             ("search --mode lexical", ["search", QUESTION, "--mode", "lexical"]),
             ("ask (official answer)", ["ask", QUESTION])]
WINDOW = "window: launch to first answer"


def _peak_mb(stderr: str) -> float | None:
    lines = stderr.strip().splitlines()
    return round(int(lines[-1]) / 1024, 1) if TIMER and lines and lines[-1].isdigit() else None


def cli_call(program: Path, args: list[str], env: dict[str, str],
             workspace: str) -> tuple[float, float | None]:
    started = time.perf_counter()
    done = subprocess.run([*TIMER, str(program), *args, "--workspace", workspace, "--json"],
                          env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{program} {' '.join(args)} failed: {done.stderr[-800:]}")
    if args[0] == "search" and "lexical" not in args:
        hits = json.loads(done.stdout)["results"]
        if not any("dense" in h.get("channels", {}) for h in hits):
            raise RuntimeError(f"{program} search answered without the dense channel")
    return seconds, _peak_mb(done.stderr)


def window_call(program: Path, env: dict[str, str], scratch: Path,
                workspace: str) -> tuple[float, float | None]:
    """Seconds from launching the window to its first answer being shown."""
    state, script = scratch / "state.json", scratch / "script.json"
    state.unlink(missing_ok=True)
    script.write_text(json.dumps([{"ask": QUESTION}, {"state": str(state)}, {"quit": 0}],
                                 ensure_ascii=False), encoding="utf-8")
    env = {**env, "PATENT_DESK_SCRIPT": str(script), "QT_QPA_PLATFORM": "offscreen"}
    started = time.perf_counter()
    process = subprocess.Popen([*TIMER, str(program), "--workspace", workspace], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    shown = None
    while process.poll() is None:
        if shown is None and state.exists():
            shown = time.perf_counter() - started
        time.sleep(0.01)
    _, stderr = process.communicate()
    if shown is None and state.exists():
        shown = time.perf_counter() - started  # written in the last 10 ms before exit
    if process.returncode != 0 or shown is None:
        raise RuntimeError(f"{program}: the window gave no answer: {stderr[-800:]}")
    seen = json.loads(state.read_text(encoding="utf-8"))
    if not seen.get("answer", "").strip():
        raise RuntimeError(f"{program}: the window's answer is empty")
    if not {"dense", "both"} & set(seen.get("sources_found_by", [])):
        raise RuntimeError(f"{program}: the window answered without the dense channel")
    return shown, _peak_mb(stderr)


def measure(programs: dict[str, tuple[Path, dict[str, str]]], scratch: Path, repeats: int,
            workspace: str = "demo") -> list[dict[str, Any]]:
    """`programs`: name -> (executable, environment), each measured on `workspace`."""
    cases: list[tuple[str, list[str] | None]] = [*CLI_CASES, (WINDOW, None)]
    results: dict[tuple[str, str], list[tuple[float, float | None]]] = {}
    for round_ in range(repeats + 1):  # round 0 warms the page cache, not counted
        for label, args in cases:
            for name, (program, env) in programs.items():
                took = (window_call(program, env, scratch, workspace) if args is None
                        else cli_call(program, args, env, workspace))
                if round_:
                    results.setdefault((name, label), []).append(took)
        log(f"cold start: round {round_} of {repeats} done")
    return [{"program": name, "what": label,
             "seconds": round(statistics.median(s for s, _ in runs), 2),
             "runs_s": [round(s, 2) for s, _ in runs],
             "peak_rss_mb": max((p for _, p in runs if p is not None), default=None)}
            for (name, label), runs in results.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", type=Path, help="a built bundle folder (dist/patent-desk)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    venv = Path(sys.executable).with_name("patent-desk")
    with tempfile.TemporaryDirectory(prefix="patent-desk-cold-") as folder:
        scratch = Path(folder)
        env = {**os.environ, "PATENT_DESK_HOME": str(scratch / "home")}
        log("cold start: building the demo workspace and its vectors")
        subprocess.run([str(venv), "embed", "--workspace", "demo"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        programs = {"venv": (venv, env)}
        if args.app:
            exe = args.app.resolve() / ("patent-desk.exe" if os.name == "nt" else "patent-desk")
            bare = {k: v for k, v in env.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
            programs["bundle"] = (exe, {**bare, "PATH": "/usr/bin:/bin"})
        rows = measure(programs, scratch, args.repeats)
    write_json(args.out, {"question": QUESTION, "repeats": args.repeats, "rows": rows,
                          "machine": machine(), "git": git_commit(),
                          "bundle": str(args.app) if args.app else None})
    for row in rows:
        print(f"{row['program']:>6}  {row['what']:<34} {row['seconds']:>6.2f} s  "
              f"{row['peak_rss_mb']} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
