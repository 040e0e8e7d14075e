"""Multi-angle query generation: rule-based angles (here) and LLM angles (issue #3)."""

from core.augment.rules import RuleAngles, SyntheticQuery

__all__ = ["RuleAngles", "SyntheticQuery"]
