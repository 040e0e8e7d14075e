"""Speeds measured on this computer while it did the user's own work: how fast the local LLM
wrote its answers, and how many entries per second the encoder embedded during a fill.

The Models page shows them beside each model, so that a user choosing between a small and a
large model sees what each costs here, not on some benchmark machine. They are kept in one
small JSON file in the data folder (not in a workspace: the speed belongs to the computer),
the last few samples per model, and reported as medians.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

from core import paths
from core.errors import PatentDeskError

FILE = "model-speeds.json"
KEEP = 20  # samples per model: recent enough to follow a new machine or build
MIN_FILL = 32  # fills shorter than this measure the encoder's start-up, not its speed


@dataclass(frozen=True)
class Speed:
    rate: float  # median tokens/s (an LLM) or entries/s (an encoder)
    first_token_s: float | None  # an LLM's median time to its first token
    samples: int
    kind: str  # "llm" | "encoder"

    def short(self) -> str:
        """For a one-line list: `38 tokens/s, first token 2.8 s here`."""
        if self.kind == "llm":
            first = (f", first token {self.first_token_s:.1f} s"
                     if self.first_token_s is not None else "")
            return f"{self.rate:.0f} tokens/s{first} here"
        return f"{self.rate:,.0f} entries/s here"

    def describe(self) -> str:
        if self.kind == "llm":
            first = (f", first token {self.first_token_s:.1f} s"
                     if self.first_token_s is not None else "")
            return (f"{self.rate:.0f} tokens/s{first} (median of {self.samples} "
                    f"answer{'s' if self.samples != 1 else ''} on this computer)")
        return (f"{self.rate:,.0f} entries/s embedded (median of {self.samples} "
                f"fill{'s' if self.samples != 1 else ''} on this computer)")


def _path(home: Path | None) -> Path:
    return (home or paths.data_home()) / FILE


def _read(path: Path) -> dict[str, list[list[float | None]]]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}  # none yet, or damaged: speeds are only ever a hint
    return data if isinstance(data, dict) else {}


def record(model_id: str, rate: float | None, first_token_s: float | None = None,
           home: Path | None = None) -> None:
    """Add one sample for the model `model_id` (a setting's `bundled:NAME` or path).
    Never fails the work it measures: a read-only data folder just keeps no speeds."""
    if not model_id or not rate or rate <= 0:
        return
    try:
        path = _path(home)
        data = _read(path)
        samples = data.setdefault(model_id, [])
        samples.append([round(rate, 2), None if first_token_s is None
                        else round(first_token_s, 2)])
        data[model_id] = samples[-KEEP:]
        handle, tmp = tempfile.mkstemp(prefix=".speeds-", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False)
        os.replace(tmp, path)  # whole or not at all, even with two processes writing
    except (OSError, PatentDeskError):
        return


def measured(model_id: str, kind: str, home: Path | None = None) -> Speed | None:
    """The model's median speed on this computer, or None before its first measurement."""
    try:
        samples = _read(_path(home)).get(model_id) or []
    except PatentDeskError:
        return None
    rates = [float(s[0]) for s in samples if isinstance(s, list) and s and s[0]]
    if not rates:
        return None
    firsts = [float(s[1]) for s in samples if isinstance(s, list) and len(s) > 1 and s[1]]
    return Speed(statistics.median(rates), statistics.median(firsts) if firsts else None,
                 len(rates), kind)
