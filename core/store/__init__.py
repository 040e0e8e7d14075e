"""The workspace store: one SQLite file (WAL) with items, FTS5 tokens, sqlite-vec vectors,
settings and history. Everything that touches SQL lives in this package."""

from core.store.transfer import list_workspaces, open_workspace, restore_workspace
from core.store.workspace import ItemChange, Workspace

__all__ = ["ItemChange", "Workspace", "list_workspaces", "open_workspace", "restore_workspace"]
