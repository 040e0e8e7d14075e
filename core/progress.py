"""Progress of long jobs: the callback type every core stage takes, and its CLI printer.

Core reports `progress(stage, done, total)`; the window turns it into a progress bar
(desktop.jobs), the command line into lines on stderr (ProgressPrinter)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

Progress = Callable[[str, int, int], None]


class ProgressPrinter:
    """Progress on stderr: one updating line on a terminal, a line per ~10% otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last: tuple[str, int] = ("", -1)
        self.started = time.monotonic()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.last[0]:
            self.started = time.monotonic()
        if total <= 1:
            if stage != self.last[0]:
                print(f"{stage}…", file=sys.stderr, flush=True)
                self.last = (stage, 0)
            return
        percent = int(100 * done / total)
        elapsed = time.monotonic() - self.started
        eta = f", about {elapsed / done * (total - done):.0f}s left" if 0 < done < total else ""
        line = f"{stage}: {done}/{total} ({percent}%{eta})"
        if self.tty:
            end = "\n" if done >= total else ""
            print(f"\r{line}\033[K", end=end, file=sys.stderr, flush=True)
        elif stage != self.last[0] or percent // 10 > self.last[1] // 10 or done >= total:
            print(line, file=sys.stderr, flush=True)
        self.last = (stage, percent)
