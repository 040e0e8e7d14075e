"""What the Models page shows: each model a workspace uses, its size on disk and whether it
serves the workspace's language (known from the registry, without loading the model)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import ModelError
from core.models.catalogue import encoder_source, llm_source
from core.models.registry import ModelSource

if TYPE_CHECKING:
    from core.desk import Desk

LANGUAGE_NAMES = {"zh": "Chinese", "en": "English"}
_CONSEQUENCE = {
    "llm": "its generated answers and LLM query angles are unreliable here; prefer the "
           "official answer, or choose a multilingual GGUF file",
    "encoder": "semantic (dense) search is weak here and hybrid search leans on keywords; "
               "choose a multilingual sentence-transformers folder",
}


@dataclass(frozen=True)
class ModelInfo:
    kind: str  # "encoder" | "llm"
    name: str
    path: str
    bundled: bool
    size_bytes: int
    languages: tuple[str, ...]  # () = not known
    warning: str | None  # why it may not serve this workspace, or why it cannot be used


def disk_size(path: Path) -> int:
    """A file's size, or the total of a folder's files (an encoder is a folder)."""
    if path.is_file():
        return path.stat().st_size
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return 0


def describe(source: ModelSource, language: str) -> ModelInfo:
    warning = None
    if source.languages and language not in source.languages:
        known = ", ".join(LANGUAGE_NAMES.get(x, x) for x in source.languages)
        warning = (f"{source.name} was trained on {known} only, and this workspace is mostly "
                   f"{LANGUAGE_NAMES.get(language, language)}: {_CONSEQUENCE[source.kind]}.")
    return ModelInfo(source.kind, source.name, str(source.path), source.package is not None,
                     disk_size(source.path), source.languages, warning)


def models_in_use(desk: Desk) -> list[ModelInfo]:
    """The encoder and the LLM the workspace's settings name (bundled when none is set)."""
    language = desk.language()
    out = []
    for kind, find in (("encoder", encoder_source), ("llm", llm_source)):
        setting = desk.ws.get_setting(f"models.{kind}")
        try:
            out.append(describe(find(setting), language))
        except ModelError as exc:  # a chosen file was moved or deleted since
            out.append(ModelInfo(kind, Path(setting).name, setting, False, 0, (), str(exc)))
    return out
