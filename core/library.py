"""The items of a workspace as a library a person browses and edits by hand.

Listing is split in two so a view of 100k items stays fast: `item_ids` answers "which items,
in which order" in one query, and the view fetches only the pages it shows (`get_items`).
Edits go through the same path as an import (Workspace.apply_changes in one transaction),
so a hand-edited item is re-indexed exactly like an imported one; a changed question loses
its vector, which the fill (core.vectors) embeds again.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.errors import InputError
from core.ingest import question_key
from core.records import Item, NewItem, document_text
from core.retrieve import LEXICAL_WEIGHTS
from core.store import ItemChange, WorkspaceStore
from core.text import clean, token_runs

MANUAL_SOURCE = ""  # source_file of items typed in by hand (no spreadsheet behind them)

__all__ = ["add_item", "categories", "delete_items", "filter_parts", "get_items", "item_ids",
           "list_items", "update_item"]


def filter_parts(text: str) -> list[tuple[list[str], bool]]:
    """The parts an item must contain to pass a filter on `text`: (tokens, prefix) each.

    A filter narrows as the user types, so every part must match (AND), unlike search, which
    ranks partial matches. A CJK run is a phrase of its bigrams, which the index holds in
    order, so it matches only where the run occurs as written (after width and
    Simplified/Traditional folding). The last part is a prefix: 'pat' already finds
    'patent'; so is a lone CJK character, which the index holds only inside bigrams."""
    runs = token_runs(text)
    return [(run, n == len(runs) - 1 or (len(run[0]) == 1 and not run[0].isascii()))
            for n, run in enumerate(runs)]


def item_ids(ws: WorkspaceStore, category: str | None = None, text_filter: str = "") -> list[int]:
    """The ids to show, in display order: best lexical match first when filtering by text,
    else by id (import order). `category` None: all; '' : items without a category."""
    parts = filter_parts(text_filter)
    if not parts:
        return ws.item_ids(category)
    ranked = ws.filter_ids(parts, LEXICAL_WEIGHTS)
    if category is None:
        return ranked
    keep = set(ws.item_ids(category))
    return [i for i in ranked if i in keep]


def get_items(ws: WorkspaceStore, ids: Sequence[int]) -> list[Item]:
    """One page of items, in the order of `ids`."""
    return ws.get_items(ids)


def list_items(ws: WorkspaceStore, offset: int, limit: int, category: str | None = None,
               text_filter: str = "") -> list[Item]:
    """A page of the filtered list (for callers that do not keep the id list)."""
    ids = item_ids(ws, category, text_filter)
    return ws.get_items(ids[max(offset, 0): max(offset, 0) + max(limit, 0)])


def categories(ws: WorkspaceStore) -> list[tuple[str, int]]:
    """(category, number of items), by name; '' is the items without a category."""
    return ws.category_counts()


def _checked(question: str, answer: str, category: str) -> tuple[str, str, str]:
    question, answer, category = clean(question), answer.strip(), clean(category)
    if not question:
        raise InputError("the question is empty; type the question")
    if not answer:
        raise InputError("the answer is empty; type the answer")
    return question, answer.replace("\r\n", "\n"), category


def _store(ws: WorkspaceStore, item: NewItem, item_id: int | None, text_changed: bool) -> Item:
    key = question_key(item.question)
    other = ws.item_id_for_question(key)
    if other is not None and other != item_id:
        raise InputError(f"item #{other} already has this question; edit that item instead")
    with ws.transaction():
        (stored_id,) = ws.apply_changes([ItemChange(item, key, item_id)])
        if text_changed:
            ws.delete_vectors([stored_id])
    return ws.get_items([stored_id])[0]


def add_item(ws: WorkspaceStore, question: str, answer: str, category: str = "") -> Item:
    """Add an item typed in by hand: searchable lexically at once, semantically once the
    fill has embedded it."""
    question, answer, category = _checked(question, answer, category)
    return _store(ws, NewItem(question, answer, category, MANUAL_SOURCE), None, False)


def update_item(ws: WorkspaceStore, item_id: int, question: str, answer: str,
                category: str = "") -> Item:
    """Change an item's text; it is re-indexed, and its vector is dropped when the embedded
    text changed. Where it came from (file, row, import time) is kept."""
    (old,) = ws.get_items([item_id]) or [None]
    if old is None:
        raise InputError(f"item #{item_id} no longer exists; it may have been deleted")
    question, answer, category = _checked(question, answer, category)
    if (question, answer, category) == (old.question, old.answer, old.category):
        return old
    item = NewItem(question, answer, category, old.source_file, old.source_row, old.extra)
    # Re-embed only when the embedded text changed: an answer edit keeps the vector.
    same_text = document_text(item) == document_text(old)
    return _store(ws, item, item_id, not same_text)


def delete_items(ws: WorkspaceStore, ids: Sequence[int]) -> int:
    """Delete items (with their index rows and synthetic queries); returns how many."""
    existing = [it.id for it in ws.get_items(list(dict.fromkeys(ids)))]
    with ws.transaction():
        ws.delete_items(existing)
    return len(existing)
