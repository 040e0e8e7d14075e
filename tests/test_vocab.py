"""Teaching an English encoder (all-MiniLM-L6-v2) the corpus's Chinese characters."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch

from core.models.encoder import AdapterSpec, Encoder
from core.models.vocab import coverage, free_slots, unknown_characters
from tests.conftest import TIPO_FILES

# Loads models, trains, or starts the program: `pytest -m "not slow"` leaves it out.
pytestmark = pytest.mark.slow


def _tipo_texts() -> list[str]:
    texts = []
    for path in TIPO_FILES:
        with path.open(encoding="utf-8") as f:
            texts += [" ".join(row.values()) for row in csv.DictReader(f)]
    return texts


def test_free_slots_cover_almost_every_unknown_character_of_the_tipo_corpus(minilm: Encoder):
    encoder = minilm  # the English encoder: the one that needs teaching
    tokenizer = encoder.model[0].tokenizer
    texts = _tipo_texts()
    chars = unknown_characters(tokenizer, texts, len(free_slots(tokenizer)))
    assert len(chars) == len(free_slots(tokenizer)) == 994
    assert coverage(tokenizer, texts) < 0.5  # MiniLM reads about a third of it as is
    encoder.attach_adapter(AdapterSpec("symmetric", {"r": 4, "target_modules": ["query"]},
                                       vocab=tuple(chars)))
    try:
        assert coverage(encoder.model[0].tokenizer, texts) > 0.99
    finally:
        encoder.detach_adapter()
    assert coverage(encoder.model[0].tokenizer, texts) < 0.5


def test_taught_characters_travel_with_the_adapter_and_detach_restores_the_base(
        minilm: Encoder):
    encoder = minilm
    question = "專利審查獲准"
    chars = tuple(unknown_characters(encoder.model[0].tokenizer, [question], 10))
    assert chars  # the base encoder cannot read some of these characters
    base = encoder.encode_queries([question])
    spec = AdapterSpec("symmetric", {"r": 4, "target_modules": ["query"]}, vocab=chars)
    encoder.attach_adapter(spec)
    with torch.no_grad():  # stand-in for training: move the new characters' rows
        for name, param in encoder.model.named_parameters():
            if "trainable_tokens" in name:
                param.add_(torch.randn_like(param))
    taught = encoder.encode_queries([question])
    state = {k: v.clone() for k, v in encoder.adapter_state().items()}
    assert any("trainable_tokens" in k for k in state)
    encoder.detach_adapter()
    np.testing.assert_allclose(encoder.encode_queries([question]), base, atol=1e-5)

    encoder.attach_adapter(spec, state)  # as when a stored adapter is loaded
    try:
        np.testing.assert_allclose(encoder.encode_queries([question]), taught, atol=1e-5)
        assert not np.allclose(taught, base, atol=1e-3)
        # Simplified input is folded to the same characters
        np.testing.assert_allclose(encoder.encode_queries(["专利审查获准"]), taught, atol=1e-5)
    finally:
        encoder.detach_adapter()


def test_an_adapter_used_for_one_block_gives_the_encoder_back_as_it_was(minilm: Encoder):
    """How tuning and `eval --adapter` measure other adapters: the active one (here one that
    taught characters) comes back with its weights, also when the block is cancelled."""
    encoder = minilm
    question = "專利審查獲准"
    chars = tuple(unknown_characters(encoder.model[0].tokenizer, [question], 10))
    spec = AdapterSpec("symmetric", {"r": 4, "target_modules": ["query"]}, id=1, vocab=chars)
    encoder.attach_adapter(spec)
    try:
        with torch.no_grad():
            for name, param in encoder.model.named_parameters():
                if "trainable_tokens" in name or "lora_B" in name:
                    param.add_(torch.randn_like(param) * 0.1)
        active = encoder.encode_queries([question])
        with pytest.raises(KeyboardInterrupt), encoder.using(None):
            assert encoder.adapter is None
            raise KeyboardInterrupt  # stands in for Cancel in the middle of a block
        other = AdapterSpec("query", {"r": 4, "target_modules": ["query"]})
        with encoder.using(other):
            assert encoder.adapter == other
        assert encoder.adapter == spec
        np.testing.assert_allclose(encoder.encode_queries([question]), active, atol=1e-5)
    finally:
        encoder.detach_adapter()
