"""Where the dense fill's time goes on a synthetic spreadsheet (#18: the 100,000-row fill
measured 0.76 of its limit in the full benchmark of fd93e2d):

    .venv/bin/python -m tests.benchmarks.fill_profile --rows 100000 > fill_profile.txt

Imports the rows into a fresh data home without the fill, measures raw encoding two ways
(with the model's document prompt on a random sample, as tests/benchmarks/speed.py now
does; without it on the first 2,000 rows, as it did before), then runs core.vectors'
fill under cProfile and prints the ratios and the top of the profile. About 17 minutes for
100,000 rows on two cores."""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=4_000)
    args = parser.parse_args()
    os.environ["PATENT_DESK_HOME"] = tempfile.mkdtemp(prefix="patent-desk-fillprof-")
    from core import vectors
    from core.desk import Desk
    from tests.benchmarks.speed import _raw_encode, synthetic_rows, write_sheet

    rows = synthetic_rows(args.rows)
    sheet = write_sheet(rows, Path(os.environ["PATENT_DESK_HOME"]) / f"syn-{args.rows}.csv")
    questions = [r[0] for r in rows]
    with Desk("fill-profile") as desk:
        desk.import_files([sheet], fill=False)
        encoder = desk.models.encoders.encoder  # the torch one, what fills of 2,000+ use

        def raw_s(texts: list[str], with_prompt: bool) -> float:
            return _raw_encode(encoder, texts, with_prompt) * len(questions) / len(texts)

        sample = random.Random(3).sample(questions, min(args.sample, len(questions)))
        fair = raw_s(sample, True)
        before = raw_s(questions[:2000], False)
        print(f"raw+prompt scaled from random {len(sample)}: {fair:.1f}s  "
              f"raw no prompt first 2000 scaled: {before:.1f}s", flush=True)
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        vectors.fill_missing(desk.ws, encoder)
        profile.disable()
        fill = time.perf_counter() - started
        print(f"fill {fill:.1f}s ratio vs sample-scaled {fair / fill:.3f} "
              f"vs the earlier limit {before / fill:.3f}")
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
