"""Settings that belong to one computer (a seat), not to the knowledge it shares.

Which LLM answers (a server's URL, or a GGUF's path on this disk), and with how many threads
and how much context, say where this computer sends questions and what it can load. A
workspace file on this laptop keeps them in its own settings table: the file is this
computer's. A workspace in a shared PostgreSQL store does not: one seat's choice there would
point every other seat at its server, or at a file path that exists only on its disk. So for
those workspaces the values live in this computer's data folder (`seat-settings.json`),
keyed by the store's address (without its password) and the workspace's schema.
"""

from __future__ import annotations

import json
from typing import Any

from core import paths

# What points this computer at servers and files: a backup made elsewhere must not redirect
# it, and a shared store must not carry one seat's choice to the others.
MACHINE_SETTINGS = ("llm.url", "models.llm", "llm.n_ctx", "llm.n_threads")

FILE = "seat-settings.json"


def _read() -> dict[str, dict[str, Any]]:
    try:
        stored = json.loads((paths.data_home() / FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # none yet, or damaged: as if nothing was chosen on this seat
    return stored if isinstance(stored, dict) else {}


def _write(everything: dict[str, dict[str, Any]]) -> None:
    paths.write_text_atomic(paths.data_home() / FILE,
                            json.dumps(everything, ensure_ascii=False, indent=1))


def get(place: str, key: str, default: Any = None) -> Any:
    """This seat's value of `key` for the shared workspace at `place`."""
    values = _read().get(place)
    return values.get(key, default) if isinstance(values, dict) else default


def put(place: str, key: str, value: Any | None) -> None:
    """Store (or, with None, forget) this seat's value of `key` for `place`."""
    everything = _read()
    values = everything.get(place) if isinstance(everything.get(place), dict) else {}
    if value is None:
        values.pop(key, None)
    else:
        values[key] = value
    if values:
        everything[place] = values
    else:
        everything.pop(place, None)
    _write(everything)


def move(old: str, new: str | None) -> None:
    """The workspace at `old` was renamed to `new` (or, with None, deleted)."""
    everything = _read()
    values = everything.pop(old, None)
    if values is None:
        return
    if new is not None:
        everything[new] = values
    _write(everything)
