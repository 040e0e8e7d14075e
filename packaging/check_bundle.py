"""Build the bundle from this checkout (or take a built one) and use it as a new user would,
headless: the window opens offscreen on the demo workspace, answers a question and quits;
then the bundled CLI answers `ask --mode extract`, generates an answer from a prompt of several
hundred tokens (three sources) and searches. Exits 0 only if all of it works.

    python packaging/check_bundle.py                  # build into a temp folder, then check
    python packaging/check_bundle.py --app dist/patent-desk   # check an existing build

Everything runs on a fresh data home with no network, from the bundle's own files: the
checkout's Python environment is not on the path of the bundled programs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "新型專利技術報告有什麼用？"
EXE = ".exe" if sys.platform == "win32" else ""


def run(app: Path, args: list[str], env: dict[str, str], timeout: int = 900
        ) -> subprocess.CompletedProcess[str]:
    started = time.monotonic()
    done = subprocess.run([str(app / f"patent-desk{EXE}"), *args], env=env, text=True,
                          capture_output=True, timeout=timeout, check=False)
    print(f"$ patent-desk {' '.join(args)}  -> exit {done.returncode} "
          f"({time.monotonic() - started:.0f} s)")
    if done.returncode != 0 or "Traceback" in done.stderr:
        sys.exit(f"FAILED: patent-desk {' '.join(args)}\n{done.stdout[-2000:]}\n"
                 f"{done.stderr[-4000:]}")
    return done


def check(app: Path, scratch: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(PATENT_DESK_HOME=str(scratch / "home"), QT_QPA_PLATFORM="offscreen",
               PATH="/usr/bin:/bin")
    state, script = scratch / "state.json", scratch / "script.json"
    script.write_text(json.dumps([{"ask": QUESTION}, {"state": str(state)}, {"quit": 0}],
                                 ensure_ascii=False), encoding="utf-8")
    run(app, ["--workspace", "demo"], {**env, "PATENT_DESK_SCRIPT": str(script)})
    seen = json.loads(state.read_text(encoding="utf-8"))
    assert seen["title"] == "Patent Desk — demo", seen["title"]
    assert "新型專利技術報告" in seen["answer"], seen["answer"]
    assert seen["library_rows"] == 725, seen["library_rows"]
    print("window: opened the demo workspace (725 entries) and answered the question")

    answer = json.loads(run(app, ["ask", QUESTION, "--mode", "extract", "--workspace", "demo",
                                  "--json"], env).stdout)
    assert answer["mode"] == "extract" and answer["citations"], answer
    assert "新型專利技術報告" in answer["results"][0]["question"], answer["results"][0]
    print(f"ask --mode extract: cited item {answer['citations'][0]}")
    # Generation from the Ask page's real prompt (three numbered sources, several hundred
    # tokens): the bundled llama.cpp must be the portable build, or a long prompt dies here.
    generated = json.loads(run(app, ["ask", QUESTION, "--mode", "generate", "--workspace",
                                     "demo", "--json"], env).stdout)
    assert generated["mode"] == "generate" and generated["answer"], generated
    assert generated["prompt_tokens"] >= 300, generated["prompt_tokens"]
    print(f"ask --mode generate: {generated['prompt_tokens']} prompt tokens, answered in "
          f"{generated['seconds']} s")
    found = run(app, ["search", "專利年費 預繳", "--workspace", "demo", "--k", "3"], env).stdout
    assert "年費" in found, found
    models = json.loads(run(app, ["models", "--workspace", "demo", "--json"], env).stdout)
    print(f"models: {models['encoder']}, {models['llm']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--app", type=Path, help="a built bundle folder (default: build one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="patent-desk-bundle-") as tmp:
        scratch = Path(tmp)
        app = args.app
        if app is None:
            sys.path.insert(0, str(ROOT / "packaging"))
            from build import build

            app = build(scratch / "dist", scratch / "build", None, None, ())
        check(app.resolve(), scratch)
    print("bundle OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
