"""Training variants of the one-click tuning, each on its own copy of the demo workspace,
scored on the realistic queries (what the README's "Variants measured" line reports).

    .venv/bin/python -m tests.benchmarks.tune_variants [--queries FILE] [--only NAME ...]

Each variant starts from the app's symmetric defaults (core.tune.loop.options_for) and
changes one thing; a run takes 3 to 6 minutes on two cores. Prints Hit@1 (MRR@10) per
retriever and the training time; expect about +-0.03 of dense Hit@1 between runs.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from dataclasses import replace
from pathlib import Path

from tests.benchmarks.common import DEFAULT_QUERIES

VARIANTS: dict[str, dict[str, object]] = {
    "defaults": {},
    "token-lr-3e-2": {"token_lr": 0.03},
    "lora-lr-2e-3": {"lr": 0.002},
    "3-epochs-of-700": {"epochs": 3, "max_train": 700},
    "2-hard-negatives": {"hard": 2, "max_train": 700},
    "1500-queries": {"max_train": 1500},
}
_OPTION_FIELDS = ("per_angle", "negatives", "hard", "random", "max_train", "heldout")


def run(name: str, change: dict[str, object], queries: Path) -> str:
    os.environ["PATENT_DESK_HOME"] = tempfile.mkdtemp(prefix="pd-variant-")
    from core.desk import Desk
    from core.tune.loop import options_for

    options = options_for("symmetric")
    train = {k: v for k, v in change.items() if k not in _OPTION_FIELDS}
    rest = {k: v for k, v in change.items() if k in _OPTION_FIELDS}
    options = replace(options, train=replace(options.train, **train), **rest)
    with Desk("demo") as desk:
        report = desk.tune(options, "off")
        result = desk.evaluate(str(queries), str(report.adapter_id))
    cells = " | ".join(f"{m['hit@1']:.3f} ({m['mrr@10']:.3f})"
                       for m in result["retrievers"].values())  # type: ignore[union-attr]
    return f"| {name} | {cells} | {report.timings['train']:.0f} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    parser.add_argument("--only", nargs="*", choices=sorted(VARIANTS), default=None)
    args = parser.parse_args()
    print("| variant | lexical | dense | hybrid | train s |\n|---|---|---|---|---|")
    for name in args.only or VARIANTS:
        print(run(name, VARIANTS[name], args.queries), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
