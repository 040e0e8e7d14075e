"""What a workspace derives from its items: the lexical index, the item vectors and the
settings measured on them (core.store.measured reads and writes those). A file that comes
from elsewhere (a restored backup, a file copied into the workspaces folder by hand) brings
its own copies, which nothing vouches for: a forged index row can point a word at the wrong
item, a vector can place an item anywhere. Such a file's derived data is rebuilt here."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.store.protocol import WorkspaceStore

FUSION = "fusion"
RELEVANCE = "relevance"
READING = "encoder.unknown_ratio"
MEASURED_SETTINGS = (FUSION, RELEVANCE, READING)


def rebuild_derived(ws: WorkspaceStore) -> None:
    """Index every item afresh, forget the vectors (the fill embeds them here) and what was
    measured on them; call inside ws.transaction()."""
    ws.rebuild_lexical_index()
    ws.drop_vectors()
    for key in MEASURED_SETTINGS:
        ws.delete_setting(key)
