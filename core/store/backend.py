"""Which store holds a workspace: the one place that picks the backend (a SQLite file,
core.store.workspace, or a schema of a shared PostgreSQL store, core.store.postgres).

A store is named as `migrate-store --to/--from` and PATENT_DESK_STORE name it: 'sqlite' for
this computer's files, or a postgresql:// address; None is the store in use (what
core.store.address.store_url says).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from core import paths
from core.errors import WorkspaceError
from core.store.address import check_url, store_url
from core.store.pg_server import list_names
from core.store.postgres import PgWorkspace
from core.store.workspace import Workspace

if TYPE_CHECKING:
    from core.store.protocol import WorkspaceStore

SQLITE = "sqlite"  # this computer's files, whatever store is in use or saved


def open(name: str | os.PathLike[str], store: str | None = None) -> WorkspaceStore:
    """Open a workspace, creating it where it is new.

    `name`: a workspace's name, or the path of a workspace file (a Path, or text with a folder
    in it: `./firm.sqlite`), which is always a SQLite workspace named after the file.
    `store`: where a named workspace lives: None the store in use (PATENT_DESK_STORE, else
    the one saved in Settings, else this computer's files), 'sqlite' this computer's files,
    or a postgresql:// address."""
    if _is_path(name):
        if store not in (None, SQLITE):
            raise WorkspaceError(f"{os.fspath(name)!r} is a workspace file; a file is opened "
                                 "from this computer, not from a PostgreSQL store")
        return Workspace(Path(name).expanduser())
    url = _url(store)
    if url:
        return PgWorkspace(url, paths.check_workspace_name(name))
    return Workspace(paths.workspace_path(name), name)


def exists(name: str, store: str | None = None) -> bool:
    """Whether workspace `name` is in `store` (opening it would create it)."""
    url = _url(store)
    if url:
        return name in list_names(url)
    return paths.workspace_path(name).exists()


def names(store: str | None = None) -> list[str]:
    """The workspaces of `store`, by name."""
    url = _url(store)
    if url:
        return list_names(url)
    return sorted(p.stem for p in paths.workspaces_dir().glob("*.sqlite"))


def open_workspace(name: str) -> WorkspaceStore:
    """The workspace `name` in the store in use (a name only, never a file's path)."""
    return open(paths.check_workspace_name(name))


def list_workspaces() -> list[str]:
    """The workspaces of the store in use."""
    return names()


def _url(store: str | None) -> str | None:
    """The PostgreSQL address `store` names, or None for this computer's files."""
    if store is None:
        return store_url()
    if store == SQLITE:
        return None
    return check_url(store, f"or name {SQLITE!r}")


def _is_path(name: str | os.PathLike[str]) -> bool:
    # A workspace's name holds no '/' or '\' (core.paths.check_workspace_name).
    return not isinstance(name, str) or any(sep in name for sep in "/\\")
