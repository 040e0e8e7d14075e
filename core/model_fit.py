"""Plain-language warnings about how well the models fit a workspace: an encoder that
cannot read much of its text, an LLM that does not write its language."""

from __future__ import annotations

from typing import Any

from core.models import ModelSource

# Above this share of [UNK] tokens semantic search is weak; tuning teaches the characters.
UNKNOWN_WARN_RATIO = 0.2


def warnings(glossary_problem: str | None, unknown: dict[str, Any], encoder_name: str | None,
             llm: ModelSource | None, language: str) -> list[str]:
    """`unknown`: the workspace's encoder.unknown_ratio setting; `llm`: the loaded local
    model's source (None: not loaded, or a server)."""
    out = [glossary_problem] if glossary_problem else []
    ratio = unknown.get("read_ratio", unknown.get("ratio", 0))
    if ratio >= UNKNOWN_WARN_RATIO:
        name = encoder_name or unknown.get("encoder", "the encoder").removeprefix("bundled:")
        out.append(
            f"The encoder {name} cannot read {ratio:.0%} of this workspace's "
            "text (unknown tokens), so semantic search is weak here; choose a multilingual "
            "encoder (patent-desk models set-encoder FOLDER).")
    if llm and llm.languages and language not in llm.languages:
        out.append(
            f"The language model {llm.name} is small and English-only: its answers to "
            "Chinese questions are unreliable. Prefer --mode extract (the official answer), "
            "or choose a bigger multilingual GGUF (patent-desk models set-llm FILE).")
    return out
