"""Benchmarks of Patent Desk: `python -m tests.benchmarks --help` (see docs/benchmarks.md)."""
