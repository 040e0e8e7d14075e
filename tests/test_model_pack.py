"""Model packs: an agency's own models replace the tiny defaults, checked by sha256."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from core.models import bundled_encoder, bundled_llm
from core.models.catalogue import SMOLLM2
from core.models.pack import write_pack
from tests.conftest import TIPO_FILES, run_cli

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow


def _pack(tmp_path: Path) -> Path:
    """A pack made the way packaging/build.py makes one, from copies of the bundled models
    under the names an agency's own models would have."""
    llm = tmp_path / "Agency-Chat-7B.Q4_K_M.gguf"
    shutil.copy(bundled_llm(SMOLLM2.name).path, llm)  # the smallest bundled GGUF
    encoder = tmp_path / "agency-encoder"
    shutil.copytree(bundled_encoder().path, encoder)
    pack = tmp_path / "pack"
    write_pack(pack, llm=llm, encoder=encoder, languages=("zh", "en"))
    return pack


def test_a_model_pack_becomes_the_default_and_answers(tmp_path: Path, data_home: Path):
    pack = _pack(tmp_path)
    manifest = json.loads((pack / "pack.json").read_text())
    assert manifest["llm"]["files"] == {
        "Agency-Chat-7B.Q4_K_M.gguf": bundled_llm(SMOLLM2.name).pinned[0].sha256}
    env = {"PATENT_DESK_MODEL_PACK": str(pack)}
    imported = run_cli("import", str(TIPO_FILES[0]), home=data_home, env=env)
    assert imported.returncode == 0, imported.stderr
    shown = json.loads(run_cli("models", "--json", home=data_home, env=env).stdout)
    assert shown["llm"] == "bundled:Agency-Chat-7B.Q4_K_M"
    assert shown["encoder"] == "bundled:agency-encoder"
    assert not any("English" in w for w in shown["warnings"])  # the pack says it serves zh
    asked = run_cli("ask", "專利師可以同時執業嗎", "--mode", "generate", "--json",
                    home=data_home, env=env)
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["model"] == "Agency-Chat-7B.Q4_K_M"


def test_a_damaged_pack_is_refused_in_one_line(tmp_path: Path, data_home: Path):
    pack = _pack(tmp_path)
    gguf = pack / "llm" / "Agency-Chat-7B.Q4_K_M.gguf"
    with open(gguf, "r+b") as handle:
        handle.seek(5_000_000)
        handle.write(b"\0" * 64)
    env = {"PATENT_DESK_MODEL_PACK": str(pack)}
    assert run_cli("import", str(TIPO_FILES[0]), home=data_home, env=env).returncode == 0
    asked = run_cli("ask", "專利師可以同時執業嗎", "--mode", "generate", home=data_home, env=env)
    [error] = [line for line in asked.stderr.splitlines() if line.startswith("error")]
    assert asked.returncode == 2 and "Traceback" not in asked.stderr
    assert str(gguf) in error and "failed its checksum" in error
    assert error.endswith(f"copy the model pack again ({pack})")


def test_a_malformed_pack_file_is_one_line(tmp_path: Path, data_home: Path):
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "pack.json").write_text('{"llm": {"name": "half-written"}}', encoding="utf-8")
    shown = run_cli("models", home=data_home, env={"PATENT_DESK_MODEL_PACK": str(pack)})
    assert shown.returncode == 2 and "Traceback" not in shown.stderr
    assert f"model pack {pack} cannot be read (KeyError" in shown.stderr
