"""Settings saved for every workspace on this computer: `<data home>/settings.json` (the
store address, verbose logging), outside any workspace. A workspace's own settings live in
the workspace (core.store); this file is never required: unreadable, it reads as empty."""

from __future__ import annotations

import json
from pathlib import Path

from core import paths
from core.errors import PatentDeskError


def settings_file() -> Path:
    return paths.data_home() / "settings.json"


def _settings() -> dict:
    try:
        data = json.loads(settings_file().read_text("utf-8"))
    except (OSError, ValueError, PatentDeskError):
        return {}
    return data if isinstance(data, dict) else {}


def shared_setting(key: str) -> object:
    """A setting saved for every workspace (settings.json), or None."""
    return _settings().get(key)


def set_shared_setting(key: str, value: object) -> None:
    """Save a setting for every workspace; None removes it."""
    data = _settings()
    if value is None:
        data.pop(key, None)
    else:
        data[key] = value
    paths.write_text_atomic(settings_file(), json.dumps(data, indent=1))
