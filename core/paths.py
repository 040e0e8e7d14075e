"""Where data lives: the user-data directory, or PATENT_DESK_HOME when set."""

from __future__ import annotations

import os
import re
from pathlib import Path

import platformdirs

from core.errors import WorkspaceError

HOME_ENV = "PATENT_DESK_HOME"
CACHE_ENV = "PATENT_DESK_CACHE"
_NAME_RE = re.compile(r"[\w\-. ]{1,64}", re.UNICODE)


def _make(path: Path, fix: str) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(f"cannot create the folder {path}: {exc.strerror}; {fix}") from None
    return path


def data_home() -> Path:
    """The folder holding every workspace, created on first use."""
    override = os.environ.get(HOME_ENV)
    home = Path(override) if override else Path(platformdirs.user_data_dir("patent-desk", False))
    return _make(home, f"set {HOME_ENV} to a writable folder")


def workspaces_dir() -> Path:
    return _make(data_home() / "workspaces",
                 f"make the data folder writable or set {HOME_ENV} to a writable folder")


# Names Windows reserves for devices, with or without an extension: CON.sqlite is no file.
_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)),
            *(f"LPT{n}" for n in range(1, 10))}


def check_workspace_name(name: str) -> str:
    if not _NAME_RE.fullmatch(name) or name.startswith(".") or name.endswith((".", " ")):
        raise WorkspaceError(
            f"workspace name {name!r} is not allowed: use letters, digits, spaces, '-', '_' or "
            "'.', not at the start or the end")
    if name.split(".")[0].strip().upper() in _DEVICES:
        raise WorkspaceError(f"workspace name {name!r} is not allowed: Windows reserves it for "
                             "a device; choose another name")
    return name


def cache_dir() -> Path:
    """Caches that can be rebuilt at any time (jieba's dictionary cache, say): in the data
    home, never in a shared /tmp where another user could plant one."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen:  # tests share one across their data homes; a user may keep it elsewhere
        return _make(Path(chosen).expanduser(), f"set {CACHE_ENV} to a writable folder")
    return _make(data_home() / "cache", f"set {HOME_ENV} to a writable folder")


def workspace_path(name: str) -> Path:
    return workspaces_dir() / f"{check_workspace_name(name)}.sqlite"


def resource_dir() -> Path:
    """The bundled resources (demo corpus, prompts, icons), wherever the package is installed.
    From the package's own file: in a PyInstaller bundle importlib.resources hands back a
    MultiplexedPath, which is not a folder name."""
    import resources

    return Path(resources.__file__).resolve().parent


# The workspace a Desk fills from demo_files() the first time it is opened.
DEMO_WORKSPACE = "demo"


def demo_files() -> list[Path]:
    return sorted((resource_dir() / "demo").glob("*.csv"))


def write_text_atomic(target: Path, text: str, private: bool = False) -> None:
    """Write `text` beside `target`, then swap it in: a kill mid-write leaves the old file
    whole. `private` makes the file readable by this user only (mode 0600) from the start,
    so a password never sits in a file others may read, not even for a moment."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                         0o600 if private else 0o644)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, target)
        if private:
            os.chmod(target, 0o600)  # the umask cannot widen it, but an old file's mode can
    finally:
        temporary.unlink(missing_ok=True)
