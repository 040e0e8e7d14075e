"""How llama.cpp is built for Patent Desk: one portable set of instruction sets, everywhere.

ggml's default (`GGML_NATIVE=ON`) compiles for the build machine's own CPU. That is wrong for
an app: a bundle built on one machine runs on others, and on Intel CPUs that advertise AMX
inside a VM that cannot execute it, the native build dies of SIGILL in
`ggml_backend_amx_mul_mat` on any prompt longer than one token. So every build (the README's
install, CI, the PyInstaller bundle) uses the flags below: the x86-64-v3 floor (AVX2, FMA,
F16C, BMI2), no AVX-512 and no AMX. docs/benchmarks.md has the speed measured against a
native and an AVX-512 build.

This module is plain Python with no imports from the project, so packaging/install.py can load
it before any dependency is installed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import platform
import sys
from pathlib import Path

LLAMA_VERSION = "0.3.36"
FLOOR = "x86-64-v3 (AVX2, FMA, F16C, BMI2)"
REQUIRED_X86_FLAGS = ("avx2", "fma", "f16c", "bmi2")
MARKER = "patent_desk_build.json"  # written into the installed llama_cpp package
REBUILD_COMMAND = "python3 packaging/install.py --rebuild-llama"

_X86 = ("-DGGML_NATIVE=OFF", "-DGGML_SSE42=ON", "-DGGML_AVX=ON", "-DGGML_AVX2=ON",
        "-DGGML_BMI2=ON", "-DGGML_FMA=ON", "-DGGML_F16C=ON", "-DGGML_AVX_VNNI=OFF",
        "-DGGML_AVX512=OFF", "-DGGML_AVX512_VBMI=OFF", "-DGGML_AVX512_VNNI=OFF",
        "-DGGML_AVX512_BF16=OFF", "-DGGML_AMX_TILE=OFF", "-DGGML_AMX_INT8=OFF",
        "-DGGML_AMX_BF16=OFF")


def is_x86(machine: str | None = None) -> bool:
    return (machine or platform.machine()).lower() in ("x86_64", "amd64", "i686", "x86")


def cmake_args(machine: str | None = None, system: str | None = None) -> tuple[str, ...]:
    """The CMAKE_ARGS llama-cpp-python is built with on this kind of machine."""
    if is_x86(machine):
        return _X86
    if (system or platform.system()) == "Darwin":
        return ("-DGGML_METAL=ON",)  # Apple silicon: Metal and NEON, as ggml does by default
    return ("-DGGML_NATIVE=OFF",)  # other CPUs (Linux on Arm): ggml's portable baseline


def cpu_flags() -> set[str] | None:
    """This CPU's feature flags as Linux reports them, or None where that cannot be read."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return None


def missing_cpu_features(flags: set[str] | None = None) -> list[str]:
    """The floor's instruction sets that this x86 CPU lacks ([] when it has them all, or when
    it cannot be told: other systems and other CPUs)."""
    if not is_x86():
        return []
    flags = cpu_flags() if flags is None else flags
    if flags is None:
        return []
    return [f.upper() for f in REQUIRED_X86_FLAGS if f not in flags]


def below_floor_message(missing: list[str]) -> str:
    return (f"this processor lacks {', '.join(missing)}, which the local LLM needs "
            f"(llama.cpp is built for {FLOOR}); official answers (--mode extract) and search "
            "still work, or set an LLM server (patent-desk models set-llm-url URL)")


def flags_digest(args: tuple[str, ...] | None = None) -> str:
    """Names a build: the llama-cpp-python version and the flags (wheels are kept under it)."""
    text = json.dumps([LLAMA_VERSION, list(cmake_args() if args is None else args)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def llama_package() -> Path | None:
    """The installed llama_cpp package folder, found without importing it."""
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def native_libraries(package: Path) -> dict[str, str]:
    """The package's native libraries (libllama, libggml*), each with its sha256."""
    return {p.name: sha256_file(p) for p in sorted((package / "lib").glob("*")) if p.is_file()}


def stamp_problem(package: Path | None = None) -> str | None:
    """Why the installed llama.cpp is not the project's portable build, or None when it is:
    the stamp packaging/install.py wrote names this module's flags, and the libraries are
    the very files it built (not a wheel that pip took from its cache later)."""
    package = package or llama_package()
    if package is None:
        return f"llama-cpp-python is not installed; run {REBUILD_COMMAND}"
    try:
        stamp = json.loads((package / MARKER).read_text())
    except (OSError, ValueError):
        return (f"llama-cpp-python in {package} was not built by packaging/install.py (no "
                f"{MARKER}); run {REBUILD_COMMAND}")
    if stamp.get("digest") != flags_digest() or stamp.get("cmake_args") != list(cmake_args()):
        return (f"llama-cpp-python in {package} was built with other flags "
                f"({' '.join(stamp.get('cmake_args', []))}); run {REBUILD_COMMAND}")
    if stamp.get("libraries") != native_libraries(package):
        return (f"llama-cpp-python's libraries in {package} changed after packaging/install.py "
                f"built them (a cached wheel?); run {REBUILD_COMMAND}")
    return None


if __name__ == "__main__":  # packaging/install.py asks the venv's Python this way
    problem = stamp_problem()
    print(problem or "ok")
    sys.exit(1 if problem else 0)
