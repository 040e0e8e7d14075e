"""Finding, checking and loading the models: the sentence encoder and the GGUF LLM."""

from core.models.catalogue import bundled_encoder, bundled_llm, encoder_source, llm_source
from core.models.registry import ModelSource, check_encoder_dir, check_gguf, ready, verify

__all__ = [
    "ModelSource", "bundled_encoder", "bundled_llm", "check_encoder_dir", "check_gguf",
    "encoder_source", "llm_source", "ready", "verify",
]
