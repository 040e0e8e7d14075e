"""The workspace store, where all the SQL lives: a workspace is one SQLite file (WAL) with
items, FTS5 tokens, sqlite-vec vectors, settings and history, or a schema of a shared
PostgreSQL store with pgvector. `open` picks the backend; both are a `WorkspaceStore`."""

from core.store.backend import SQLITE, exists, list_workspaces, names, open, open_workspace
from core.store.protocol import WorkspaceStore
from core.store.transfer import restore_workspace
from core.store.workspace import ItemChange, Workspace

__all__ = ["SQLITE", "ItemChange", "Workspace", "WorkspaceStore", "exists", "list_workspaces",
           "names", "open", "open_workspace", "restore_workspace"]
