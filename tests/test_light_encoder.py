"""The numpy engine behind a one-second search must give the vectors the full encoder gives:
same tokens, same vectors (cosine >= 0.999), with a query-side LoRA adapter merged in too,
and a cold `patent-desk search` answers hybrid without loading torch."""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.models import bundled_encoder, ready
from core.models.encoder import AdapterSpec, Encoder
from core.models.light import LightEncoder
from core.models.unigram import UnigramTokenizer

from .conftest import REALISTIC_QUERIES, TIPO_FILES

pytestmark = pytest.mark.slow

EDGE_CASES = [
    "", " ", "  a  ", "a ", "\t\n", "ＰＣＴ國際申請　可以主張優先權嗎", "发明专利的审查期限是多久",
    "How long does a patent examination take?", "專利年費\n可以預繳嗎?\t請說明", "a\x00b\x7fc",
    "<s> hi <mask> </s>", "émigré café", "👍🏽 ok", "日本語とEnglishの混在", "▁x", "x" * 3000,
    "商標 trademark 註冊 2024 年 新法", "\u200b零寬\u200b空格",
]


def _texts(limit: int) -> list[str]:
    rows = [row for path in TIPO_FILES
            for row in list(csv.reader(path.open(encoding="utf-8-sig")))[1:]]
    queries = [json.loads(line)["query"] for line in REALISTIC_QUERIES.open(encoding="utf-8")
               if "query" in line]
    picked = random.Random(7).sample([*(r[2] for r in rows), *(r[3] for r in rows),
                                      *queries], limit)
    return EDGE_CASES + picked


@pytest.fixture(scope="module")
def light() -> LightEncoder:
    return LightEncoder(bundled_encoder())


def test_tokens_are_tokenizers_own() -> None:
    from tokenizers import Tokenizer

    path = ready(bundled_encoder()) / "tokenizer.json"
    full = Tokenizer.from_file(str(path))
    full.enable_truncation(512)
    ours = UnigramTokenizer.load(path, 512)
    texts = [prefix + text for text in _texts(600) for prefix in ("", "query: ", "passage: ")]
    differ = [t for t in texts if full.encode(t).ids != ours.encode(t)]
    assert differ == []
    # Loaded again, from the cache written beside tokenizer.json on first use.
    assert (path.parent / "unigram.marshal").is_file()
    assert UnigramTokenizer.load(path, 512).encode(texts[30]) == full.encode(texts[30]).ids


def test_vectors_match_the_full_encoder(light: LightEncoder, encoder: Encoder) -> None:
    texts = _texts(50)
    for mine, theirs in ((light.encode_queries(texts), encoder.encode_queries(texts)),
                         (light.encode_documents(texts), encoder.encode_documents(texts))):
        cosines = np.sum(mine * theirs, axis=1)
        assert cosines.min() >= 0.999, texts[int(cosines.argmin())]
    assert light.id == encoder.id and light.dim == encoder.dim


def test_minilm_vectors_match(minilm: Encoder) -> None:
    light = LightEncoder(bundled_encoder("all-MiniLM-L6-v2"))
    texts = _texts(40)
    cosines = np.sum(light.encode_queries(texts) * minilm.encode_queries(texts), axis=1)
    assert cosines.min() >= 0.999


def test_a_query_adapter_merges_into_the_same_vectors() -> None:
    import torch

    encoder = Encoder(bundled_encoder())  # its own: the adapter changes it
    spec = AdapterSpec("query", {"r": 4, "lora_alpha": 8, "lora_dropout": 0.0,
                                 "target_modules": ["query", "value"]}, id=5)
    encoder.attach_adapter(spec)
    torch.manual_seed(0)
    with torch.no_grad():  # a trained adapter's B is not zero; a fresh one's is
        for name, weight in encoder.model.named_parameters():
            if "lora_B" in name:
                weight.normal_(0, 0.2)
    state = {k: v.detach().numpy() for k, v in encoder.adapter_state().items()}
    merged = LightEncoder(bundled_encoder(), (5, "query"), spec.lora, state)
    texts = _texts(30)
    tuned = encoder.encode_queries(texts)
    cosines = np.sum(merged.encode_queries(texts) * tuned, axis=1)
    assert cosines.min() >= 0.999
    base = LightEncoder(bundled_encoder()).encode_queries(texts)
    assert np.sum(base * tuned, axis=1).mean() < 0.99  # the adapter did change them
    assert merged.doc_space_id == encoder.doc_space_id  # items keep the base vectors


def test_a_cold_search_is_hybrid_without_torch(small_tipo_workspace: str,
                                               data_home: Path) -> None:
    """What a user types once: the answer carries the dense channel, and torch (8 s of a
    ten-second search before) was never imported."""
    script = ("import sys, json; from core.cli import main; "
              f"code = main(['--workspace', {small_tipo_workspace!r}, 'search', "
              "'專利年費可以預繳嗎', '--json']); "
              "print(json.dumps({'torch': 'torch' in sys.modules, 'code': code}))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "PATENT_DESK_HOME": str(data_home)},
                          timeout=300, check=False)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    results, status = lines[0]["results"], lines[-1]
    assert status == {"torch": False, "code": 0}, done.stderr
    assert any("dense" in hit["channels"] for hit in results)


def test_unreadable_share_is_the_encoders(light: LightEncoder, encoder: Encoder,
                                         minilm: Encoder) -> None:
    texts = _texts(60) + ["<s>" + "專利" * 400]
    assert light.unknown_ratio(texts) == pytest.approx(encoder.unknown_ratio(texts), abs=1e-9)
    weak = LightEncoder(bundled_encoder("all-MiniLM-L6-v2"))
    assert weak.unknown_ratio(texts) == pytest.approx(minilm.unknown_ratio(texts), abs=1e-9)
    assert weak.unknown_ratio(texts) > 0.3  # MiniLM cannot read most Chinese
