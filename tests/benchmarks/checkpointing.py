"""What recomputing activations (checkpointing) saves in a tuning step, and what it costs.

    python -m tests.benchmarks.checkpointing [--steps 4] [--batch 32]

Each run is its own process (RSS only grows within one): the bundled encoder with a fresh
query-side LoRA adapter, `steps` forward+backward passes over batches of demo questions, as
core.tune.trainer runs them; printed: RSS after loading, after each step, and the seconds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path


def _rss_mb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    return 0


def measure(checkpointing: bool, steps: int, batch: int) -> dict[str, object]:
    from core.ingest import parse_file
    from core.models import bundled_encoder
    from core.models.encoder import AdapterSpec, Encoder
    from core.tune import trainer
    from tests.benchmarks.common import DEMO_DIR

    questions = [it.question for it in parse_file(DEMO_DIR / "patent_qa.csv").items]
    encoder = Encoder(bundled_encoder())
    config = trainer.TrainConfig()
    out: dict[str, object] = {"checkpointing": checkpointing, "loaded_mb": _rss_mb()}
    with encoder.using(AdapterSpec("query", config.lora())):
        if checkpointing:
            trainer._checkpointing(encoder, True)
        encoder.model.train()
        started, after = time.perf_counter(), []
        for step in range(steps):
            texts = questions[step * batch:(step + 1) * batch]
            trainer._embed(encoder, texts, "query").sum().backward()
            after.append(_rss_mb())
        out.update(step_mb=after, seconds=round(time.perf_counter() - started, 2))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--one", choices=("on", "off"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one == "on", args.steps, args.batch)))
        return 0
    for mode in ("off", "on"):
        done = subprocess.run([sys.executable, "-m", "tests.benchmarks.checkpointing",
                               "--one", mode, "--steps", str(args.steps), "--batch",
                               str(args.batch)], capture_output=True, text=True, check=True)
        print(done.stdout.strip().splitlines()[-1])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
