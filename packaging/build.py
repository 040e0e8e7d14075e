"""Build the self-contained Patent Desk folder with PyInstaller, optionally with a model pack.

    python packaging/build.py                       # dist/patent-desk/ with the default models
    python packaging/build.py --llm ~/models/qwen2.5-3b-instruct-q4_k_m.gguf \
        --encoder ~/models/bge-m3 --languages zh,en # ... plus an agency's own models

Run it from a checkout where `pip install -e '.[package]'` was done, on the system the bundle
is for (PyInstaller does not cross-compile). The result starts with dist/patent-desk/patent-desk
(the CLI; no subcommand opens the window) or dist/patent-desk/PatentDesk.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build(dist: Path, work: Path, llm: Path | None, encoder: Path | None,
          languages: tuple[str, ...]) -> Path:
    sys.path.insert(0, str(ROOT))
    from core.models.llama_build import stamp_problem

    problem = stamp_problem()  # the bundle carries this venv's llama.cpp to other machines
    if problem:
        sys.exit(f"not building: {problem}")
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
                    "--log-level", "WARN", "--distpath", str(dist), "--workpath", str(work),
                    str(ROOT / "packaging" / "patent_desk.spec")], check=True, cwd=ROOT)
    app = dist / "patent-desk"
    if llm or encoder:
        from core.models.pack import write_pack

        manifest = write_pack(app / "model-pack", llm, encoder, languages)
        print(f"model pack: {manifest}")
        mac_app = dist / "Patent Desk.app" / "Contents" / "MacOS"  # beside its executable
        if mac_app.is_dir():  # the same checked pack: copied, not hashed again
            shutil.copytree(app / "model-pack", mac_app / "model-pack", dirs_exist_ok=True)
            print(f"model pack: {mac_app / 'model-pack'}")
    return app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build")
    parser.add_argument("--llm", type=Path, help="a GGUF file to ship as the default LLM")
    parser.add_argument("--encoder", type=Path,
                        help="a sentence-transformers folder to ship as the default encoder")
    parser.add_argument("--languages", default="",
                        help="languages the pack's models serve, e.g. zh,en (warnings use it)")
    args = parser.parse_args()
    languages = tuple(x.strip() for x in args.languages.split(",") if x.strip())
    app = build(args.dist.resolve(), args.work.resolve(), args.llm, args.encoder, languages)
    print(f"built {app}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
