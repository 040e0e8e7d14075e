"""Install Patent Desk into .venv, with llama.cpp built portably (the README's two commands).

    python3 packaging/install.py            # the app
    python3 packaging/install.py --test     # the app and the test suite's extras
    python3 packaging/install.py --rebuild-llama   # build llama.cpp again, whatever is there

llama-cpp-python ships as source only, and ggml's default build compiles for the build
machine's own CPU, AMX included where the CPU merely advertises it. Here it is built once with
the flags of core/models/llama_build.py (x86-64-v3: AVX2, FMA, F16C; no AVX-512, no AMX) and
with pip's cache switched off, because pip would otherwise reuse a wheel built earlier on this
machine with other flags. The wheel is kept in .venv/llama-wheels/<flags digest>/ and the
installed package gets a stamp (patent_desk_build.json: flags and the libraries' sha256) that
tests/test_llama_build.py checks. Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"


BUILD_MODULE = ROOT / "core" / "models" / "llama_build.py"


def _load_build_module():
    spec = importlib.util.spec_from_file_location("llama_build", BUILD_MODULE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_build_module()


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def say(text: str) -> None:
    print(f"[install] {text}", flush=True)


def run(args: list[str], env: dict[str, str] | None = None) -> None:
    done = subprocess.run(args, env=env, check=False)
    if done.returncode != 0:
        sys.exit(f"[install] failed: {' '.join(args[:6])} ... (exit status {done.returncode});"
                 " see the output above")


def stamp_matches() -> bool:
    """The venv's llama_cpp is the one this script built with the project's flags."""
    done = subprocess.run([str(venv_python()), str(BUILD_MODULE)], capture_output=True,
                          text=True, check=False)
    return done.returncode == 0


def installed_llama_dir() -> Path:
    code = ("import importlib.util; s = importlib.util.find_spec('llama_cpp'); "
            "print(s.submodule_search_locations[0])")
    done = subprocess.run([str(venv_python()), "-c", code], capture_output=True, text=True,
                          check=True)
    return Path(done.stdout.strip())


def install_llama(cmake_args: tuple[str, ...], force: bool) -> None:
    digest = build.flags_digest(cmake_args)
    if not force and stamp_matches():
        say(f"llama-cpp-python {build.LLAMA_VERSION} already built with the project's flags")
        return
    wheels = VENV / "llama-wheels" / digest
    found = sorted(wheels.glob("llama_cpp_python-*.whl"))
    if force or not found:
        say(f"building llama-cpp-python {build.LLAMA_VERSION} for {build.FLOOR}, no AMX "
            "(about 6 minutes on two cores)")
        env = {**os.environ, "CMAKE_ARGS": " ".join(cmake_args), "FORCE_CMAKE": "1"}
        env.pop("PIP_FIND_LINKS", None)
        for old in found:
            old.unlink()
        run([str(venv_python()), "-m", "pip", "wheel", "-q", "--no-deps", "--no-cache-dir",
             "--no-binary", "llama-cpp-python", f"llama-cpp-python=={build.LLAMA_VERSION}",
             "-w", str(wheels)], env)
        found = sorted(wheels.glob("llama_cpp_python-*.whl"))
    run([str(venv_python()), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall",
         "--no-cache-dir", str(found[-1])])
    package = installed_llama_dir()
    stamp = {"digest": digest, "version": build.LLAMA_VERSION, "cmake_args": list(cmake_args),
             "wheel": found[-1].name, "wheel_sha256": build.sha256_file(found[-1]),
             "libraries": build.native_libraries(package)}
    (package / build.MARKER).write_text(json.dumps(stamp, indent=1))
    say(f"llama-cpp-python installed from {found[-1].relative_to(ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--test", action="store_true", help="also the test suite's extras")
    parser.add_argument("--rebuild-llama", action="store_true",
                        help="build llama.cpp again even if a matching build is installed")
    args = parser.parse_args()
    if sys.version_info < (3, 11):  # noqa: UP036 - run by whatever python3 the system has
        sys.exit("[install] Patent Desk needs Python 3.11 or newer, not "
                 f"{platform.python_version()}")
    missing = build.missing_cpu_features()
    if missing:
        sys.exit(f"[install] this processor lacks {', '.join(missing)}: Patent Desk's local LLM "
                 f"needs {build.FLOOR}. Use a newer computer, or install anyway with "
                 "'pip install -e .' and answer through an LLM server "
                 "(patent-desk models set-llm-url URL)")
    if not venv_python().exists():
        say(f"creating {VENV.relative_to(ROOT)}")
        run([sys.executable, "-m", "venv", str(VENV)])
    cmake_args = build.cmake_args()
    install_llama(cmake_args, args.rebuild_llama)
    target = ".[test]" if args.test else "."
    say(f"installing Patent Desk ({target}) and its dependencies")
    run([str(venv_python()), "-m", "pip", "install", "-q", "-e", target], None)
    if not stamp_matches():
        sys.exit("[install] pip replaced the llama-cpp-python built here; run "
                 f"{build.REBUILD_COMMAND}")
    say("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
