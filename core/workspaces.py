"""Managing workspaces as a whole: list, create, rename, delete.

A workspace is one SQLite file plus, while it is open, its WAL side files. Renaming or
deleting must move all of them together, and must happen while no Desk has the file open
(the caller closes it first: on Windows an open file cannot be moved at all, and elsewhere
a connection would keep writing to the old name). In a shared PostgreSQL store
(core.store.postgres) a workspace is a schema, renamed or dropped by the server.
"""

from __future__ import annotations

from pathlib import Path

from core import paths
from core.errors import WorkspaceError
from core.store import exists, known_files, list_workspaces, open_workspace, pg_server
from core.store.address import store_url

__all__ = ["check_new_name", "create_workspace", "delete_workspace", "list_workspaces",
           "rename_workspace", "workspace_exists"]

_SIDE_FILES = ("-wal", "-shm")


def _files(name: str) -> list[Path]:
    main = paths.workspace_path(name)
    return [main, *(main.with_name(main.name + s) for s in _SIDE_FILES)]


def workspace_exists(name: str) -> bool:
    return exists(name)


def _require(name: str) -> None:
    if not workspace_exists(name):
        raise WorkspaceError(f"there is no workspace '{name}'; choose one of: "
                             + (", ".join(list_workspaces()) or "(none yet)"))


def create_workspace(name: str) -> str:
    """Create an empty workspace; returns its name. Refuses a name already in use."""
    name = paths.check_workspace_name(name.strip())
    if workspace_exists(name):
        raise WorkspaceError(f"a workspace named '{name}' already exists; choose another name")
    open_workspace(name).close()
    return name


def check_new_name(old: str, new: str) -> str:
    """The cleaned new name if `old` can be renamed to it, else WorkspaceError (so a caller
    can refuse before it closes the open workspace)."""
    new = paths.check_workspace_name(new.strip())
    _require(old)
    # Compare case-insensitively too: on macOS and Windows 'Demo' and 'demo' are one file.
    if any(n.casefold() == new.casefold() for n in list_workspaces() if n != old):
        raise WorkspaceError(f"a workspace named '{new}' already exists; choose another name")
    return new


def rename_workspace(old: str, new: str) -> str:
    """Give a closed workspace a new name; returns the new name."""
    new = check_new_name(old, new)
    if new == old:
        return new
    url = store_url()
    if url:
        pg_server.rename(url, old, new)
        return new
    moved: list[tuple[Path, Path]] = []
    try:
        for src, dst in zip(_files(old), _files(new), strict=True):
            if src.exists():
                src.rename(dst)
                moved.append((src, dst))
    except OSError as exc:
        for src, dst in reversed(moved):  # put back what moved: never half a workspace
            dst.rename(src)
        raise WorkspaceError(f"cannot rename workspace '{old}': {exc.strerror}; close other "
                             "programs that use it and retry") from None
    known_files.moved(_files(old)[0], _files(new)[0])  # ours still: no rebuild on open
    return new


def delete_workspace(name: str) -> None:
    """Delete a closed workspace's file for good (the caller asks the user first)."""
    _require(name)
    url = store_url()
    if url:
        pg_server.drop(url, name)
        return
    try:
        for file in _files(name):
            file.unlink(missing_ok=True)
        known_files.forget(_files(name)[0])
    except OSError as exc:
        raise WorkspaceError(f"cannot delete workspace '{name}': {exc.strerror}; close other "
                             "programs that use it and retry") from None
