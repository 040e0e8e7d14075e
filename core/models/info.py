"""What the Models page shows: each model a workspace uses, its size on disk and whether it
serves the workspace's language (known from the registry, without loading the model)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import ModelError
from core.models.catalogue import encoder_source, installed_sources, llm_source
from core.models.registry import ModelSource
from core.models.speed import Speed, measured

if TYPE_CHECKING:
    from core.desk import Desk

LANGUAGE_NAMES = {"zh": "Chinese", "en": "English", "ja": "Japanese", "ko": "Korean"}
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
    id: str = ""  # what a setting names it by: bundled:NAME, or the path
    default: bool = False  # the one a workspace without a choice uses
    speed: Speed | None = None  # measured on this computer as it worked (core.models.speed)

    @property
    def summary(self) -> str:
        """One line for a list: name, size, languages, speed here."""
        size = f"{self.size_bytes / 1e6:,.0f} MB" if self.size_bytes else "size unknown"
        langs = ", ".join(LANGUAGE_NAMES.get(x, x) for x in self.languages) or "languages unknown"
        return f"{self.name} ({size}; {langs}; {self.speed_text(short=True)})"

    def speed_text(self, short: bool = False) -> str:
        if self.speed is None:
            return "speed not measured here yet" if short else (
                "not measured on this computer yet: " + (
                    "it is measured as it answers" if self.kind == "llm"
                    else "it is measured as it embeds entries"))
        return self.speed.short() if short else self.speed.describe()


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
    default = (encoder_source if source.kind == "encoder" else llm_source)(None)
    size = disk_size(source.path) or source.expected_size
    return ModelInfo(source.kind, source.name, str(source.path), source.package is not None,
                     size, source.languages, warning, source.id, source.id == default.id,
                     measured(source.id, source.kind))


def installed_models(kind: str, language: str) -> list[ModelInfo]:
    """Every bundled model of this kind that is installed here, the default first (a
    derived model not built yet counts the size of what it is built from)."""
    return [describe(source, language) for source in installed_sources(kind)]


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
