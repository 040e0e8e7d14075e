"""Patent Desk engine: ingest, store, models, retrieve, answer (no Qt here)."""

__version__ = "0.1.0"
