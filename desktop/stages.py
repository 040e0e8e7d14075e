"""The stage names core reports through its progress callback, in the reader's language:
one table for every page that shows progress (status bar, import, Improve retrieval)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def stage_label(stage: str) -> str:
    """A known stage translated; an unknown one as core wrote it, capitalised."""
    # Spelled out in full in each call: pyside6-lupdate reads these literal arguments.
    known = {
        "generating queries": QCoreApplication.translate("Stages", "Generating queries"),
        "mining negatives": QCoreApplication.translate("Stages", "Mining negatives"),
        "training": QCoreApplication.translate("Stages", "Training"),
        "embedding": QCoreApplication.translate("Stages", "Embedding"),
        "storing": QCoreApplication.translate("Stages", "Storing"),
        "semantic search": QCoreApplication.translate("Stages", "Semantic search"),
        "measuring search quality": QCoreApplication.translate("Stages",
                                                               "Measuring search quality"),
        "loading encoder": QCoreApplication.translate("Stages", "Loading encoder"),
        "loading language model": QCoreApplication.translate("Stages", "Loading language model"),
    }
    return known.get(stage, stage[:1].upper() + stage[1:])
