"""Reviewing what tuning trains on and produced: the synthetic queries (accept, reject, edit)
and the adapter history. The GUI's Improve retrieval page shows exactly these rows.

Training reads `QueryStore.list()`, whose default statuses leave rejected queries out and
take edited ones with their new text, so a review takes effect at the next tune run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sqlean as sqlite3

from core.errors import PatentDeskError
from core.store import WorkspaceStore
from core.store.tuning import AdapterStore, QueryStore, StoredQuery

STATUSES = ("generated", "accepted", "edited", "rejected")
REVIEW_ACTIONS = ("accepted", "rejected")  # accepting a rejected query takes it back


@dataclass(frozen=True)
class ReviewRow:
    query: StoredQuery
    item_question: str  # the entry this query should retrieve


@dataclass(frozen=True)
class AdapterRow:
    id: int
    created_at: str
    kind: str
    base_encoder: str
    active: bool
    hit1: float | None  # hybrid retrieval of the held-out queries with this adapter
    hit10: float | None
    mrr10: float | None
    train_queries: int | None
    base: dict  # per retriever, held-out metrics of the base encoder at training time
    heldout: dict  # the same with this adapter


def query_rows(ws: WorkspaceStore, angle: str | None = None) -> list[ReviewRow]:
    """Every synthetic query, rejected ones included (a rejection can be undone)."""
    queries = QueryStore(ws).list(STATUSES, angle=angle)
    ids = list(dict.fromkeys(q.item_id for q in queries))
    questions = {it.id: it.question for it in ws.get_items(ids)}
    return [ReviewRow(q, questions.get(q.item_id, "")) for q in queries]


def angles(ws: WorkspaceStore) -> list[str]:
    return sorted({q.angle for q in QueryStore(ws).list(STATUSES)})


def review_query(ws: WorkspaceStore, query: StoredQuery, status: str,
                 text: str | None = None) -> StoredQuery:
    """Accept or reject a query, or (text given) replace its text; returns it as now stored."""
    store = QueryStore(ws)
    if text is not None:
        text = text.strip()
        if not text:
            raise PatentDeskError("a query cannot be empty; reject it instead")
        if text == query.text:
            return query
        try:
            store.set_status(query.id, "edited", text)
        except sqlite3.IntegrityError:
            raise PatentDeskError(f"this entry already has the {query.angle} query {text!r}"
                                  ) from None
        return replace(query, text=text, status="edited")
    if status not in REVIEW_ACTIONS:
        raise PatentDeskError(f"review status must be one of {', '.join(REVIEW_ACTIONS)}")
    store.set_status(query.id, status)
    return replace(query, status=status)


def adapter_rows(ws: WorkspaceStore) -> list[AdapterRow]:
    """The adapter history, newest first, with each one's held-out hybrid metrics."""
    rows = []
    for info in reversed(AdapterStore(ws).list()):
        heldout = info.metrics.get("heldout", {})
        hybrid = heldout.get("hybrid", {})
        rows.append(AdapterRow(info.id, info.created_at, info.kind, info.base_encoder,
                               info.active, hybrid.get("hit@1"), hybrid.get("hit@10"),
                               hybrid.get("mrr@10"), info.metrics.get("train_queries"),
                               info.metrics.get("base", {}), heldout))
    return rows
