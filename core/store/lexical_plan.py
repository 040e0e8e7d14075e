"""Which items a lexical search scores, so that its cost stays bounded at any size.

BM25 over FTS5 scores every item holding any query bigram, so its cost grows with the
bigrams' document frequencies: at a million items a query made of common bigrams (申請, 專利)
scored most of the corpus and took over a second at p95 (docs/benchmarks-full.md). Above
COMMON_ITEMS items, a bigram held by more than COMMON_ITEMS items is "common", and the
search scores the items that hold a rarer query bigram, or all of its common ones:
`r1 OR r2 OR (c1 AND c2)`; a single common bigram beside rare ones is left out. Each scored
item gets the BM25 of every bigram in that expression; what is skipped are items holding
only some of the common bigrams, which rarely make the top (see the threshold below).
Common bigrams of one word co-occur (申請 and 請案 in 申請案), so their AND can still hold
hundreds of thousands of items: where it would take the scored items past SCORED_ITEMS,
and rare bigrams are there to rank by, it is left out too. At a million items lexical p95
went 400 -> 181 ms while the top 10 kept 0.98 of full BM25's (0.99 before; the search
stage, docs/benchmarks-scale.md).

Up to COMMON_ITEMS items nothing changes, so no workspace of the demo's size ranks
differently. A bigram's frequency is counted up to COMMON_ITEMS + 1 matches only, which
bounds the counting too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

# A bigram held by more than 4% of a million items. The same share of the demo left lexical
# Hit@1 on the held-out user-style queries as it was (0.514 -> 0.528), while 2% cost 5.6
# points (python -m tests.benchmarks.lexical_bound); at 1M items p95 1,075 -> 422 ms
# (docs/benchmarks-scale.md, measured beside other load).
COMMON_ITEMS = 40_000
# At most this many items matched through rare bigrams (the rarest first; the others join
# the common ones): ten bigrams held by 39,000 items each would otherwise score 390,000.
# On the demo at the same share (15%) held-out Hit@1 is unchanged, at 10% -2.8 points
# (tests.benchmarks.lexical_bound).
SCORED_ITEMS = 150_000


def phrase(token: str) -> str:
    """A token as an FTS5 phrase: quoted, so no token is read as query syntax."""
    return '"' + token.replace('"', '""') + '"'


def match_expression(tokens: Sequence[str], corpus_items: int,
                     items_matching: Callable[[str, int], int], common: int = COMMON_ITEMS,
                     budget: int = SCORED_ITEMS) -> str:
    """The FTS5 MATCH expression for a query's tokens. `corpus_items` bounds the number of
    items; `items_matching(expression, cap)` counts the items an FTS5 expression matches,
    stopping past cap."""
    unique = list(dict.fromkeys(tokens))
    if len(unique) <= 1 or corpus_items <= common:
        return " OR ".join(phrase(t) for t in unique)
    held = {t: items_matching(phrase(t), common) for t in unique}
    rare: list[str] = []
    for token in sorted(unique, key=held.__getitem__):
        if held[token] > common or sum(held[t] for t in rare) + held[token] > budget:
            break
        rare.append(token)
    common_ones = [t for t in unique if t not in rare]
    parts = [phrase(t) for t in rare]
    # One common bigram next to rare ones would bring back the items it alone holds.
    if len(common_ones) >= 2 or not rare:
        together = "(" + " AND ".join(phrase(t) for t in common_ones) + ")"
        left = budget - sum(held[t] for t in rare)
        if not rare or items_matching(together, left) <= left:
            parts.append(together)
    return " OR ".join(parts)


def counter(db: Any) -> Callable[[str, int], int]:
    """`items_matching` for a SQLite workspace: FTS5 stops reading doclists at the cap."""
    def items_matching(expression: str, cap: int) -> int:
        return db.execute(
            "SELECT count(*) FROM (SELECT rowid FROM items_fts WHERE items_fts MATCH ? LIMIT ?)",
            (expression, max(0, cap) + 1)).fetchone()[0]
    return items_matching
