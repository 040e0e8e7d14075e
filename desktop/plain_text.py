"""Stored and imported text shown as the characters it is, never as markup. Qt renders any
string that looks like HTML as rich text (labels in AutoText, every tooltip): an item's
'<img src=…>' would become an image request, an '<a href=…>' a link. Labels take
Qt.PlainText; a tooltip has no such switch, so its text goes escaped inside markup of ours."""

from __future__ import annotations

import html


def tooltip(text: object) -> str:
    """A tooltip that shows `text` verbatim, line breaks and spaces kept."""
    return f'<p style="white-space: pre-wrap">{html.escape(str(text))}</p>'
