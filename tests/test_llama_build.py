"""The installed llama.cpp is the project's portable build: no AMX (which kills generation on
Intel VMs that advertise it), no instructions above the x86-64-v3 floor, and the very files
packaging/install.py built with the project's flags, not a wheel from pip's cache."""

from __future__ import annotations

import json
import subprocess
import sys

from core.models import llama_build
from core.models.llm import LocalLLM


def system_info() -> str:
    """What llama.cpp says it was built with, asked in a process of its own."""
    code = "import llama_cpp; print(llama_cpp.llama_print_system_info().decode())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=120)
    return done.stdout


def features(info: str) -> dict[str, str]:
    out = {}
    for part in info.replace("\n", "|").split("|"):
        name, sep, value = part.partition("=")
        if sep:
            out[name.strip().rpartition(" ")[2]] = value.strip()
    return out


def test_llama_cpp_reports_no_amx_and_nothing_above_the_floor():
    info = system_info()
    flags = features(info)
    assert not any(k.startswith("AMX") and v != "0" for k, v in flags.items()), info
    if llama_build.is_x86():
        for floor in ("AVX", "AVX2", "F16C", "FMA"):
            assert flags.get(floor) == "1", (floor, info)
        # The project's flags switch these off: a native build on an AVX-512 machine would
        # report them on.
        assert not any(k.startswith("AVX512") and v != "0" for k, v in flags.items()), info
        assert flags.get("AVX_VNNI", "0") == "0", info


def test_llama_cpp_was_built_by_the_installer_with_the_projects_flags():
    assert llama_build.stamp_problem() is None, llama_build.stamp_problem()
    package = llama_build.llama_package()
    assert package is not None
    stamp = json.loads((package / llama_build.MARKER).read_text())
    assert stamp["cmake_args"] == list(llama_build.cmake_args())
    if llama_build.is_x86():
        assert "-DGGML_NATIVE=OFF" in stamp["cmake_args"]
        assert "-DGGML_AMX_INT8=OFF" in stamp["cmake_args"]
    # Every native library is hashed, so a wheel swapped in later would not match.
    assert any(name.startswith("libggml") for name in stamp["libraries"])


def test_a_changed_library_is_noticed(tmp_path):
    package = llama_build.llama_package()
    assert package is not None
    copy = tmp_path / "llama_cpp"
    (copy / "lib").mkdir(parents=True)
    (copy / llama_build.MARKER).write_text((package / llama_build.MARKER).read_text())
    for name in json.loads((package / llama_build.MARKER).read_text())["libraries"]:
        (copy / "lib" / name).write_bytes(b"not the library that was built")
    problem = llama_build.stamp_problem(copy)
    assert problem and "changed after packaging/install.py built them" in problem
    assert llama_build.REBUILD_COMMAND in problem


def test_the_floor_is_checked_before_the_llm_starts():
    assert llama_build.missing_cpu_features({"avx", "avx2", "fma", "f16c", "bmi2"}) == []
    if llama_build.is_x86():
        missing = llama_build.missing_cpu_features({"sse4_2", "avx"})
        assert missing == ["AVX2", "FMA", "F16C", "BMI2"]
        message = llama_build.below_floor_message(missing)
        assert "x86-64-v3" in message and "--mode extract" in message


def test_the_loaded_model_runs_on_the_portable_build(llm: LocalLLM):
    assert "AMX_INT8 = 1" not in llm.system_info
    assert llm.count_tokens("專利年費可以預繳嗎？") > 3
